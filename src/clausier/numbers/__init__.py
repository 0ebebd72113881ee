"""Numbers: the number inventory, SDA blocks, assignment, and portability in and out."""

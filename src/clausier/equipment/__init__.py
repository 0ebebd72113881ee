"""Equipment: loaned, rented and sold items, returns and non-return penalties, SIM cards."""

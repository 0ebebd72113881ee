"""billing: a bill run's status holds ``completed_with_errors`` (21 characters; the column was
VARCHAR(20), so PostgreSQL refused to finish a run with a failing customer)

Revision ID: 0013_billing_run_status_length
Revises: 0012_drop_redundant_indexes
"""
import sqlalchemy as sa
from alembic import op


revision = '0013_billing_run_status_length'
down_revision = '0012_drop_redundant_indexes'
branch_labels = None
depends_on = None


# PostgreSQL only. SQLite does not enforce a VARCHAR's length (a longer text is stored whole), and
# it cannot alter a column in place: the batch rebuild of bill_runs (referenced by invoices and
# bill_run_partitions) fails with foreign keys on, as Clausier runs SQLite. Nothing to change there.
def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column('bill_runs', 'status', existing_type=sa.String(length=20),
                    type_=sa.String(length=30), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column('bill_runs', 'status', existing_type=sa.String(length=30),
                    type_=sa.String(length=20), existing_nullable=False)

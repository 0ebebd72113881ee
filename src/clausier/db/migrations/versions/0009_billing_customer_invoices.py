"""billing: an index on a customer's invoices in id order (the portal's list, latest first)

Revision ID: 0009_billing_customer_invoices
Revises: 0008_billing_run_partitions
"""
from alembic import op


revision = '0009_billing_customer_invoices'
down_revision = '0008_billing_run_partitions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_invoices_customer_listing', 'invoices', ['customer_id', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_invoices_customer_listing', table_name='invoices')

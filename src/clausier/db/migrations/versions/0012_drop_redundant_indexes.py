"""billing, access: drop what nothing reads — the invoices' customer_id index (the listing
index (customer_id, id) of 0009 leads with it) and the devices' token prefix (a device is found
by its token's digest since 0008)

Revision ID: 0012_drop_redundant_indexes
Revises: 0009_billing_customer_invoices, 0008_access_device_token_digest
"""
import sqlalchemy as sa
from alembic import op


revision = '0012_drop_redundant_indexes'
down_revision = ('0009_billing_customer_invoices', '0008_access_device_token_digest')
branch_labels = None
depends_on = None


# Both in place, no table rebuilt (invoices and devices are referenced by other tables, and a
# rebuild fails with foreign keys on, as Clausier runs SQLite): DROP INDEX, and DROP COLUMN
# (SQLite 3.35+) of a column in no index or constraint since 0008 dropped its index.
def upgrade() -> None:
    op.drop_index('ix_invoices_customer_id', table_name='invoices')
    op.drop_column('access_devices', 'token_prefix')


def downgrade() -> None:
    op.add_column('access_devices', sa.Column('token_prefix', sa.String(length=16),
                                              nullable=False, server_default=''))
    op.create_index('ix_invoices_customer_id', 'invoices', ['customer_id'], unique=False)

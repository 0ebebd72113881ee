"""contracts: the delivery of a subscription's goods, recorded as an event

Revision ID: 0009_contracts_delivered_on
Revises: 0008_contracts_change_orders
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_contracts_delivered_on'
down_revision = '0008_contracts_change_orders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch_op:
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch_op:
        batch_op.drop_column('delivered_on')

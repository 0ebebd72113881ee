"""contracts: the reference of a change order in the system it was imported from

Revision ID: 0010_contracts_change_ext_ref
Revises: 0009_contracts_delivered_on
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_contracts_change_ext_ref'
down_revision = '0009_contracts_delivered_on'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('change_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_ref', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_change_orders_external_ref'), ['external_ref'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('change_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_orders_external_ref'))
        batch_op.drop_column('external_ref')

"""contracts: the day up to which an old system billed an imported subscription

Revision ID: 0011_contracts_billed_until
Revises: 0010_contracts_change_ext_ref
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_contracts_billed_until'
down_revision = '0010_contracts_change_ext_ref'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billed_until', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('billed_until')

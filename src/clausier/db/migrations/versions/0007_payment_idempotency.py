"""payments: the Idempotency-Key of the request that recorded a payment

Revision ID: 0007_payment_idempotency
Revises: 0004_payments
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_payment_idempotency'
down_revision = '0004_payments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payments_idempotency_key'),
                                          ['idempotency_key'])


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_idempotency_key'), type_='unique')
        batch_op.drop_column('idempotency_key')

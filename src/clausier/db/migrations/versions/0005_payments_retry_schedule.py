"""payments: a queued e-mail or SMS that failed is tried again at a scheduled instant

Revision ID: 0005_payments_retry_schedule
Revises: 0004_payments
Create Date: 2026-12-07 02:10:00
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0005_payments_retry_schedule'
down_revision = '0004_payments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', clausier.db.types.Instant(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('next_attempt_at')

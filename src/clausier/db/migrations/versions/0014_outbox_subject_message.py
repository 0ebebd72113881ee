"""notifications: an outbox message's subject kept as a message too (its id and parameters), so
staff pages read it in their language while the letter keeps its recipient's

Revision ID: 0014_outbox_subject_message
Revises: 0012_audit_summary_message (and needs 0005_payments_retry_schedule)
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_outbox_subject_message'
down_revision = '0012_audit_summary_message'
branch_labels = None
depends_on = '0005_payments_retry_schedule'    # the outbox's table (payments' branch)


def upgrade() -> None:
    op.add_column('outbox_messages', sa.Column('subject_message', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('subject_message')

"""audit: an entry's summary kept as a message too (its id and parameters), for each reader's language

Revision ID: 0012_audit_summary_message
Revises: 0011_contracts_billed_until
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_audit_summary_message'
down_revision = '0011_contracts_billed_until'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_entries', sa.Column('summary_message', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('summary_message')

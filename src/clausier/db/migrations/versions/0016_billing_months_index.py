"""billing: drop the billed months' subscription_id index, which the unique key (subscription_id,
month) leads with; a bill run wrote both for every month it billed

Revision ID: 0016_billing_months_index
Revises: 0013_billing_run_status_length
"""
from alembic import op


revision = '0016_billing_months_index'
down_revision = '0013_billing_run_status_length'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_billed_months_subscription_id', table_name='billed_months')


def downgrade() -> None:
    op.create_index('ix_billed_months_subscription_id', 'billed_months', ['subscription_id'],
                    unique=False)

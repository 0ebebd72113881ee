"""billing: a bill run's last sign of life, so that the next run takes over a dead one

Revision ID: 0007_billing_run_heartbeat
Revises: 0003_billing
"""
from alembic import op
import sqlalchemy as sa

import clausier.db.types


revision = '0007_billing_run_heartbeat'
down_revision = '0003_billing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bill_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', clausier.db.types.Instant(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bill_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')

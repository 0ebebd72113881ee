"""access: a site notice's message kept as a message too (its id and parameters), so the
site's pages read it in their reader's language; scheduler: a daily run step's summary too

Revision ID: 0015_access_notice_message
Revises: 0014_outbox_subject_message (and needs 0003_access, 0002_scheduler)
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_access_notice_message'
down_revision = '0014_outbox_subject_message'
branch_labels = None
depends_on = ('0003_access', '0002_scheduler')    # the notices' and the runs' tables


def upgrade() -> None:
    op.add_column('access_site_notices', sa.Column('message_message', sa.JSON(), nullable=True))
    op.add_column('tick_runs', sa.Column('summary_message', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tick_runs', schema=None) as batch_op:
        batch_op.drop_column('summary_message')
    with op.batch_alter_table('access_site_notices', schema=None) as batch_op:
        batch_op.drop_column('message_message')

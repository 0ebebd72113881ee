"""access: a site notice's message kept as a message too (its id and parameters), so the
site's pages read it in their reader's language

Revision ID: 0015_access_notice_message
Revises: 0014_outbox_subject_message (and needs 0003_access)
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_access_notice_message'
down_revision = '0014_outbox_subject_message'
branch_labels = None
depends_on = '0003_access'    # the notices' table (access's branch)


def upgrade() -> None:
    op.add_column('access_site_notices', sa.Column('message_message', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('access_site_notices', schema=None) as batch_op:
        batch_op.drop_column('message_message')

"""rating: each summary keeps its month per destination class (the invoice's usage annex)

Revision ID: 0004_rating_usage_detail
Revises: 0003_rating
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_rating_usage_detail'
down_revision = '0003_rating'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rated_usage_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detail', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('rated_usage_summaries', schema=None) as batch_op:
        batch_op.drop_column('detail')

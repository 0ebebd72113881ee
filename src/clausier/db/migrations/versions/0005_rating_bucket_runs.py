"""rating: the buckets of a rating run sent to the workers (issue 23)

Revision ID: 0005_rating_bucket_runs
Revises: 0004_rating_usage_detail
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0005_rating_bucket_runs'
down_revision = '0004_rating_usage_detail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating_bucket_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('queued_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('finished_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_bucket_runs')),
    sa.UniqueConstraint('run_key', 'bucket', name=op.f('uq_rating_bucket_runs_run_key'))
    )
    with op.batch_alter_table('rating_bucket_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_bucket_runs_run_key'), ['run_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rating_bucket_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_bucket_runs_run_key'))
    op.drop_table('rating_bucket_runs')

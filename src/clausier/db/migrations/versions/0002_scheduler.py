"""scheduler: daily tick runs

Revision ID: 0002_scheduler
Revises: 0001_foundation
Create Date: 2026-11-24 01:45:14.717059
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0002_scheduler'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The unique (day, step) index also serves the look-up by day.
    op.create_table('tick_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=False),
    sa.Column('ran_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tick_runs')),
    sa.UniqueConstraint('day', 'step', name=op.f('uq_tick_runs_day'))
    )


def downgrade() -> None:
    op.drop_table('tick_runs')

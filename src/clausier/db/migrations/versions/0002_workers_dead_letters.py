"""workers: the messages the workers gave up on, with their error

Revision ID: 0002_workers_dead_letters
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0002_workers_dead_letters'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dead_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=100), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('arguments', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('failed_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters')),
    sa.UniqueConstraint('message_id', name=op.f('uq_dead_letters_message_id'))
    )


def downgrade() -> None:
    op.drop_table('dead_letters')

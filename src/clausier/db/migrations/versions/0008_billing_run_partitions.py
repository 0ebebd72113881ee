"""billing: the partitions of a bill run sent to the workers

Revision ID: 0008_billing_run_partitions
Revises: 0007_billing_run_heartbeat
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0008_billing_run_partitions'
down_revision = '0007_billing_run_heartbeat'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bill_run_partitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bill_run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('first_customer_id', sa.Integer(), nullable=False),
    sa.Column('last_customer_id', sa.Integer(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('total_ht', clausier.db.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('total_ttc', clausier.db.types.Money(precision=14, scale=2), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('finished_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bill_run_id'], ['bill_runs.id'], name=op.f('fk_bill_run_partitions_bill_run_id_bill_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_run_partitions')),
    sa.UniqueConstraint('bill_run_id', 'position', name=op.f('uq_bill_run_partitions_bill_run_id'))
    )


def downgrade() -> None:
    op.drop_table('bill_run_partitions')

"""equipment: the delivery of an item, recorded as an event

Revision ID: 0006_equipment_delivered_on
Revises: 0005_equipment_sealed_puk
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_equipment_delivered_on'
down_revision = '0005_equipment_sealed_puk'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('equipment_items') as batch_op:
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('equipment_items') as batch_op:
        batch_op.drop_column('delivered_on')

"""equipment: the SIM's PUK sealed (AES-GCM), no PIN kept

The former HMAC digests cannot be turned back into codes: they are dropped, and each SIM's PUK
is recorded again (``clausier equipment sim-puk``) where the customer needs to read it back.

Revision ID: 0005_equipment_sealed_puk
Revises: 0003_equipment
Create Date: 2026-11-24 04:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_equipment_sealed_puk'
down_revision = '0003_equipment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sim_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('puk_sealed', sa.String(length=120), nullable=True))
        batch_op.drop_column('pin_digest')
        batch_op.drop_column('puk_digest')


def downgrade() -> None:
    with op.batch_alter_table('sim_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('puk_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pin_digest', sa.String(length=64), nullable=True))
        batch_op.drop_column('puk_sealed')

"""access: a device is found by its token's digest (unique index), no longer by its prefix

Revision ID: 0008_access_device_token_digest
Revises: 0007_access_invitations
"""
from alembic import op


revision = '0008_access_device_token_digest'
down_revision = '0007_access_invitations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_devices_token_prefix'))
        batch_op.create_unique_constraint(batch_op.f('uq_access_devices_token_hash'), ['token_hash'])


def downgrade() -> None:
    with op.batch_alter_table('access_devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_access_devices_token_hash'), type_='unique')
        batch_op.create_index(batch_op.f('ix_access_devices_token_prefix'), ['token_prefix'], unique=False)

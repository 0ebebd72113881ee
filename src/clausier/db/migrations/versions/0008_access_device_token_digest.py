"""access: a device is found by its token's digest (unique index), no longer by its prefix

Revision ID: 0008_access_device_token_digest
Revises: 0007_access_invitations
"""
from alembic import op


revision = '0008_access_device_token_digest'
down_revision = '0007_access_invitations'
branch_labels = None
depends_on = None


# A unique index rather than a unique constraint: on SQLite a constraint means rebuilding the
# table, which events and sync failures reference (refused with foreign keys on, as Clausier
# runs SQLite); an index is made in place, on both databases.
def upgrade() -> None:
    op.drop_index(op.f('ix_access_devices_token_prefix'), table_name='access_devices')
    op.create_index(op.f('ix_access_devices_token_hash'), 'access_devices', ['token_hash'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_access_devices_token_hash'), table_name='access_devices')
    op.create_index(op.f('ix_access_devices_token_prefix'), 'access_devices', ['token_prefix'],
                    unique=False)

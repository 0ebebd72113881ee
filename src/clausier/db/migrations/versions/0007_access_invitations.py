"""access: delegates join a site by accepting an invitation

Revision ID: 0007_access_invitations
Revises: 0006_access_snapshot_salt
"""
from alembic import op
import sqlalchemy as sa
import clausier.db.types


revision = '0007_access_invitations'
down_revision = '0006_access_snapshot_salt'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_at', clausier.db.types.Instant(timezone=True), nullable=False),
    sa.Column('accepted_at', clausier.db.types.Instant(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['access_sites.id'],
                            name=op.f('fk_access_invitations_site_id_access_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_invitations_token_hash'))
    )
    with op.batch_alter_table('access_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_invitations_site_id'), ['site_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_invitations_site_id'))
    op.drop_table('access_invitations')

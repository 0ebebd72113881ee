"""access: a random salt per site naming its cached snapshots

Revision ID: 0006_access_snapshot_salt
Revises: 0003_access
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0006_access_snapshot_salt'
down_revision = '0003_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('access_sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_salt', sa.String(length=16), nullable=False,
                                      server_default=''))
    sites = sa.table('access_sites', sa.column('id', sa.Integer), sa.column('snapshot_salt', sa.String))
    connection = op.get_bind()
    for (site_id,) in connection.execute(sa.select(sites.c.id)).all():
        connection.execute(sites.update().where(sites.c.id == site_id)
                           .values(snapshot_salt=secrets.token_hex(8)))


def downgrade() -> None:
    with op.batch_alter_table('access_sites', schema=None) as batch_op:
        batch_op.drop_column('snapshot_salt')

"""contracts: an item is an option when its catalogue offer is one

Orders used to mark as options only the codes listed under a line's options, so an option
ordered as a line of its own (Télétaxe, priced per analogue line) counted as one more line in
the per-line termination fees (CP I §6.2).

Revision ID: 0007_contracts_options_from_catalog
Revises: 0002_contracts, 0002_catalog_customers
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_contracts_options_from_catalog'
down_revision = ('0002_contracts', '0002_catalog_customers')
branch_labels = None
depends_on = None


def upgrade() -> None:
    # This revision's id is longer than the 32 characters Alembic's version table holds;
    # PostgreSQL refuses to record it unless the column is widened first (SQLite does not check).
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('alembic_version', 'version_num', type_=sa.String(64))
    offers = sa.table('offers', sa.column('id', sa.Integer), sa.column('kind', sa.String))
    options = sa.select(offers.c.id).where(offers.c.kind == 'option')
    for name in ('subscription_items', 'order_lines'):
        table = sa.table(name, sa.column('offer_id', sa.Integer), sa.column('is_option', sa.Boolean))
        op.execute(table.update().where(table.c.offer_id.in_(options)).values(is_option=True))


def downgrade() -> None:
    """Nothing to undo: the flag now says what the catalogue says."""

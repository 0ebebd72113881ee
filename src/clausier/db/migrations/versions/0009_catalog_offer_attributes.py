"""catalog: offer attributes in the vocabulary rating reads

Revision ID: 0009_catalog_offer_attributes
Revises: 0007_catalog_operator_identity
Create Date: 2026-12-07 05:35:00

Data only. Offers stored before the vocabulary of ``catalog.attributes`` (docs/CATALOGUE.md)
carry words rating never read: a nested ``bundle`` mapping, ``calls`` in prose, ``call_hours``,
and packs listing their offers under ``bundle``. They are rewritten in the vocabulary's keys,
so that a database keeps rating what its offers say without reloading the price lists.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_catalog_offer_attributes'
down_revision = '0007_catalog_operator_identity'
branch_labels = None
depends_on = None

_offers = sa.table('offers', sa.column('id', sa.Integer), sa.column('attributes', sa.JSON))
FIXED_LINES = ["01", "02", "03", "04", "05", "09"]


def _rewritten(attributes: dict) -> dict:
    values = dict(attributes)
    bundle = values.pop('bundle', None)
    if isinstance(bundle, list):                        # a pack's offers
        values['components'] = bundle
    elif isinstance(bundle, dict):
        if bundle.get('unlimited'):
            values['calls'] = 'unlimited'
        for old, new in (('destinations', 'call_destinations'), ('countries', 'call_countries'),
                         ('minutes', 'call_minutes'), ('data_plan', 'data_plan')):
            if bundle.get(old) is not None:
                values[new] = bundle[old]
        if bundle.get('data_mb') is not None:
            values['data_gb'] = str(int(bundle['data_mb']) / 1000)
        if 'sms_included' in bundle:
            values['sms'] = 'included' if bundle['sms_included'] else 'metered'
    calls = values.get('calls')
    if isinstance(calls, str) and calls not in ('unlimited', 'metered'):
        values['calls'] = 'unlimited' if 'unlimited' in calls else 'metered'
        if 'fixed' in calls:
            values.setdefault('call_destinations', FIXED_LINES)
    if 'call_hours' in values:
        values['call_minutes'] = int(float(values.pop('call_hours')) * 60)
    return values


def upgrade() -> None:
    connection = op.get_bind()
    for offer_id, attributes in connection.execute(sa.select(_offers.c.id, _offers.c.attributes)):
        if attributes and (new := _rewritten(attributes)) != attributes:
            connection.execute(_offers.update().where(_offers.c.id == offer_id)
                               .values(attributes=new))


def downgrade() -> None:
    # The old words were never read: nothing to restore.
    pass

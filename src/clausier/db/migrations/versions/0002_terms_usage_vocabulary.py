"""terms: stored sheets say the usage values by the names of the closed vocabulary

The term sheets' ``usage`` blocks became typed (``terms/vocabulary.py``): six names that the code
read under two spellings now have one. A sheet stored by an earlier release is rewritten in the
vocabulary, and its digest with it, so that it still parses and the built-in sheet of this
release is recognised as the same content.

Revision ID: 0002_terms_usage_vocabulary
Revises: 0001_foundation
"""
from __future__ import annotations

import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0002_terms_usage_vocabulary'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

RENAMED = {
    "platform_caller_id_prefixes": "technical_platform_caller_id_prefixes",
    "undetermined_origin_tariff_on_country_mismatch": "undetermined_origin_rating_on_country_mismatch",
    "local_loop_surcharge_percent": "offnet_surcharge_percent",
    "local_loop_share_threshold_percent": "offnet_share_threshold_percent",
    "rewritten_caller_id_forms": "caller_id_rewritten_forms",
    "porting_cut_min_minutes": "porting_outage_minutes_min",
    "porting_cut_max_business_hours": "porting_outage_business_hours_max",
}
GROUPS = ("amounts", "figures", "lists", "flags")

sheets = sa.table("term_sheet_versions", sa.column("id", sa.Integer),
                  sa.column("digest", sa.String), sa.column("document", sa.JSON))


def _digest(document: dict) -> str:
    # as terms/service.py computes it: a migration keeps its own copy of what it relies on
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def _renamed(node):
    """``node`` with every ``usage`` block's values under their vocabulary names."""
    if isinstance(node, list):
        return [_renamed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _renamed(value) for key, value in node.items()}
    usage = out.get("usage")
    if isinstance(usage, dict):
        for group in GROUPS:
            values = usage.get(group)
            if isinstance(values, dict):
                usage[group] = {RENAMED.get(name, name): value for name, value in values.items()}
    return out


def upgrade() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(sheets.c.id, sheets.c.document)).all():
        document = row.document if isinstance(row.document, dict) else json.loads(row.document)
        rewritten = _renamed(document)
        if rewritten != document:
            connection.execute(sheets.update().where(sheets.c.id == row.id).values(
                document=rewritten, digest=_digest(rewritten)))


def downgrade() -> None:
    pass

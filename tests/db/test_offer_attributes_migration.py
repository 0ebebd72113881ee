"""Revision 0009_catalog_offer_attributes: offers stored with the words rating never read are
rewritten in the vocabulary (docs/CATALOGUE.md), and the result passes the catalogue's check."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import clausier.db
from clausier.catalog.attributes import attribute_problems, rating_attributes

_PATH = (Path(clausier.db.__file__).parent / "migrations" / "versions"
         / "0009_catalog_offer_attributes.py")
_SPEC = importlib.util.spec_from_file_location("offer_attributes_revision", _PATH)
revision = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(revision)


@pytest.mark.parametrize(("old", "new"), [
    ({"data_gb": 5, "calls": "unlimited"}, {"data_gb": 5, "calls": "unlimited"}),
    ({"calls": "unlimited to French fixed lines"},
     {"calls": "unlimited", "call_destinations": ["01", "02", "03", "04", "05", "09"]}),
    ({"call_hours": 2, "data_gb": 1}, {"call_minutes": 120, "data_gb": 1}),
    ({"bundle": ["fibre_300m", "voip_line"]}, {"components": ["fibre_300m", "voip_line"]}),
    ({"bundle": {"unlimited": True, "data_mb": 1000, "data_plan": "metered"}, "channels": 4},
     {"calls": "unlimited", "data_gb": "1.0", "data_plan": "metered", "channels": 4}),
])
def test_old_words_become_the_vocabulary(old, new):
    rewritten = revision._rewritten(old)
    assert rewritten == new
    assert attribute_problems(rewritten) == []
    rating_attributes(rewritten)

"""The workers room's refusals carry stable machine codes (issue "Room boundaries")."""

from __future__ import annotations

import pytest

from clausier.core.errors import InvalidInput
from clausier.workers.broker import make_broker


def test_an_unsupported_broker_url_is_refused_with_its_code():
    with pytest.raises(InvalidInput) as refused:
        make_broker("kafka://localhost:9092")
    assert refused.value.code == "broker_url_unsupported"

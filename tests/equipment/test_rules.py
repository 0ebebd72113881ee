"""Pure equipment rules: the refusals name their code and the sheet's clause."""

from __future__ import annotations

import pytest

from clausier.core.errors import RuleRefusal
from clausier.equipment import rules
from clausier.terms.loader import BUILT_IN_DIR, load_sheet


def test_an_ozone_puk_has_eight_digits():
    """CPV Téléphonie mobile art. 1 L764: « ce code de 8 chiffres permet la réactivation d'un
    code PIN bloqué »."""
    mobile = load_sheet(BUILT_IN_DIR / "ozone").terms_for("mobile")
    rules.check_puk("73194528", mobile)
    with pytest.raises(RuleRefusal, match="^puk: must have 8 digits") as refused:
        rules.check_puk("1234", mobile)
    assert (refused.value.code, refused.value.field, refused.value.clause) == (
        "puk_wrong_length", "puk", "CPV Téléphonie mobile art. 1 (L764)")

"""What billing's use cases read first: the operator billed, the month of a period, and the
term-sheet blocks of the subscriptions (each read once per run)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from clausier.billing import periods
from clausier.catalog import facts as catalog
from clausier.catalog.facts import OperatorFacts
from clausier.core.errors import NotFound, RuleRefusal
from clausier.terms import service as terms_service
from clausier.terms.schema import Terms


def operator_by_code(session: Session, code: str) -> OperatorFacts:
    operator = catalog.operator_by_code(session, code)
    if operator is None:
        raise NotFound(f"operator: no operator {code!r}", resource="operator")
    return operator


def month_of(period: str | date) -> date:
    """The first day of a period given as ``YYYY-MM`` or as a day of its month."""
    if isinstance(period, date):
        return periods.month_start(period)
    try:
        return periods.parse_period(period)
    except RuleRefusal as exc:
        raise exc.as_invalid_input() from None


class TermsCache:
    """Term-sheet blocks per (sheet, version, family), read once per bill run."""

    def __init__(self, session: Session):
        self.session = session
        self._sheets: dict[tuple[str, int], object] = {}
        self._terms: dict[tuple[str, int, str | None], Terms] = {}

    def reading_with(self, session: Session) -> TermsCache:
        """The same cache, reading what it lacks in ``session`` (the next transaction of a run)."""
        self.session = session
        return self

    def sheet(self, sheet_id: str, version: int | None):
        key = (sheet_id, version or 0)
        if key not in self._sheets:
            self._sheets[key] = terms_service.get_sheet(self.session, sheet_id, version)
        return self._sheets[key]

    def terms(self, sheet_id: str, version: int | None, family: str | None) -> Terms:
        key = (sheet_id, version or 0, family)
        if key not in self._terms:
            sheet = self.sheet(sheet_id, version)
            self._terms[key] = sheet.terms_for(family) if family else sheet.general
        return self._terms[key]



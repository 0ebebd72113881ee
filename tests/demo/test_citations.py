"""Issue 18 §6: every explained line of the demo data cites an article or schedule section and its
seed lines; a reading id may follow the clause, never replace it.

The demo is loaded (invoices, dunning, usage, penalties, quotes…), then every clause the database
stores — a ``clause`` column, or a ``clause``/``clauses`` entry of an explanation — is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlalchemy import JSON, String, select

from clausier.contracts import service as contracts
from clausier.contracts.models import Subscription
from clausier.core.errors import NotAllowed
from clausier.db.base import Base

# "CGV art. 10.4 (L368-372)", "CP I §6.3 (L1624-1633)": an article or section, then seed lines.
SEED_LINES = re.compile(r"\S+.*\(L\d+(?:-\d+)?\)")
# A clause of the law (not of the seed): it has no seed lines to give.
LAW = re.compile(r"\b(C\. ?com|C\. ?civ|CGI|C\. ?conso|Code|RGPD|GDPR|loi|Loi|décret|EN 16931|SEPA)\b")
READING = re.compile(r"\breading[: ]+[A-Z][A-Z0-9-]+")
# Where a price comes from rather than a clause: the customer's own order (a change order's
# lines, contracts/changes.py), the operator's usage price list or the offer's bundle (rated
# usage, rating/service.py) — documents with no seed lines to give.
PRICE_SOURCE = re.compile(r"order / price list \([a-z0-9_]+\)|.+ usage price list \(\w+\)"
                          r"|offer bundle")


def citation_problem(text: str) -> str | None:
    """Why a stored clause is not one a person can check, or None. Citations are separated by
    « ; »; a reading id is fine once an article with seed lines has come before it."""
    seen_clause = False
    for part in (p.strip() for p in text.split(";")):
        reading = READING.search(part)
        lines = SEED_LINES.search(part[:reading.start()] if reading else part)
        if reading and not (seen_clause or lines):
            return "a reading id with no article and seed lines before it"
        seen_clause = seen_clause or bool(lines) or bool(SEED_LINES.search(part))
    prices_only = all(PRICE_SOURCE.fullmatch(p.strip()) for p in text.split(";"))
    if text.strip() and not seen_clause and not LAW.search(text) and not prices_only:
        return "no article with seed lines"
    return None


def _clauses(node: object, key: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _clauses(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _clauses(value, key)
    elif isinstance(node, str) and (key in ("clause", "clauses") or key.endswith("_clause")):
        yield node


def stored_clauses(session) -> Iterator[tuple[str, str]]:
    """(where, clause) for every clause the database holds."""
    for mapper in Base.registry.mappers:
        model = mapper.class_
        columns = [c for c in mapper.columns
                   if (isinstance(c.type, String) and (c.key == "clause" or c.key.endswith("_clause")))
                   or isinstance(c.type, JSON)]
        for column in columns:
            for value in session.scalars(select(getattr(model, column.key))):
                where = f"{model.__tablename__}.{column.key}"
                if isinstance(column.type, JSON):
                    for clause in _clauses(value):
                        yield where, clause
                elif value:
                    yield where, value


def test_the_checker_tells_a_checkable_citation_from_a_bare_reading():
    assert citation_problem("CGV art. 10.4 (L368-372); CGV art. 2 (L66-67)") is None
    assert citation_problem("CP I §6.3 (L1624-1633), reading T-VGA-ETF-STACKING") is None
    assert citation_problem("CGV art. 11.1 (L398-399); C. com. art. L441-10, D441-5") is None
    assert citation_problem("reading T-PRORATA-FIRST-MONTH") is not None
    assert citation_problem("reading T-X; CGV art. 2 (L66-67)") is not None
    assert citation_problem("CGV art. 10.4") is not None
    assert citation_problem("order / price list (sda_block_10)") is None
    assert citation_problem("Ozone demo usage price list (demo); offer bundle") is None
    assert citation_problem("offer bundle; reading T-X") is not None


def test_every_explained_line_of_the_demo_cites_an_article_and_its_seed_lines(demo_session):
    checked = 0
    bad = {}
    for where, clause in stored_clauses(demo_session):
        checked += 1
        if (problem := citation_problem(clause)) is not None:
            bad.setdefault(f"{where}: {clause!r}", problem)
    assert checked > 100          # the demo explains its invoices, dunning and quotes
    assert bad == {}


def test_every_exit_quote_of_the_demo_cites_an_article_and_its_seed_lines(demo_session, clock):
    """The lines of remaining months, Chatel, prorata and cancellation fees that an exit quote
    explains, for every demo subscription still running, a letter received today."""
    quoted = 0
    bad = {}
    for subscription in demo_session.scalars(select(Subscription)):
        if subscription.status in ("terminated", "withdrawn", "cancelled"):
            continue
        try:
            quote = contracts.quote_termination(demo_session, subscription.id, clock.today())
        except NotAllowed:        # a pack that cannot be ended early (Rozoh): nothing to quote
            continue
        quoted += 1
        for clause in _clauses(quote.as_dict()):
            if (problem := citation_problem(clause)) is not None:
                bad.setdefault(f"{subscription.ref}: {clause!r}", problem)
    assert quoted > 10
    assert bad == {}

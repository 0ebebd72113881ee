"""Issue 21, first "Done when": a crawl of every page reachable from ``/`` as the admin, a
customer user and a site administrator, in French, on the demo data, finds no server error, no
English text that the French catalogues translate, no raw ``snake_case`` code and no
``reading …`` id standing in place of a clause (a reading may follow an article, never replace
it). Every offence is collected, so that the failure lists them all (page, offence). The
converse reads the English pages (no French label of the catalogues), and the second "Done
when" reads back the invoice PDF in French and in English.

The crawl follows the app's own same-origin GET links (no logout, no language switch, no API),
a few pages per kind of address (``/customers/12`` and ``/customers/13`` are one kind), so that
it reads every screen without reading every row of the demo."""

from __future__ import annotations

import io
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_DB, log_in
from tests.page_language import (Page, french_texts, offences_of, phrases_of,
                                  translated_msgids)
from tests.security.world import world, world_app  # noqa: F401  (the demo, loaded once per module)

pytestmark = pytest.mark.skipif(
    TEST_DB == "postgresql",
    reason="the crawl reads pages, not SQL: the SQLite leg covers it, the PostgreSQL leg stays fast")

# The demo's logins (demo/service.py DEMO_USERS, portal/demo.py, access/demo.py DEMO_SITES).
ROLES = {
    "admin": ("admin@clausier.local", "clausier-admin"),
    "customer": ("client.tec@clausier.local", "clausier-client"),
    "site_admin": ("site.admin@clausier.local", "clausier-site"),
}
MAX_PAGES_PER_ROLE = 260
PAGES_PER_KIND = 8
MIN_PAGES = 150
# Links a crawl must not follow: they leave the session or the language, or are not pages.
SKIPPED = re.compile(r"^/(?:logout|lang/|api/|static/|favicon)|\.(?:pdf|csv|xml|json|zip)$"
                     r"|/(?:pdf|csv|facturx|export|download)(?:/|$)")

# What the crawl still finds and issue 21 leaves to its other items: listed, printed, not failed
# on, so that every other page stays French; remove a line when its screen is rebuilt.
REMAINING: dict[str, str] = {}


@dataclass
class Crawl:
    pages: Counter = field(default_factory=Counter)
    offences: list[tuple[str, str, str]] = field(default_factory=list)

    def offend(self, role: str, path: str, what: str) -> None:
        self.offences.append((role, path, what))


def kind_of(path: str) -> str:
    return re.sub(r"\d+", "N", re.sub(r"/[A-Z]{2,4}-[\w-]+", "/REF", path))


def crawl_as(client: TestClient, role: str, foreign: set[str], crawl: Crawl,
             language: str = "English", per_kind: int = PAGES_PER_KIND) -> None:
    phrases = phrases_of(foreign, 2 if language == "English" else 3)
    queue: deque[str] = deque(["/"])
    seen = {"/"}
    kinds: Counter = Counter()
    while queue and crawl.pages[role] < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        response = client.get(path)
        crawl.pages[role] += 1
        if response.status_code >= 500:
            crawl.offend(role, path, f"server error {response.status_code}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = Page()
        page.feed(response.text)
        for what in sorted(set(offences_of(page.texts, foreign, phrases, language))):
            crawl.offend(role, path, what)
        for href in page.links:
            target = urldefrag(urljoin("http://testserver" + path, href))[0]
            parts = urlsplit(target)
            if parts.netloc != "testserver":
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link in seen or SKIPPED.search(parts.path) or "lang=" in parts.query:
                continue
            seen.add(link)
            kind = kind_of(parts.path)
            if kinds[kind] >= per_kind:
                continue
            kinds[kind] += 1
            queue.append(link)


def crawled(world_app, language: str, foreign: set[str], per_kind: int) -> Crawl:
    crawl = Crawl()
    for role, (email, password) in ROLES.items():
        with TestClient(world_app) as client:
            assert log_in(client, email, password).status_code == 303, role
            client.get(f"/lang/{language}")
            crawl_as(client, role, foreign, crawl,
                     "English" if language == "fr" else "French", per_kind)
    return crawl


def report_of(crawl: Crawl, pages: str) -> tuple[list, str]:
    """The offences outside ``REMAINING`` and a report of the crawl (printed with ``-s``)."""
    remaining = [o for o in crawl.offences
                 if any(re.search(pattern, f"{o[1]}: {o[2]}") for pattern in REMAINING)]
    offences = [o for o in crawl.offences if o not in remaining]
    listed = "\n".join(f"[{role}] {path}: {what}" for role, path, what in offences)
    print(f"{pages} pages read: {dict(crawl.pages)}; offences: {len(offences)}; "
          f"left to issue 21's other items: {len(remaining)}\n{listed}")
    return offences, f"{len(offences)} offences on {pages} pages:\n{listed}"


def test_a_two_word_english_phrase_inside_a_french_text_is_an_offence():
    """« 8 calendar days » on a French page: "calendar days" is an id the catalogue translates
    (« jours calendaires »), found inside a longer text as the longer phrases are."""
    english = translated_msgids()
    assert "calendar days" in english
    found = list(offences_of(["Délai : 8 calendar days"], english, phrases_of(english, 2)))
    assert found == ["English: 'calendar days' in 'Délai : 8 calendar days'"]
    assert not list(offences_of(["Délai : 8 jours calendaires"], english, phrases_of(english, 2)))


def test_french_pages_of_the_three_spaces_show_french(world_app):  # noqa: F811
    crawl = crawled(world_app, "fr", translated_msgids(), PAGES_PER_KIND)
    offences, report = report_of(crawl, "French")
    assert sum(crawl.pages.values()) >= MIN_PAGES, crawl.pages
    assert all(crawl.pages[role] > 1 for role in ROLES), crawl.pages
    assert not offences, report


def test_english_pages_of_the_three_spaces_show_no_french_label(world_app):  # noqa: F811
    """The converse, on fewer pages of each kind: an English page shows no French text of the
    catalogues (the seeds' quotations and a schedule's French title, marked ``lang="fr"``, are
    the terms' own words)."""
    crawl = crawled(world_app, "en", french_texts(), 2)
    offences, report = report_of(crawl, "English")
    assert not offences, report


def first_invoices_read_back(engine, language: str) -> Iterator[tuple[str, list[str]]]:
    """(number, text lines) of the Factur-X PDF in ``language`` of the first demo invoice of each
    operator that invoices (Rozoh's packs are prepaid), read back as text."""
    from pypdf import PdfReader
    from sqlalchemy import select

    from clausier.billing.models import Invoice
    from clausier.billing.documents.pdf import invoice_pdf
    from clausier.db.session import transaction

    with transaction(engine) as s:
        for prefix in ("TEC", "OZO"):
            invoice = min(s.scalars(select(Invoice).where(Invoice.number.like(f"{prefix}-%"))),
                          key=lambda i: i.id)
            text = "\n".join(page.extract_text() for page in PdfReader(
                io.BytesIO(invoice_pdf(invoice, language=language))).pages)
            yield invoice.number, [" ".join(line.split()) for line in text.splitlines()
                                   if line.strip()]


def test_a_french_invoice_pdf_of_each_operator_shows_french(world, engine):  # noqa: F811
    """Issue 21, second "Done when" (French half): the PDF holds no English text the catalogues
    translate, no code and no reading in place of a clause."""
    english = translated_msgids()
    phrases = phrases_of(english)
    offences = []
    for number, lines in first_invoices_read_back(engine, "fr"):
        offences += [f"{number}: {what}" for what in sorted(set(offences_of(lines, english, phrases)))]
    print("\n".join(offences))
    assert not offences, "\n".join(offences)


def test_the_same_invoice_pdf_in_english_shows_no_french_label(world, engine):  # noqa: F811
    """Issue 21, second "Done when" (English half): the same documents in English hold no French
    label of the catalogues, and the mentions French law requires (CGI art. 242 nonies A,
    C. com. art. L441-9) read in English: Technicophone's flat recovery indemnity of 40 € (CGV
    art. 11.1 L398-399), Ozone's debit in advance (CGV art. 9.2 L262)."""
    french = french_texts()
    phrases = phrases_of(french)
    offences, texts = [], {}
    for number, lines in first_invoices_read_back(engine, "en"):
        texts[number[:3]] = "\n".join(lines)
        offences += [f"{number}: {what}"
                     for what in sorted(set(offences_of(lines, french, phrases, "French")))]
    print("\n".join(offences))
    assert not offences, "\n".join(offences)
    assert "Flat indemnity for recovery costs: €40.00" in texts["TEC"]
    assert "Debited in advance, for the period to come" in texts["OZO"]
    assert "Date d'échéance" not in texts["TEC"] + texts["OZO"]

"""What a page shows in the wrong language (issue 21): the visible text of a page, the French
catalogues' English ids a French page must not show and their French an English page must not
show, raw ``snake_case`` codes, and a ``reading …`` id standing in place of a clause. Read by the
httpx crawl (tests/web/test_french_crawl.py) and the browser walk of the menus
(tests/browser/test_menus.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

from clausier.web.i18n import translations

SNAKE_CASE = re.compile(r"(?<![\w@./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
READING = re.compile(r"\breading[: ]\s*(?:T|OZ|R)-[A-Z0-9-]+")
# A clause a reading may follow: an article, a paragraph, a schedule or a seed line.
CLAUSE = re.compile(r"\b(?:art\.|§|CGV|CGU|CG|CP|CS|annexe|Annex|L\d)", re.IGNORECASE)


class Page(HTMLParser):
    """The visible text (one string per text node) and the links of a page. An identifier a page
    shows on purpose, to be typed in the CLI or the API (an offer's code in the catalogue), is
    marked up as ``<code>``, and a text in another language than the page's (a schedule's French
    title, the language switch) declares it with ``lang``: neither is read as the page's text."""

    HIDDEN = {"script", "style", "template", "title", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hiding: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in self.HIDDEN or (values.get("lang") and tag != "html"):
            self._hiding.append(tag)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        for name in ("placeholder", "title", "aria-label"):
            if values.get(name):
                self.texts.append(values[name])

    def handle_endtag(self, tag):
        if self._hiding and self._hiding[-1] == tag:
            self._hiding.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._hiding:
            self.texts.append(text)


def translated_msgids() -> set[str]:
    """The catalogues' message ids whose French differs from the English (an id French spells
    the same, "Date", "Site", is no offence), longer than a word's stem."""
    catalogue = translations("fr")._catalog
    found = set()
    for key, french in catalogue.items():
        msgid = (key[0] if isinstance(key, tuple) else key).rpartition("\x04")[2]
        if key and (not isinstance(key, tuple) or key[1] == 0) and msgid and french != msgid \
                and "%(" not in msgid and "{" not in msgid and len(msgid) > 2:
            found.add(" ".join(msgid.split()))
    return found


def french_texts() -> set[str]:
    """The catalogues' French that is not also English (« Date » is both): what an English page
    must not show."""
    catalogue = translations("fr")._catalog
    found = set()
    for key, french in catalogue.items():
        msgid = (key[0] if isinstance(key, tuple) else key).rpartition("\x04")[2]
        if isinstance(french, str) and french != msgid and "%(" not in french \
                and "{" not in french and len(french) > 3:
            found.add(" ".join(french.split()))
    return found - translated_msgids()


def phrases_of(english: set[str], min_words: int = 3) -> re.Pattern:
    """The translated ids of ``min_words`` words or more, found inside longer texts (a sentence
    with a figure or a name in it), longest first. French pages look for two-word English too
    ("calendar days" in « 8 calendar days »): one regular expression, as fast either way."""
    phrases = sorted((m for m in english if len(m.split()) >= min_words), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, phrases)) + r")(?!\w)")


def offences_of(texts: list[str], foreign: set[str], phrases: re.Pattern,
                language: str = "English") -> Iterator[str]:
    """What a page shows wrongly: ``foreign`` texts (whole, or as phrases inside a text), codes
    and readings in place of a clause. Quotations of the seeds (« … ») are the terms' own words."""
    for text in texts:
        if text in foreign:
            yield f"{language}: {text!r}"
        elif not text.startswith("«") and (found := phrases.search(text)):
            yield f"{language}: {found[0]!r} in {text[:100]!r}"
        for code in SNAKE_CASE.findall(text):
            yield f"code: {code!r} in {text[:80]!r}"
        for match in READING.finditer(text):
            if not CLAUSE.search(text[:match.start()]):
                yield f"reading instead of a clause: {text[:100]!r}"



"""Explained amounts (``core.explain``) in the page's language. The rooms write their lines'
labels, formulas and notes in English with the figures inside ("17 months × 450,00 € of
monthly fees"); the API and the CLI keep that English. Pages translate them on rendering from
``locale/<lang>/explain.po``, whose msgids are either exact texts or patterns with named
placeholders (``{n} months × {rest}``): the placeholders' values are translated in turn, so
patterns compose ("Access fee — {offer}", "{from} to {to}"). A text no entry matches is shown
as written."""

from __future__ import annotations

import re
from functools import lru_cache

from babel.messages.pofile import read_po

from clausier.web.i18n import LOCALE_DIR, SOURCE_LANGUAGE, translations

CATALOGUE = "explain.po"
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What a placeholder may hold, by its name (default: any text).
KINDS = {
    "n": r"\d+", "days": r"\d+", "month_days": r"\d+", "count": r"\d+",
    "date": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-\d{2}", "start": r"\d{4}-\d{2}(?:-\d{2})?",
    "end": r"\d{4}-\d{2}(?:-\d{2})?",
    # what an availability is measured over, with its one parenthesised remark, so that the
    # clause after it keeps its own parentheses ("CP VII §4.1.1 (L5213-5218)")
    "basis": r"[^()]+(?: \([^()]+\))?",
}
MAX_DEPTH = 4


def _regex(msgid: str) -> re.Pattern:
    parts, last = [], 0
    for match in PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[last:match.start()]))
        name = match[1]
        parts.append(f"(?P<{name}>{KINDS.get(name, '.+?')})")
        last = match.end()
    parts.append(re.escape(msgid[last:]))
    return re.compile("".join(parts), re.DOTALL)


@lru_cache(maxsize=4)
def _patterns(language: str) -> tuple[tuple[re.Pattern, str], ...]:
    """The catalogue's patterns, the most specific (longest fixed text) first."""
    path = LOCALE_DIR / language / CATALOGUE
    if language == SOURCE_LANGUAGE or not path.is_file():
        return ()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = [(message.id, message.string) for message in catalog
             if message.id and message.string and PLACEHOLDER.search(message.id)]
    found.sort(key=lambda pair: -len(PLACEHOLDER.sub("", pair[0])))
    return tuple((_regex(msgid), msgstr) for msgid, msgstr in found)


def translate(text: str, language: str, depth: int = 0) -> str:
    """``text`` in ``language``: an exact catalogue entry, else the first pattern that matches
    the whole text, else the text unchanged."""
    if not text or language == SOURCE_LANGUAGE:
        return text
    exact = translations(language).gettext(text)
    if exact != text or depth >= MAX_DEPTH:
        return exact
    for regex, msgstr in _patterns(language):
        match = regex.fullmatch(text)
        if match:
            values = {name: translate(value, language, depth + 1)
                      for name, value in match.groupdict().items()}
            return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), msgstr)
    return text

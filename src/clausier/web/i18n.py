"""French by default, English available. Catalogues are ``locale/<lang>/*.po`` files (one per
room, so rooms do not edit the same file); they are compiled in memory at start-up, so there is
no build step."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT_LANGUAGE = "fr"
# Message ids are written in English; French comes from the catalogues.
SOURCE_LANGUAGE = "en"


@lru_cache(maxsize=4)
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    merged: Translations | None = None
    for po_file in sorted((LOCALE_DIR / language).glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded = Translations(buffer)
        merged = loaded if merged is None else merged.merge(loaded) or merged
    return merged or NullTranslations()


def gettext_for(language: str):
    return translations(language).gettext


def ngettext_for(language: str):
    return translations(language).ngettext

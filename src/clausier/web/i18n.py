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

# The languages are the domain's (a portal user's language is validated by its service); the web
# modules read them from here with the catalogues.
from clausier.core.languages import DEFAULT_LANGUAGE, LANGUAGES, SOURCE_LANGUAGE

LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:
    """A message id the catalogues translate where it is shown (marks it for extraction)."""
    return message


class PluralFormsMismatch(ValueError):
    """Catalogues of one language that count their plurals differently."""


@lru_cache(maxsize=4)
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    return load_catalogues(LOCALE_DIR / language, language)


def load_catalogues(directory: Path, language: str) -> NullTranslations:
    """The ``*.po`` files of ``directory`` compiled and merged into one catalogue."""
    merged: Translations | None = None
    first_plural_forms: tuple[Path, str] | None = None
    for po_file in sorted(directory.glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        # The header's Plural-Forms wins over Babel's CLDR rule (three forms for French since
        # Babel 2.19, where the catalogues have two). A merged catalogue keeps the plural rule
        # of its first file, so every file of the language must declare the same one.
        if first_plural_forms is None:
            first_plural_forms = (po_file, catalog.plural_forms)
        elif catalog.plural_forms != first_plural_forms[1]:
            raise PluralFormsMismatch(
                f"{po_file.name}: Plural-Forms {catalog.plural_forms!r} differs from "
                f"{first_plural_forms[1]!r} in {first_plural_forms[0].name}; "
                f"declare the same header in every {language} catalogue")
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

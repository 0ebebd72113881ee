"""French by default, English with ``?lang=en``; every text of the pages is translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from clausier.web.i18n import LOCALE_DIR, PluralFormsMismatch, load_catalogues, translations
from clausier.web.templating import environment

SRC = Path(__file__).resolve().parents[2] / "src" / "clausier"
TEMPLATES = SRC / "web" / "templates"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


def _msgids(path: Path) -> set[str]:
    method = "jinja2.ext:babel_extract" if path.suffix == ".html" else "python"
    with path.open("rb") as handle:
        found = extract(method, handle, keywords=KEYWORDS,
                        options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true"})
        # pgettext's ids are keyed "context\x04msgid" in a compiled catalogue
        return {(f"{m[3]}\x04" if m[3] else "") + (m[1] if isinstance(m[1], str) else m[1][0])
                for m in found}


# Pages, and the modules that write texts of pages outside views.py (the dashboard panels,
# the invoice PDF).
SOURCES = (sorted(TEMPLATES.rglob("*.html")) + sorted(SRC.glob("*/views.py"))
           + [SRC / "web" / "dashboard.py", SRC / "web" / "labels.py",
              SRC / "billing" / "documents" / "page.py"])


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_text_of_a_page_has_a_french_translation(source):
    # Some French words are the English ones (Action, Source…): look the msgid up, not its text.
    french = translations("fr")._catalog
    missing = sorted(m for m in _msgids(source) if m not in french and (m, 0) not in french)
    assert not missing, f"no French for {missing} — add them to {LOCALE_DIR}/fr/<room>.po"


def test_trans_blocks_and_underscore_use_the_language_of_the_request():
    template = environment.from_string(
        "{% trans %}Log in{% endtrans %} · {{ _('Password') }} · "
        "{% trans count=2 %}{{ count }} entry{% pluralize %}{{ count }} entries{% endtrans %}")
    for language, expected in (("fr", "Connexion · Mot de passe · 2 entrées"),
                               ("en", "Log in · Password · 2 entries")):
        catalog = translations(language)
        assert template.render(gettext=catalog.gettext, _=catalog.gettext,
                               ngettext=catalog.ngettext) == expected


def test_no_message_id_has_two_french_translations():
    """The room catalogues are merged into one, where the last file's entry would win: a word
    that reads differently by its context ("Record": a user record, a call record, the verb; a
    « annulé » subscription, a « annulée » invoice) takes a ``msgctxt`` and ``pgettext``."""
    found: dict[tuple, dict[str, str]] = {}
    for po_file in sorted((LOCALE_DIR / "fr").glob("*.po")):
        with po_file.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if message.id and message.string:
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    french = message.string if isinstance(message.string, str) \
                        else message.string[0]
                    found.setdefault((message.context, msgid), {})[po_file.name] = french
    clashes = {key: files for key, files in found.items() if len(set(files.values())) > 1}
    assert not clashes, f"one msgid, several French translations: {clashes}"


FRENCH_PLURAL_FORMS = "Plural-Forms: nplurals=2; plural=(n > 1);\\n"


@pytest.mark.parametrize("po_file", sorted(LOCALE_DIR.glob("*/*.po")), ids=lambda p: p.name)
def test_every_catalogue_pins_its_plural_forms(po_file):
    # Babel's CLDR rule changes between releases (French has three forms since 2.19).
    assert FRENCH_PLURAL_FORMS in po_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(("count", "expected"), [(0, "0 entrée"), (1, "1 entrée"),
                                                 (2, "2 entrées"), (1_000_000, "1000000 entrées")])
def test_french_plural_is_singular_below_two(count, expected):
    french = translations("fr")
    assert french.ngettext("%(count)s entry", "%(count)s entries", count) % {
        "count": count} == expected


def _write_po(path: Path, plural_forms_header: str) -> None:
    path.write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n' + plural_forms_header
                    + '\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
                    'msgstr[0] "%(n)s jour"\nmsgstr[1] "%(n)s jours"\n', encoding="utf-8")


def test_the_header_wins_over_babels_plural_rule(tmp_path):
    _write_po(tmp_path / "a.po", '"' + FRENCH_PLURAL_FORMS + '"')
    assert load_catalogues(tmp_path, "fr").ngettext("%(n)s day", "%(n)s days", 2) == "%(n)s jours"


def test_a_catalogue_without_the_header_is_refused_by_name(tmp_path):
    _write_po(tmp_path / "a.po", '"' + FRENCH_PLURAL_FORMS + '"')
    _write_po(tmp_path / "b.po", "")
    with pytest.raises(PluralFormsMismatch, match=r"^b\.po: Plural-Forms 'nplurals=3"):
        load_catalogues(tmp_path, "fr")


def test_login_page_is_french_by_default_and_english_on_request(client):
    french = client.get("/")
    assert french.status_code == 200
    assert "Connexion" in french.text and "Mot de passe" in french.text
    assert '<html lang="fr">' in french.text
    english = client.get("/?lang=en")
    assert "Log in" in english.text and "Password" in english.text
    assert "Mot de passe" not in english.text


def test_the_language_switch_is_remembered_by_the_session(client):
    client.get("/lang/en?next=/login", follow_redirects=False)
    assert "Password" in client.get("/login").text


def test_a_stored_code_reads_as_words_in_english_and_from_the_catalogue_in_french():
    """A status stored as a code (an invoice ``partly_paid``) reads as words on an English page
    and agrees with its noun in French (« annulée » invoice, « annulé » subscription)."""
    from clausier.web.templating import gettext_of

    assert gettext_of("en")[1]("invoice", "partly_paid") == "partly paid"
    assert gettext_of("en")[0]("Log in") == "Log in"
    assert gettext_of("fr")[1]("invoice", "cancelled") == "annulée par avoir"
    assert gettext_of("fr")[1]("subscription", "cancelled") == "annulé"

"""Issue 21, "Checks a browser makes": every page of each role's menu, in French and in English,
shows no text of the other language (the catalogues' ids on a French page, their French on an
English page), no raw ``snake_case`` code and no server error, and axe-core finds no serious or
critical accessibility violation on it (checked on the French visit: axe's rules do not change
with the language, and the walk checks the page's ``lang`` in both). Each page is screenshot
under ``test-artifacts/screenshots/menu-…``. One browser, one context per role, each page visited
once per language. The menu pages are the main menu's links and, for the back office, the tabs
of each section it opens (``web/navigation.py``). The staff roles other than the administrator
see the same pages with fewer forms: they are walked in French only, the language checks of the
English pages and axe's checks being the administrator's walk (the same markup, fewer forms)."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.a11y import axe_violations
from tests.browser.conftest import (CUSTOMER, SITE_DELEGATE, STAFF, console_errors, log_in,
                                    new_context, shot)
from tests.page_language import Page, french_texts, offences_of, phrases_of, translated_msgids

ROLES = {**{f"staff-{role}": account for role, account in STAFF.items()},
         "customer": CUSTOMER, "site-delegate": SITE_DELEGATE}
# What a page shows in the other language: (the foreign texts, their phrases, the name of that
# language in the offences' list).
LANGUAGES = {"fr": (translated_msgids, "English"), "en": (french_texts, "French")}


@pytest.fixture(scope="module")
def foreign_texts() -> dict[str, tuple[set[str], re.Pattern, str]]:
    found = {}
    for language, (texts_of, name) in LANGUAGES.items():
        texts = texts_of()
        found[language] = (texts, phrases_of(texts), name)
    return found


def _links(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("links => links.map(a => a.pathname + a.search)")


def menu_links(page) -> list[str]:
    """The same-origin links of the main menu and of the tabs of each of its sections."""
    found = list(dict.fromkeys(_links(page, "header nav a[href]")))
    for path in list(found):
        page.goto(path)
        found += [link for link in _links(page, "nav.tabs a[href]") if link not in found]
    return found


FRENCH_ONLY = ("staff-billing", "staff-support", "staff-sales")


def languages_of(role: str) -> tuple[str, ...]:
    return ("fr",) if role in FRENCH_ONLY else tuple(LANGUAGES)


def screenshot_name(role: str, language: str, path: str) -> str:
    return f"menu-{role}-{language}-" + (re.sub(r"\W+", "-", path).strip("-") or "home")


@pytest.mark.parametrize("role", list(ROLES))
def test_every_menu_page_of_a_role_in_french_and_english(chromium, server, foreign_texts,
                                                          role):
    context = new_context(chromium, server)
    page = context.new_page()
    errors = console_errors(page)
    offences: list[str] = []
    started = time.perf_counter()
    try:
        log_in(page, *ROLES[role])
        links = menu_links(page)
        assert len(links) >= 1, f"{role}: no menu on {page.url}"
        for language in languages_of(role):
            foreign, phrases, name = foreign_texts[language]
            page.goto(f"/lang/{language}?next=/")
            for path in links:
                response = page.goto(path)
                where = f"[{language}] {path}"
                if response is None or response.status >= 500:
                    offences.append(f"{where}: server error "
                                    f"{response.status if response else 'no answer'}")
                    continue
                if response.status >= 400:
                    offences.append(f"{where}: {response.status} for a link of the menu")
                if page.locator("html").get_attribute("lang") != language:
                    offences.append(f"{where}: the page is not in {language}")
                text = Page()
                text.feed(page.content())
                offences += [f"{where}: {what}"
                             for what in sorted(set(offences_of(text.texts, foreign, phrases,
                                                                name)))]
                if language == "fr" and role not in FRENCH_ONLY:
                    offences += [f"{where}: {what}" for what in axe_violations(page)]
                if role not in FRENCH_ONLY:     # the same pages as the administrator's
                    shot(page, screenshot_name(role, language, path))
    finally:
        context.close()
    print(f"{role}: {len(links)} menu pages × {len(languages_of(role))} languages in "
          f"{time.perf_counter() - started:.1f} s")
    assert not errors, f"errors in the browser console: {errors}"
    assert not offences, f"{len(offences)} offences:\n" + "\n".join(offences)

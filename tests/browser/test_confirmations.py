"""Destructive actions are set apart and confirmed (issue 21, "Screens"): a site administrator's
"Delete this record" sits in its own red zone, away from "Save", and asks before it deletes."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, shot

# Site portal (access/demo.py DEMO_SITES): site A's administrator.
SITE_ADMIN = ("site.admin@clausier.local", "clausier-site")


def test_deleting_a_record_asks_first_and_a_no_keeps_it(page):
    log_in(page, *SITE_ADMIN)
    page.wait_for_url(re.compile(r"/sites/\d+$"))     # one site: the portal opens on it
    page.get_by_role("link", name="Fiches").click()
    page.get_by_role("link", name=re.compile("Appartement 1")).click()
    page.wait_for_url(re.compile(r"/sites/\d+/records/\d+$"))
    record_url = page.url
    delete = page.get_by_role("button", name="Supprimer cette fiche")
    # set apart from the record's form, in the red zone, drawn differently from "Save"
    expect(page.locator("section.danger-zone").get_by_role("button")).to_have_text(
        "Supprimer cette fiche")
    assert (delete.evaluate("b => getComputedStyle(b).backgroundColor")
            != page.get_by_role("button", name="Enregistrer").evaluate(
                "b => getComputedStyle(b).backgroundColor"))
    shot(page, "site-record-danger-zone-fr")
    questions: list[str] = []

    def answer_no(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer_no)
    delete.click()
    assert questions == ["Supprimer cette fiche et ses identifiants ? Cette action est définitive."]
    assert page.url == record_url
    page.reload()
    expect(page.get_by_role("button", name="Supprimer cette fiche")).to_have_count(1)

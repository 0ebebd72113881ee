"""Presentation at the edge (issue 20 §5): the domain modules below build no dashboard card and
read no translation; their views do. This breaks the import cycle billing.service → web.dashboard
→ payments.invoices → billing.service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import clausier
from clausier.billing import views as billing_views
from clausier.payments import views as payments_views
from clausier.web.i18n import gettext_for

PACKAGE = Path(clausier.__file__).parent
# The edges: pages, API, CLI, the demo loader, what renders documents for people, and the wiring
# (the rooms' manifests and their list).
EDGE_FILES = {"views.py", "api.py", "cli.py", "demo.py", "pdf.py", "room.py", "rooms.py"}
EDGE_PACKAGES = {"web", "api", "cli", "demo", "documents", "notifications"}
DOMAIN_MODULES = sorted(
    str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
    if path.name not in EDGE_FILES and not EDGE_PACKAGES & set(path.relative_to(PACKAGE).parts))


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_the_domain_module_imports_nothing_of_the_web_layer(module):
    web = {name for name in imported_modules(PACKAGE / module) if name.startswith("clausier.web")}
    assert web == set()


def test_the_billing_and_dunning_cards_come_from_the_views_in_french(session):
    french = gettext_for("fr")
    cards = billing_views.dashboard_cards(session, french) + payments_views.dashboard_cards(session, french)
    assert [(c.title, c.figure, c.link) for c in cards] == [
        ("Factures émises", "0", "/billing/invoices"),
        ("Factures échues impayées", "0", "/billing/invoices?status=overdue"),
        ("Dossiers de relance", "0", "/payments/dunning"),
        ("Étapes à décider", "0", "/payments/dunning"),
    ]


def test_the_dashboard_shows_the_cards_of_the_views(staff_client):
    # The rooms' manifests name the card providers; the page proves they are the views'.
    page = staff_client.get("/")
    assert page.status_code == 200
    assert "Factures émises" in page.text and "Dossiers de relance" in page.text

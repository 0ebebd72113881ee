"""The back office's menu: sections, each with its pages, so that every page of the back office
is reachable from the menu (issue 21, "Navigation"). A page belongs to the room that serves it;
a room the application does not list (``clausier.rooms``) brings no link. The section of the
page being read shows its pages as a second row of tabs, the current one marked."""

from __future__ import annotations

from dataclasses import dataclass

from clausier.rooms import ROOMS
from clausier.web.i18n import N_


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    room: str | None = None      # None: the web room's own


@dataclass(frozen=True)
class Section:
    title: str
    pages: tuple[Page, ...]

    @property
    def path(self) -> str:
        return self.pages[0].path


STAFF_MENU: tuple[Section, ...] = (
    Section(N_("Dashboard"), (Page("/", N_("Dashboard")),)),
    Section(N_("Customers"), (Page("/customers", N_("Customers"), "customers"),)),
    Section(N_("Contracts"), (Page("/contracts", N_("Contracts"), "contracts"),)),
    Section(N_("Billing"), (Page("/billing/invoices", N_("Invoices"), "billing"),
                            Page("/billing/runs", N_("Bill runs"), "billing"))),
    Section(N_("Collections"), (Page("/payments/dunning", N_("Dunning"), "payments"),
                                Page("/payments/outbox", N_("Letters and messages"), "payments"))),
    Section(N_("Support"), (Page("/support/tickets", N_("Tickets"), "support"),
                            Page("/support/sla", N_("Service levels"), "support"))),
    Section(N_("Usage"), (Page("/usage/imports", N_("Call records"), "rating"),
                          Page("/usage/breaches", N_("Fair-use breaches"), "rating"),
                          Page("/usage/alerts", N_("Fraud alerts"), "rating"))),
    Section(N_("Equipment"), (Page("/equipment", N_("Inventory"), "equipment"),
                              Page("/equipment/returns", N_("Returns"), "equipment"))),
    Section(N_("Numbers"), (Page("/numbers", N_("Numbers"), "numbers"),
                            Page("/ports", N_("Porting"), "numbers"))),
    Section(N_("Access control"), (Page("/access/packs", N_("Access packs"), "access"),
                                   Page("/sites", N_("Sites"), "access"))),
    Section(N_("Catalogue"), (Page("/catalog", N_("Catalogue"), "catalog"),
                              Page("/terms", N_("Term sheets"), "terms"))),
    Section(N_("Personal data"), (Page("/privacy", N_("Requests"), "privacy"),
                                  Page("/privacy/register", N_("Processing register"), "privacy"),
                                  Page("/privacy/processor", N_("Processor duties"), "privacy"),
                                  Page("/audit", N_("Audit trail"), "audit"))),
    Section(N_("Workers"), (Page("/workers/dead-letters", N_("Dead letters"), "workers"),)),
)


def staff_menu() -> tuple[Section, ...]:
    """The menu with the pages of the rooms the application lists."""
    listed = {room.name for room in ROOMS}
    menu = []
    for section in STAFF_MENU:
        pages = tuple(page for page in section.pages if page.room is None or page.room in listed)
        if pages:
            menu.append(Section(section.title, pages))
    return tuple(menu)


def current_section(menu: tuple[Section, ...], path: str) -> Section | None:
    """The section of the page at ``path`` (``/customers/12`` is under ``/customers``), the
    page with the longest path winning (``/privacy/register`` before ``/privacy``)."""
    found, found_length = None, -1
    for section in menu:
        for page in section.pages:
            under = path == page.path or (page.path != "/" and path.startswith(page.path + "/"))
            if under and len(page.path) > found_length:
                found, found_length = section, len(page.path)
    return found


# The site portal's pages (``access`` room), one tab each: the back office's navigation for a
# site administrator or delegate, drawn from the first page.
SITE_PAGES: tuple[tuple[str, str], ...] = (
    ("", N_("Overview")), ("/records", N_("User records")),
    ("/schedules", N_("Access points and time slots")), ("/delegates", N_("Delegates")),
    ("/devices", N_("Devices")), ("/events", N_("Events")),
)


def site_menu(site_ids: list[int], current: int | None = None) -> tuple[Section, ...]:
    """The menu of a site user: the site picker first when they have several sites, then the
    pages of the site being read (``current``), else of their first site. No site, no tab but
    the picker."""
    menu = [Section(N_("My sites"), (Page("/sites", N_("My sites"), "access"),))] \
        if len(site_ids) != 1 else []
    site = current if current in site_ids else (site_ids[0] if site_ids else None)
    if site is not None:
        menu += [Section(title, (Page(f"/sites/{site}{suffix}", title, "access"),))
                 for suffix, title in SITE_PAGES]
    return tuple(menu)

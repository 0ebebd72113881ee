"""Term-sheet pages: the list of sheets, a sheet organised by family and topic (each value in
words beside its clause, searchable by clause or article), readings and lint result, and a
family's merged terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup, escape
from pydantic import BaseModel

from clausier.api.deps import Ctx, staff_ctx
from clausier.terms import service
from clausier.terms.lint import lint_sheet
from clausier.terms.schema import BLOCK_NAMES, Band, Sourced, SourceRef, Terms, TermSheet
from clausier.web import labels
from clausier.web.i18n import SOURCE_LANGUAGE, translations
from clausier.web.templating import filters_for, identifiers, language_of, render

router = APIRouter(include_in_schema=False)

# Fields whose figure is an amount of money (the others are counts, durations or percentages).
MONEY = {"amount", "recovery_indemnity", "rejected_debit_fee", "removal_fee_during_commitment",
         "shipping_fee_on_equipment_change"}
# A reading a note names ("reading OZ-TELEPHONY-DOWNGRADE-IN-PACK"), linked to it.
READING_MENTION = re.compile(r"(?<=reading )([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)")
# Where a value's word may be found, after the sheet's own words.
VALUE_TABLES = ("term_value", "termination_ground", "dunning_action", "family", "unit",
                "excusable_event", "retained_data", "retention_start", "data_category", "weekday")


@dataclass(frozen=True)
class Line:
    """One value of a sheet as people read it: what it is, the value, and its clause."""

    label: Markup
    value: Markup
    src: SourceRef | None

    def matches(self, query: str) -> bool:
        clause = "" if self.src is None else f"{self.src} {self.src.reading or ''}"
        return query in f"{clause} {self.label.striptags()}".casefold()


@dataclass(frozen=True)
class Topic:
    code: str
    title: str
    lines: list[Line]


class Words:
    """The page's language for a sheet's names, figures and values."""

    def __init__(self, language: str):
        self.catalogue = translations(language)
        self.language = language
        self.f = filters_for(language)

    def label(self, table: str, code: str) -> str:
        return labels.label(self.catalogue, table, code)

    def name(self, code: str) -> Markup:
        """A field's label; a name the sheet gives (a named amount, figure or flag) is its own
        identifier, shown as code."""
        if code in labels.TERM_FIELDS:
            return escape(self.label("term_field", code))
        return Markup("<code>{}</code>").format(code)

    def word(self, value: str) -> Markup:
        for table in VALUE_TABLES:
            if value in labels.TABLES[table]:
                return escape(self.label(table, value))
        if "_" in value and value.replace("_", "").isalnum() and value.islower():
            return Markup("<code>{}</code>").format(value)
        # a word the catalogues know (« invoice »), else the sheet's own text (an index name)
        return escape(self.catalogue.gettext(value) if value.isalpha() else value)

    def count(self, name: str, figure: Decimal | int) -> Markup:
        """A figure in its unit, read from the field's name (``notice_days``: days)."""
        shown = self.f["number"](figure)
        # gettext counts in integers: a fraction (1.5 months) reads as a plural
        count = int(figure) if figure == int(figure) else 2

        def n(singular: str, plural: str, _: object) -> str:
            return self.catalogue.ngettext(singular, plural, count)

        words = set(name.split("_"))
        if "months" in words:
            return escape(n("%(count)s month", "%(count)s months", figure) % {"count": shown})
        if {"business", "days"} <= words:
            return escape(n("%(count)s business day", "%(count)s business days", figure)
                          % {"count": shown})
        if "days" in words:
            return escape(n("%(count)s day", "%(count)s days", figure) % {"count": shown})
        if words & {"hours", "hour"}:
            return escape(f"{shown} h")
        if "minutes" in words:
            return escape(f"{shown} min")
        if "percent" in words:
            return escape(f"{shown} %")
        if name in MONEY:
            return escape(self.f["money"](figure))
        return escape(shown)

    def value(self, name: str, value: object) -> Markup:
        if isinstance(value, bool):
            gettext = self.catalogue.gettext
            return escape(gettext("yes") if value else gettext("no"))
        if isinstance(value, Decimal | int):
            return self.count(name, value)
        if isinstance(value, list):
            return Markup(", ").join(self.value(name, item) for item in value)
        if isinstance(value, dict):
            return Markup("; ").join(Markup("{} : {}").format(self.word(str(key)),
                                                             self.value(name, item))
                                     for key, item in value.items())
        return self.word(str(value))

    def band(self, band: Band) -> Markup:
        left = "[" if band.lower_inclusive else "]"
        right = "]" if band.upper_inclusive else "["
        lower = "-∞" if band.lower is None else self.f["number"](band.lower)
        upper = "+∞" if band.upper is None else self.f["number"](band.upper)
        access = f" ({band.access})" if band.access else ""
        return escape(f"{left}{lower} ; {upper}{right}{access} → "
                      f"{self.f['number'](band.percent)} %")

    def rule(self, rule: BaseModel) -> Markup:
        """A rule of several figures (a fee, a step, a threshold…): its kind, then each figure."""
        values = {name: getattr(rule, name) for name in type(rule).model_fields
                  if name not in ("src", "kind")}
        shown = [self.word(rule.kind)] if hasattr(rule, "kind") else []
        shown += [Markup("{} : {}").format(self.name(name), self.part(name, value))
                  for name, value in values.items() if value not in (None, "", [], {})]
        return Markup(" · ").join(shown)

    def part(self, name: str, value: object) -> Markup:
        if isinstance(value, BaseModel):       # a fee rule within a rule, with its own clause
            src = getattr(value, "src", None)
            clause = f" — {src.model_copy(update={'reading': None})}" if src and src.article else ""
            return Markup("({}{})").format(self.rule(value), clause)
        if name == "note":
            return self.note(value)
        return self.value(name, value)

    def note(self, text: str) -> Markup:
        """A note of the sheet, written in English; the readings it names link to them."""
        linked = READING_MENTION.sub(
            lambda m: str(Markup('<a href="#reading-{0}">{0}</a>').format(m[1])),
            str(identifiers(text)))
        if self.language == SOURCE_LANGUAGE:
            return Markup(linked)
        return Markup('<span lang="en">{}</span>').format(Markup(linked))


def lines_of(node: object, name: str, words: Words, within: Markup | None = None) -> list[Line]:
    """The lines of a block's field ``name`` holding ``node``; a nested block's lines are named
    after it (« rétablissement · plafond »)."""
    label = words.name(name) if within is None else Markup("{} · {}").format(within,
                                                                           words.name(name))
    if node is None or node == [] or node == "":
        return []
    if isinstance(node, Sourced):
        return [Line(label, words.value(name, node.value), node.src)]
    if isinstance(node, Band):
        return [Line(label, words.band(node), node.src)]
    if isinstance(node, BaseModel) and isinstance(getattr(node, "src", None), SourceRef):
        return [Line(label, words.rule(node), node.src)]
    if isinstance(node, BaseModel):
        return [line for field in type(node).model_fields
                for line in lines_of(getattr(node, field), field, words,
                                     None if name in BLOCK_NAMES else label)]
    if isinstance(node, list):
        return [line for item in node for line in lines_of(item, name, words, within)]
    return [Line(label, words.value(name, node), None)]


def topics_of(section: Terms, words: Words, query: str = "") -> list[Topic]:
    found = []
    for code in BLOCK_NAMES:
        lines = lines_of(getattr(section, code), code, words)
        if query:
            lines = [line for line in lines if line.matches(query)]
        if lines:
            found.append(Topic(code, words.label("term_topic", code), lines))
    return found


def readings_in(topics: list[Topic]) -> dict[str, list[Markup]]:
    """The values each reading settles, named « topic · value »."""
    used: dict[str, list[Markup]] = {}
    for topic in topics:
        for line in topic.lines:
            if line.src is not None and line.src.reading:
                used.setdefault(line.src.reading, []).append(
                    Markup("{} · {}").format(topic.title, line.label))
    return used


def cited_clauses(sheet: TermSheet) -> dict[str, str]:
    """The clause of each value's source, without its reading: the article and lines it cites,
    else those of the clause its reading applies (a reading follows a clause, never replaces
    it)."""
    return {reading.id: str(reading.cited_clause) for reading in sheet.readings
            if reading.cited_clause is not None}


def clause_of(src: SourceRef, cited: dict[str, str]) -> str:
    if src.article:
        return str(src.model_copy(update={"reading": None}))
    return cited.get(src.reading or "", "")


@router.get("/terms")
def sheets(request: Request, ctx: Ctx = Depends(staff_ctx)):
    grouped = [(sheet_id, list(versions)) for sheet_id, versions in
               groupby(service.list_versions(ctx.session), key=lambda v: v.sheet_id)]
    return render(request, "terms/list.html", {"sheets": grouped})


@router.get("/terms/{sheet_id}")
def sheet_page(request: Request, sheet_id: str, version: int | None = None, q: str = "",
               ctx: Ctx = Depends(staff_ctx)):
    sheet = service.get_sheet(ctx.session, sheet_id, version)
    words = Words(language_of(request))
    query = q.strip().casefold()
    general = topics_of(sheet.general, words, query)
    families = {name: topics_of(family, words, query) for name, family in sheet.families.items()}
    every_topic = general + [topic for topics in families.values() for topic in topics]
    return render(request, "terms/sheet.html", {
        "sheet": sheet, "general": general, "families": families, "q": q.strip(),
        "matches": sum(len(topic.lines) for topic in every_topic),
        "used_by": readings_in(every_topic), "cited": cited_clauses(sheet),
        "clause_of": clause_of,
        "problems": lint_sheet(sheet),
        "versions": service.list_versions(ctx.session, sheet_id),
    })


@router.get("/terms/{sheet_id}/families/{family}")
def family_page(request: Request, sheet_id: str, family: str, version: int | None = None,
                ctx: Ctx = Depends(staff_ctx)):
    sheet = service.get_sheet(ctx.session, sheet_id, version)
    terms = service.family_terms(ctx.session, sheet_id, family, sheet.version)
    return render(request, "terms/family.html", {
        "sheet": sheet, "name": family, "family": sheet.families[family],
        "topics": topics_of(terms, Words(language_of(request))), "cited": cited_clauses(sheet),
        "clause_of": clause_of,
    })

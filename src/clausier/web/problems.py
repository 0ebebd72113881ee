"""Bad input told in the reader's language. English keeps the rooms' ``field: reason``; French
names the field by its label (« Le champ « Date de début » est obligatoire »), with Pydantic's
refusals worded by their type and the rooms' common reasons by their shape, through the
catalogues (``locale/fr/problems.po``). A reason of another shape is shown as written."""

from __future__ import annotations

import re

from clausier.core.errors import ClausierError, Problem
from clausier.web.i18n import LANGUAGES, SOURCE_LANGUAGE, N_, gettext_for


# Pydantic's error types (``pydantic_core`` ErrorType) and what they say, with the error's
# context for the placeholders.
PYDANTIC_REASONS = {
    "missing": N_("is required"),
    "string_too_long": N_("must have at most {max_length} characters"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "int_parsing": N_("must be a whole number"), "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "decimal_parsing": N_("must be a number"), "decimal_type": N_("must be a number"),
    "float_parsing": N_("must be a number"), "float_type": N_("must be a number"),
    "decimal_max_places": N_("must have at most {decimal_places} decimals"),
    "decimal_max_digits": N_("must have at most {max_digits} digits"),
    "date_parsing": N_("must be a date (YYYY-MM-DD)"), "date_type": N_("must be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("must be a date (YYYY-MM-DD)"),
    "datetime_parsing": N_("must be a date and time"), "datetime_type": N_("must be a date and time"),
    "datetime_from_date_parsing": N_("must be a date and time"),
    "bool_parsing": N_("must be true or false"), "bool_type": N_("must be true or false"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "literal_error": N_("must be one of {expected}"), "enum": N_("must be one of {expected}"),
    "extra_forbidden": N_("is not a field of this request"),
    "string_type": N_("must be a text"),
}
# The rooms' reasons of a common shape (``InvalidInput.on(field, f"{value!r} is not one of …")``).
REASON_SHAPES = (
    (re.compile(r"^(?P<value>'[^']*'|\"[^\"]*\"|\S+) is not one of (?P<choices>.+)$"),
     N_("{value} is not one of the values allowed: {choices}")),
    (re.compile(r"^(?:is )?required$"), N_("is required")),
)
_INDEX = re.compile(r"^\d+$")
_LOCATIONS = frozenset({"query", "path", "header", "cookie", "form"})


def language_of_api(accept_language: str | None) -> str:
    """The language a client asks for (``Accept-Language``, by preference), English when it asks
    for none the catalogues have: an API client reads the English of its documentation."""
    wanted = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            wanted.append((-weight, position, tag.split("-")[0].lower()))
    return next((tag for weight, _, tag in sorted(wanted) if weight < 0 and tag in LANGUAGES),
                SOURCE_LANGUAGE)


def field_label(field: str, language: str) -> str:
    """``start_date`` as its label, « Date de début »; ``segments.0`` « Segments (n° 1) »."""
    gettext = gettext_for(language)
    words = []
    parts = field.split(".")
    if len(parts) > 1 and parts[0] in _LOCATIONS:      # where FastAPI read it: not the user's word
        parts = parts[1:]
    for part in parts:
        if _INDEX.match(part) and words:
            words[-1] += gettext(" (no. {n})").format(n=int(part) + 1)
        else:
            words.append(gettext(part.replace("_", " ").capitalize()))
    return " › ".join(words)


def reason_text(reason: str, language: str, kind: str | None = None, context: dict | None = None
                ) -> str:
    """A reason in ``language``: a Pydantic error by its ``kind``, a room's by its shape."""
    gettext = gettext_for(language)
    if kind in PYDANTIC_REASONS:
        values = {name: _listed(value) for name, value in (context or {}).items()}
        return gettext(PYDANTIC_REASONS[kind]).format_map(_Missing(values))
    for shape, message in REASON_SHAPES:
        if match := shape.match(reason):
            found = match.groupdict()
            if "value" in found:
                found["value"] = _quoted(found["value"], language)
            return gettext(message).format(**found)
    return reason


def problem_text(problem: Problem, language: str, kind: str | None = None,
                 context: dict | None = None) -> str:
    """``field: reason`` in English; in French, the field by its label and the reason."""
    if language == SOURCE_LANGUAGE:
        return str(problem)
    gettext = gettext_for(language)
    reason = reason_text(problem.reason, language, kind, context)
    label = field_label(problem.field, language)
    where = gettext("line {n}: ").format(n=problem.line) if problem.line is not None else ""
    if kind in PYDANTIC_REASONS or any(shape.match(problem.reason) and message == "is required"
                                       for shape, message in REASON_SHAPES):
        return where + gettext("The field “{field}” {reason}").format(field=label, reason=reason)
    return where + gettext("The field “{field}”: {reason}").format(field=label, reason=reason)


def error_text(exc: ClausierError, language: str) -> str:
    """What a page or a problem+json shows of an error: its problems in ``language``."""
    if language == SOURCE_LANGUAGE:
        return exc.message
    problems = exc.problems
    if not problems:
        field, separator, reason = exc.message.partition(": ")
        if not separator or " " in field:
            return exc.message
        problems = [Problem(field, reason)]
    return "; ".join(problem_text(problem, language) for problem in problems)


def _listed(value) -> object:
    """A context's list of values, comma-separated: Pydantic writes ``'a' or 'b'`` in English."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return _ENGLISH_OR.sub(", ", value) if isinstance(value, str) else value


_ENGLISH_OR = re.compile(r",? or (?=')")


def _quoted(value: str, language: str) -> str:
    """A value the input gave, in the language's quotation marks (« sam »)."""
    bare = value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] else value
    return f"« {bare} »" if language == "fr" else repr(bare)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"

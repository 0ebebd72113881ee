"""Errors that name the field and the reason; adapters turn them into problem+json or CLI text."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass
class Problem:
    """One thing wrong with the input: where (field, or file line) and why."""

    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.reason}"


class ClausierError(Exception):
    """Base error; ``status`` is the HTTP status an API returns for it, ``code`` a stable machine
    code (the class's by default, or a precise one: ``customer_not_found``, a refusal's) and
    ``clause`` the term sheet's clause that refused, when one did."""

    status = 400
    title = "Invalid request"
    code = "invalid_request"

    def __init__(self, message: str, *, problems: list[Problem] | None = None,
                 code: str | None = None, clause: str | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        if code:
            self.code = str(code)
        self.clause = clause or None

    def to_problem(self) -> dict:
        body: dict = {"type": "about:blank", "title": self.title, "status": self.status,
                      "detail": self.message, "code": self.code}
        if self.clause:
            body["clause"] = self.clause
        if self.problems:
            body["errors"] = [
                {"field": p.field, "reason": p.reason, **({"line": p.line} if p.line else {})}
                for p in self.problems
            ]
        return body


class InvalidInput(ClausierError):
    status = 422
    title = "Invalid input"
    code = "invalid_input"

    @classmethod
    def on(cls, field_name: str, reason: str, *, code: str | None = None) -> InvalidInput:
        return cls(f"{field_name}: {reason}", problems=[Problem(field_name, reason)], code=code)


def one_of(choices: type[StrEnum], value: str, *, field: str, code: str) -> StrEnum:
    """``value`` as a member of the closed list ``choices`` (a room's statuses), or
    :class:`InvalidInput` naming the field, the value and the list — e.g. a list filtered by a
    status its column could not hold."""
    if value not in set(choices):
        raise InvalidInput.on(field, f"{value!r} is not one of {', '.join(choices)}", code=str(code))
    return choices(value)


class NotFound(ClausierError):
    """``resource`` names what was looked for: its code is then ``<resource>_not_found``."""

    status = 404
    title = "Not found"
    code = "not_found"

    def __init__(self, message: str, *, resource: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        if resource:
            self.code = f"{resource}_not_found"


class Conflict(ClausierError):
    status = 409
    title = "Conflict"
    code = "conflict"


class NotAllowed(ClausierError):
    """Refused by the contract's terms or by the state of the object (a rule, not a bug)."""

    status = 409
    title = "Not allowed by the terms"
    code = "not_allowed"


class Forbidden(ClausierError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


class Unauthenticated(ClausierError):
    """No valid session or API token: pages send the user to the login form, the API says 401."""

    status = 401
    title = "Not authenticated"
    code = "unauthenticated"


class RefusalCode(StrEnum):
    """Base of a room's refusal codes: one member per meaning, written ``notice_too_short =
    auto()`` (the code is the member's name). ``tests/core/test_refusal_codes.py`` collects every
    subclass and fails on a code two rooms share or one not in snake_case."""


class RuleRefusal(ValueError):
    """A rule's refusal (``rules.py`` raises it): a stable machine ``code``, the ``field`` (input
    or term path) it concerns, the ``reason`` in English and the sheet's ``clause`` when one
    refused. ``str()`` is "field: reason". A service turns it into the error it means
    (``as_error(NotAllowed)``) keeping the code and the clause; one that reaches an adapter is
    still the input's fault, so it is shown as invalid input naming the field, not as a crash."""

    def __init__(self, code: RefusalCode, field: str, reason: str, clause: str | None = None):
        super().__init__(f"{field}: {reason}")
        self.code = str(code)
        self.field = field
        self.reason = reason
        self.clause = clause or None

    def __reduce__(self):
        # A refusal raised on a worker crosses back to the caller pickled: rebuild it whole.
        return type(self), (self.code, self.field, self.reason, self.clause)

    def as_error(self, kind: type[ClausierError], *, of: str | None = None) -> ClausierError:
        """The service's ``kind`` of error saying this refusal (``of``: what it concerns, a
        subscription's ref, written before it)."""
        return kind(f"{of}: {self}" if of else str(self), code=self.code, clause=self.clause)

    def as_invalid_input(self) -> InvalidInput:
        return InvalidInput(str(self), problems=[Problem(self.field, self.reason)], code=self.code,
                            clause=self.clause)


@dataclass
class Report:
    """Row-by-row outcome of a file import: what was taken, what was refused and why."""

    accepted: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

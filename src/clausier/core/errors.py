"""Errors that name the field and the reason; adapters turn them into problem+json or CLI text."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """Base error; ``status`` is the HTTP status an API returns for it."""

    status = 400
    title = "Invalid request"

    def __init__(self, message: str, *, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def to_problem(self) -> dict:
        body: dict = {"type": "about:blank", "title": self.title, "status": self.status,
                      "detail": self.message}
        if self.problems:
            body["errors"] = [
                {"field": p.field, "reason": p.reason, **({"line": p.line} if p.line else {})}
                for p in self.problems
            ]
        return body


class InvalidInput(ClausierError):
    status = 422
    title = "Invalid input"

    @classmethod
    def on(cls, field_name: str, reason: str) -> InvalidInput:
        return cls(f"{field_name}: {reason}", problems=[Problem(field_name, reason)])


class NotFound(ClausierError):
    status = 404
    title = "Not found"


class Conflict(ClausierError):
    status = 409
    title = "Conflict"


class NotAllowed(ClausierError):
    """Refused by the contract's terms or by the state of the object (a rule, not a bug)."""

    status = 409
    title = "Not allowed by the terms"


class Forbidden(ClausierError):
    status = 403
    title = "Forbidden"


class Unauthenticated(ClausierError):
    """No valid session or API token: pages send the user to the login form, the API says 401."""

    status = 401
    title = "Not authenticated"


class RuleRefusal(ValueError):
    """Base of the rooms' rule errors (``rules.py`` raises them, worded "field: reason"). A
    service turns them into the error it means; one that reaches an adapter is still the
    input's fault, so it is shown as invalid input naming the field rather than as a crash."""

    def as_invalid_input(self) -> InvalidInput:
        field_name, separator, reason = str(self).partition(": ")
        if not separator or " " in field_name:
            return InvalidInput(str(self))
        return InvalidInput.on(field_name, reason)


@dataclass
class Report:
    """Row-by-row outcome of a file import: what was taken, what was refused and why."""

    accepted: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

"""The CDR file format (*comptes rendus d'appels*) and its row-by-row validation, vectorised.

The format — the columns, their values, the rows rejected and the files refused — is
documented for the people who export the files in ``docs/CDR.md``; ``COLUMNS``, ``TYPES``,
``TRAFFIC`` and ``MAX_BYTES`` below are what this module checks, and a test keeps the two alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import polars as pl

from clausier.core.clock import PARIS

COLUMNS = ("record_id", "service", "start", "duration", "calling", "called", "direction", "type",
           "bytes", "origin_country", "terminating_operator", "forwarded", "traffic", "forwarded_to")
OPTIONAL = ("traffic", "forwarded_to")
REQUIRED = tuple(name for name in COLUMNS if name not in OPTIONAL)
DIRECTIONS = ("out", "in")
TYPES = ("voice", "sms", "mms", "data", "callback")
TRAFFIC = ("interpersonal", "automated", "platform")
# The longest value each text field may hold, in bytes of UTF-8: longer is an error of the
# network's export, never data. A number is at most 15 digits (ITU-T E.164); 32 leaves room for
# an international prefix and separators. A record id is the network's key (a UUID is 36
# characters); 120 takes composite keys and is the width of ``cdr_rejects.record_id``, where a
# rejected record's id is kept. A service identifier is at most the 60 characters of
# ``subscriptions.service_identifier``. Every record keeps these, so they also bound the store.
MAX_BYTES: Final = {"record_id": 120, "service": 60, "calling": 32, "called": 32,
                    "terminating_operator": 64, "forwarded_to": 32}
PHONE_NUMBER = r"^\+?[0-9][0-9 .\-()/]*$"
# Fields beyond the header land here (reading with one spare column): the row is rejected.
EXTRA = "_extra"
QUOTED_CHARS = 40
TRUE_TEXT = ("1", "true")
FALSE_TEXT = ("0", "false", "")

# Keywords are stored as enums: cheaper to write, read and compare than millions of strings.
KEYWORDS = {"direction": pl.Enum(DIRECTIONS), "type": pl.Enum(TYPES), "traffic": pl.Enum(TRAFFIC)}

# The stored (imported) record: what every later stage reads.
STORED_SCHEMA = {
    "record_id": pl.String, "service": pl.String, "start": pl.Datetime("ms", "UTC"),
    "duration": pl.Int64, "calling": pl.String, "called": pl.String, "direction": KEYWORDS["direction"],
    "type": KEYWORDS["type"], "bytes": pl.Int64, "origin_country": pl.String,
    "terminating_operator": pl.String, "forwarded": pl.Boolean, "traffic": KEYWORDS["traffic"],
    "forwarded_to": pl.String,
    "line": pl.Int64, "subscription_id": pl.Int64, "customer_id": pl.Int64,
    "batch_id": pl.Int64,
}


def _utc_offsets() -> dict[str, int]:
    """Every UTC offset a record may carry (``Z``, ``+hh:mm``, ``+hhmm``, ``+hh``; −12:00 to
    +14:00 in quarter hours) → minutes east of UTC."""
    offsets = {"Z": 0}
    for quarter in range(-48, 57):
        minutes = quarter * 15
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        offsets[f"{sign}{hours:02d}:{rest:02d}"] = offsets[f"{sign}{hours:02d}{rest:02d}"] = minutes
        if rest == 0:
            offsets[f"{sign}{hours:02d}"] = minutes
    return offsets


UTC_OFFSETS = _utc_offsets()


def _parse_start(text: pl.Expr, with_fractions: bool) -> pl.Expr:
    """``YYYY-MM-DDThh:mm:ss[.fff]`` then ``Z``, ``+hh:mm`` or ``+hhmm``, as a UTC instant.
    Parsed in cheap parts (naive date-time, offset looked up in a table, fraction only when a
    record of the chunk has one) rather than with ``%#z``, which is several times slower on
    millions of rows. Without fractions, anything after the seconds must be an offset."""
    local = text.str.slice(0, 19).str.to_datetime(format="%Y-%m-%dT%H:%M:%S", strict=False,
                                                  time_unit="ms", cache=False)
    rest = text.str.slice(19)
    if not with_fractions:
        offset = rest.replace_strict(UTC_OFFSETS, default=None, return_dtype=pl.Int64)
        return (local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC")
    fraction = rest.str.extract(r"^\.(\d{1,9})", 1)
    millis = fraction.str.slice(0, 3).str.pad_end(3, "0").cast(pl.Int64).fill_null(0)
    offset = rest.str.strip_chars_start(".0123456789").replace_strict(
        UTC_OFFSETS, default=None, return_dtype=pl.Int64)
    bad_fraction = rest.str.starts_with(".") & fraction.is_null()
    instant = local + pl.duration(milliseconds=millis) - pl.duration(minutes=offset)
    return (pl.when(bad_fraction).then(pl.lit(None, pl.Datetime("ms"))).otherwise(instant)
            .dt.replace_time_zone("UTC"))


def _paris_months() -> tuple[pl.Series, pl.Series]:
    """The UTC instants at which each month of 1970–2199 begins in Paris, and the months as
    YYYYMM: a record's month is then a binary search, far cheaper than converting millions of
    instants to the Paris time zone."""
    months = [(year, month) for year in range(1970, 2200) for month in range(1, 13)]
    starts = [datetime(year, month, 1, tzinfo=PARIS) for year, month in months]
    return (pl.Series("starts", starts, pl.Datetime("ms", "UTC")),
            pl.Series("yyyymm", [196912] + [year * 100 + month for year, month in months], pl.Int32))


MONTH_STARTS, MONTH_CODES = _paris_months()
# Starts outside the months above would be filed under a wrong month: they are rejected.
FIRST_START = pl.lit(MONTH_STARTS[0], pl.Datetime("ms", "UTC"))
END_START = (pl.lit(datetime(2200, 1, 1, tzinfo=PARIS)).dt.convert_time_zone("UTC")
             .dt.cast_time_unit("ms"))


def month_text(yyyymm: int) -> str:
    """A ``yyyymm`` code as the store names months: ``2026-10``."""
    return f"{yyyymm // 100:04d}-{yyyymm % 100:02d}"


def paris_month(instants: pl.Series) -> pl.Series:
    """YYYYMM of each instant in Europe/Paris (null stays null)."""
    codes = MONTH_CODES.gather(MONTH_STARTS.search_sorted(instants.fill_null(MONTH_STARTS[0]), side="right"))
    return codes.scatter(instants.is_null().arg_true(), None) if instants.null_count() else codes


def _int(text: pl.Expr) -> pl.Expr:
    return text.cast(pl.Int64, strict=False)


# Checks in the order they are reported: (field, reason, whether the reason quotes the value).
def _too_long(field: str) -> tuple[str, str, bool]:
    return (field, f"longer than {MAX_BYTES[field]} bytes", False)


CHECKS = (
    ("row", "more fields than the header has columns", False),
    ("record_id", "missing", False),
    _too_long("record_id"),
    ("service", "missing", False),
    _too_long("service"),
    ("start", "not an ISO 8601 date-time with offset (YYYY-MM-DDThh:mm:ss+hh:mm)", False),
    ("start", "before 1970-01-01 or after 2199-12-31", False),
    ("duration", "not a whole number of seconds", False),
    ("direction", "is not out or in", True),
    ("type", "is not one of " + ", ".join(TYPES), True),
    ("bytes", "not a whole number of bytes", False),
    ("called", "missing", False),
    _too_long("called"),
    ("called", "is not a phone number", True),
    _too_long("calling"),
    ("calling", "is not a phone number", True),
    ("origin_country", "is not an ISO 3166 alpha-2 code in capitals", True),
    _too_long("terminating_operator"),
    ("forwarded", "is not 1 or 0", True),
    ("traffic", "is not one of " + ", ".join(TRAFFIC), True),
    _too_long("forwarded_to"),
    ("forwarded_to", "is not a phone number", True),
    ("service", "no subscription carries this identifier", True),   # checked against the database
)
UNKNOWN_SERVICE = len(CHECKS) - 1


def parsed(raw: pl.DataFrame) -> pl.DataFrame:
    """Raw text columns → typed columns plus ``check``: the index in ``CHECKS`` of the first
    check the row fails (null when the row is good), and ``yyyymm``, the record's month in
    Paris. One vectorised pass over a chunk of the file; the messages are written only for the
    failing rows (``with_problems``)."""
    c = pl.col
    text = {name: c(name).fill_null("") for name in COLUMNS}
    # A dot is only ever a fraction's (dates and times use - and :): a search, no text made.
    with_fractions = bool(raw["start"].str.contains(".", literal=True).any())
    # Typed values first, in their own step: each is then computed once, however many checks
    # read it (common-subexpression elimination misses some, e.g. the start's time zones).
    raw = raw.with_columns(
        _parse_start(text["start"], with_fractions).alias("_start"), _int(text["duration"]).alias("_duration"),
        pl.when(text["bytes"] == "").then(pl.lit(0, pl.Int64)).otherwise(_int(text["bytes"])).alias("_bytes"),
        pl.when(text["traffic"] == "").then(pl.lit("interpersonal")).otherwise(text["traffic"]).alias("_traffic"))
    start, duration, size, traffic = c("_start"), c("_duration"), c("_bytes"), c("_traffic")

    def too_long(field: str) -> pl.Expr:
        return text[field].str.len_bytes() > MAX_BYTES[field]

    failures = (
        c(EXTRA).is_not_null(),
        text["record_id"] == "",
        too_long("record_id"),
        text["service"] == "",
        too_long("service"),
        start.is_null(),
        (start < FIRST_START) | (start >= END_START),
        duration.is_null() | (duration < 0),
        ~text["direction"].is_in(DIRECTIONS),
        ~text["type"].is_in(TYPES),
        size.is_null() | (size < 0),
        (text["type"] != "data") & (text["called"] == ""),
        too_long("called"),
        (text["called"] != "") & ~text["called"].str.contains(PHONE_NUMBER),
        too_long("calling"),
        (text["calling"] != "") & ~text["calling"].str.contains(PHONE_NUMBER),
        (text["origin_country"] != "") & ~text["origin_country"].str.contains(r"^[A-Z]{2}$"),
        too_long("terminating_operator"),
        ~text["forwarded"].is_in(TRUE_TEXT + FALSE_TEXT),
        ~traffic.is_in(TRAFFIC),
        too_long("forwarded_to"),
        (text["forwarded_to"] != "") & ~text["forwarded_to"].str.contains(PHONE_NUMBER),
    )
    check = pl.when(failures[0]).then(pl.lit(0, pl.Int8))
    for index, failure in enumerate(failures[1:], start=1):
        check = check.when(failure).then(pl.lit(index, pl.Int8))
    typed = raw.select(
        text["record_id"].alias("record_id"), text["service"].alias("service"),
        start.alias("start"), duration.alias("duration"),
        text["calling"].alias("calling"), text["called"].alias("called"),
        text["direction"].alias("direction"), text["type"].alias("type"), size.alias("bytes"),
        text["origin_country"].alias("origin_country"),
        text["terminating_operator"].alias("terminating_operator"),
        text["forwarded"].is_in(TRUE_TEXT).alias("forwarded"), traffic.alias("traffic"),
        text["forwarded_to"].alias("forwarded_to"),
        c("line"),
        check.otherwise(pl.lit(None, pl.Int8)).alias("check"),
    )
    return typed.with_columns(paris_month(typed["start"]))


def with_problems(failing: pl.DataFrame) -> pl.DataFrame:
    """The reason of each failing row, naming the field (and quoting the value when useful,
    cut to ``QUOTED_CHARS`` characters: the report is read by people)."""
    reasons = []
    for index, (field, reason, quoted) in enumerate(CHECKS):
        message = pl.lit(f"{field}: ")
        if quoted:
            value = pl.col(field).fill_null("")
            shown = (pl.when(value.str.len_chars() > QUOTED_CHARS)
                     .then(value.str.slice(0, QUOTED_CHARS) + pl.lit("…")).otherwise(value))
            message = message + pl.lit("'") + shown + pl.lit("' ")
        reasons.append((index, message + pl.lit(reason)))
    problem = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for index, message in reasons:
        problem = problem.when(pl.col("check") == index).then(message)
    return failing.with_columns(problem.alias("problem"))

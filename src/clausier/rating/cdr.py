"""The CDR file format (*comptes rendus d'appels*) and its row-by-row validation, vectorised.

A CDR file is CSV (optionally gzip-compressed), UTF-8, comma-separated, with this header:

===================== ==========================================================================
column                meaning
===================== ==========================================================================
record_id             the network's unique id of the record (importing it twice changes nothing)
service               the service identifier the record belongs to: line number, SIP trunk id,
                      SIM/MSISDN, CX or premium number (``Subscription.service_identifier``)
start                 ISO 8601 date-time with offset: ``2026-10-05T09:30:00+02:00`` (or ``Z``)
duration              seconds (integer ≥ 0; 0 for SMS/MMS/data)
calling               calling number as presented (text: leading zeros are kept)
called                called number (text)
direction             ``out`` (made by the service) or ``in`` (received by the service)
type                  ``voice``, ``sms``, ``mms``, ``data`` or ``callback`` (a web call-back)
bytes                 data volume in bytes (integer ≥ 0; empty means 0)
origin_country        ISO 3166 alpha-2 country of the network the record comes from
                      (the visited network when roaming, the calling installation otherwise);
                      empty means the home network in France
terminating_operator  the operator the call ended on, when known (empty otherwise)
forwarded             ``1`` when the call was forwarded or transferred, else ``0`` or empty
traffic               optional: ``interpersonal`` (default), ``automated`` (calling robots,
                      automated messaging) or ``platform`` (exchanges with a technical platform)
===================== ==========================================================================
"""

from __future__ import annotations

import polars as pl

COLUMNS = ("record_id", "service", "start", "duration", "calling", "called", "direction", "type",
           "bytes", "origin_country", "terminating_operator", "forwarded", "traffic")
REQUIRED = COLUMNS[:-1]
DIRECTIONS = ("out", "in")
TYPES = ("voice", "sms", "mms", "data", "callback")
TRAFFIC = ("interpersonal", "automated", "platform")
TRUE_TEXT = ("1", "true", "yes", "oui")
FALSE_TEXT = ("0", "false", "no", "non", "")

# The stored (imported) record: what every later stage reads.
STORED_SCHEMA = {
    "record_id": pl.String, "service": pl.String, "start": pl.Datetime("ms", "UTC"),
    "duration": pl.Int64, "calling": pl.String, "called": pl.String, "direction": pl.String,
    "type": pl.String, "bytes": pl.Int64, "origin_country": pl.String,
    "terminating_operator": pl.String, "forwarded": pl.Boolean, "traffic": pl.String,
    "line": pl.Int64, "month": pl.String, "subscription_id": pl.Int64, "customer_id": pl.Int64,
    "batch_id": pl.Int64,
}


def _parse_start(text: pl.Expr) -> pl.Expr:
    iso = text.str.strip_chars().str.replace(r"Z$", "+00:00")
    formats = ("%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%:z")
    return pl.coalesce([iso.str.to_datetime(format=f, strict=False, time_unit="ms", time_zone="UTC")
                        for f in formats])


def _int(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars().cast(pl.Int64, strict=False)


def _quoted(text: pl.Expr) -> pl.Expr:
    return pl.lit("'") + text.fill_null("") + pl.lit("'")


def parsed(raw: pl.LazyFrame) -> pl.LazyFrame:
    """Raw text columns → typed columns plus ``problem``: the first reason the row is refused
    (null when the row is good). Vectorised: one pass over the file."""
    c = pl.col
    text = {name: c(name).fill_null("").str.strip_chars() for name in COLUMNS}
    start = _parse_start(text["start"])
    duration = _int(text["duration"])
    size = pl.when(text["bytes"] == "").then(pl.lit(0, pl.Int64)).otherwise(_int(text["bytes"]))
    direction = text["direction"].str.to_lowercase()
    kind = text["type"].str.to_lowercase()
    forwarded = text["forwarded"].str.to_lowercase()
    traffic = pl.when(text["traffic"] == "").then(pl.lit("interpersonal")).otherwise(
        text["traffic"].str.to_lowercase())
    origin = text["origin_country"].str.to_uppercase()
    number_ok = r"^\+?[0-9][0-9 .\-()/]*$"
    problem = (
        pl.when(text["record_id"] == "").then(pl.lit("record_id: missing"))
        .when(text["service"] == "").then(pl.lit("service: missing"))
        .when(start.is_null()).then(pl.lit("start: ") + _quoted(c("start"))
                                    + pl.lit(" is not an ISO 8601 date-time with offset"))
        .when(duration.is_null() | (duration < 0)).then(
            pl.lit("duration: ") + _quoted(c("duration")) + pl.lit(" is not a number of seconds"))
        .when(~direction.is_in(DIRECTIONS)).then(
            pl.lit("direction: ") + _quoted(c("direction")) + pl.lit(" is not out or in"))
        .when(~kind.is_in(TYPES)).then(
            pl.lit("type: ") + _quoted(c("type")) + pl.lit(" is not one of " + ", ".join(TYPES)))
        .when(size.is_null() | (size < 0)).then(
            pl.lit("bytes: ") + _quoted(c("bytes")) + pl.lit(" is not a number of bytes"))
        .when((kind != "data") & (text["called"] == "")).then(pl.lit("called: missing"))
        .when((text["called"] != "") & ~text["called"].str.contains(number_ok)).then(
            pl.lit("called: ") + _quoted(c("called")) + pl.lit(" is not a phone number"))
        .when((text["calling"] != "") & ~text["calling"].str.contains(number_ok)).then(
            pl.lit("calling: ") + _quoted(c("calling")) + pl.lit(" is not a phone number"))
        .when((origin != "") & ~origin.str.contains(r"^[A-Z]{2}$")).then(
            pl.lit("origin_country: ") + _quoted(c("origin_country"))
            + pl.lit(" is not an ISO 3166 alpha-2 code"))
        .when(~forwarded.is_in(TRUE_TEXT + FALSE_TEXT)).then(
            pl.lit("forwarded: ") + _quoted(c("forwarded")) + pl.lit(" is not 1 or 0"))
        .when(~traffic.is_in(TRAFFIC)).then(
            pl.lit("traffic: ") + _quoted(c("traffic")) + pl.lit(" is not one of " + ", ".join(TRAFFIC)))
    )
    paris = start.dt.convert_time_zone("Europe/Paris")
    return raw.select(
        text["record_id"].alias("record_id"), text["service"].alias("service"),
        start.alias("start"), duration.alias("duration"),
        text["calling"].alias("calling"), text["called"].alias("called"),
        direction.alias("direction"), kind.alias("type"), size.alias("bytes"),
        origin.alias("origin_country"), text["terminating_operator"].alias("terminating_operator"),
        forwarded.is_in(TRUE_TEXT).alias("forwarded"), traffic.alias("traffic"),
        c("line"),
        (paris.dt.year() * 100 + paris.dt.month()).alias("yyyymm"),
        problem.alias("problem"),
    )


def month_text(yyyymm: pl.Expr) -> pl.Expr:
    return (yyyymm // 100).cast(pl.String) + pl.lit("-") + (yyyymm % 100).cast(pl.String).str.zfill(2)

"""Synthetic CDRs for demos and benchmarks: a French destination mix, each line calling its own
set of contacts, and on purpose a few fair-use breaches and fraud patterns. Generated with
Polars hash expressions (deterministic for a seed), never a Python loop per record."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from clausier.core.clock import PARIS
from clausier.rating.cdr import rules as cdr

# Profiles given on purpose to one line in every ``PROFILE_EVERY`` (at least one each when the
# run has enough lines): what the demo's fair-use and fraud queues should show.
PROFILES = ("heavy_numbers", "long_calls", "burst", "robot_mobile_caller_id", "caller_id_089",
            "origin_mismatch", "roamer")
PROFILE_EVERY = 500
# (first digits, weight in ‰) of called numbers: fixed 01–05/09, mobile 06/07, special, premium,
# international, short and emergency.
DESTINATIONS = (("01", 120), ("02", 110), ("03", 90), ("04", 100), ("05", 80), ("09", 50),
                ("06", 250), ("07", 100), ("08", 40), ("089", 10), ("0044", 15), ("0049", 15),
                ("0034", 10), ("001", 5), ("3", 3), ("15", 1), ("112", 1))
OPERATORS = ("FT", "FT", "FT", "FT", "FT", "FT", "FT", "FT", "FT", "SFR", "FREE", "BOUYGUES")


def _pick(value: pl.Expr, table: Sequence[tuple[str, int]]) -> pl.Expr:
    """Weighted choice of a prefix from a uniform value in [0, 1000)."""
    expr, bound = pl.when(pl.lit(False)).then(pl.lit("")), 0
    for prefix, weight in table:
        bound += weight
        expr = expr.when(value < bound).then(pl.lit(prefix))
    return expr.otherwise(pl.lit(table[0][0]))


def _digits(value: pl.Expr, width: int) -> pl.Expr:
    return (value % (10 ** width)).cast(pl.String).str.zfill(width)


def _profile(index: int) -> str:
    """Lines 1–7 show each pattern once; then one line in ``PROFILE_EVERY`` shows one more."""
    if 1 <= index <= len(PROFILES):
        return PROFILES[index - 1]
    if index % PROFILE_EVERY == 1:
        return PROFILES[(index // PROFILE_EVERY) % len(PROFILES)]
    return "normal"


def line_numbers(services: Sequence[tuple[str, str]]) -> list[str]:
    """The phone number each line calls from and is called on: its service identifier when it
    is one, else (a SIP trunk id, a demo reference) a number of its own, as the importer
    refuses a calling or called party that is not a phone number."""
    return [identifier if re.match(cdr.PHONE_NUMBER, identifier)
            and len(identifier) <= cdr.MAX_BYTES["calling"] else f"02{48000000 + index:08d}"
            for index, (identifier, _) in enumerate(services)]


def generate(services: Sequence[tuple[str, str]], records: int, month: str, seed: int = 1) -> pl.LazyFrame:
    """``records`` CDRs for ``services`` given as (identifier, family), in ``month``."""
    if not services:
        raise ValueError("services: at least one service is needed")
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=PARIS)
    days = ((datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=PARIS) - start).days)
    count = len(services)
    profile_of = [_profile(i) for i in range(count)]
    lines = pl.DataFrame({"svc": list(range(count)), "service": [s for s, _ in services],
                          "number": line_numbers(services),
                          "family": [f for _, f in services], "profile": profile_of},
                         schema={"svc": pl.Int64, "service": pl.String, "number": pl.String,
                                 "family": pl.String, "profile": pl.String})
    c = pl.col
    i = pl.int_range(0, records, dtype=pl.Int64).alias("i")
    base = pl.LazyFrame().select(i).with_columns(
        *[(c("i").hash(seed * 97 + k) % 1_000_000_007).cast(pl.Int64).alias(f"r{k}") for k in range(8)])
    frame = base.with_columns((c("r0") % count).alias("svc")).join(lines.lazy(), on="svc", how="left")
    inbound_service = c("family").is_in(("cx", "sva"))
    kind = (pl.when(c("family") == "mobile").then(
        pl.when(c("r1") % 100 < 70).then(pl.lit("voice")).when(c("r1") % 100 < 90).then(pl.lit("sms"))
        .when(c("r1") % 100 < 92).then(pl.lit("mms")).otherwise(pl.lit("data")))
        .when((c("family") == "cx") & (c("r1") % 100 < 3)).then(pl.lit("callback"))
        .otherwise(pl.lit("voice")))
    direction = (pl.when(inbound_service | (c("r2") % 100 < 15)).then(pl.lit("in"))
                 .otherwise(pl.lit("out")))
    contacts = pl.when(c("profile") == "heavy_numbers").then(pl.lit(450)).otherwise(pl.lit(60))
    contact = c("r3") % contacts
    contact_hash = (c("svc") * 7919 + contact * 104_729) % 1_000_000_007
    prefix = _pick(contact_hash % 1000, DESTINATIONS)
    rest = pl.when(prefix.str.len_chars() == 1).then(_digits(contact_hash, 3)) \
        .when(prefix.is_in(("15", "112"))).then(pl.lit("")) \
        .when(prefix.str.starts_with("00")).then(_digits(contact_hash, 9)) \
        .otherwise(_digits(contact_hash, 10 - prefix.str.len_chars()))
    contact_number = prefix + rest
    caller = pl.lit("0") + _digits(c("r4"), 1).replace({"0": "1", "8": "6"}) + _digits(c("r5"), 8)
    second = (c("r6") % (days * 86400))
    second = pl.when(c("profile") == "burst").then(2 * 86400 + 36000 + c("r6") % 60).otherwise(second)
    voice_like = kind.is_in(("voice", "callback"))
    duration = (pl.when(~voice_like).then(pl.lit(0))
                .when(c("profile") == "long_calls").then(2400 + c("r7") % 7200)
                .when(c("family") == "sva").then(c("r7") % 400)
                .otherwise(5 + (c("r7") % 300) * (c("r7") % 7 + 1) // 4))
    calling = (pl.when(direction == "in").then(caller)
               .when(c("profile") == "robot_mobile_caller_id").then(pl.lit("0612345678"))
               .when(c("profile") == "caller_id_089").then(pl.lit("0891234567"))
               .otherwise(c("number")))
    called = pl.when(direction == "in").then(c("number")).otherwise(contact_number)
    origin = (pl.when(c("profile") == "roamer").then(
        pl.when(c("r5") % 10 < 8).then(pl.lit("ES")).otherwise(pl.lit("")))
        .when((c("profile") == "origin_mismatch") & (direction == "out")).then(pl.lit("MA"))
        .otherwise(pl.lit("")))
    return frame.select(
        (pl.lit(f"{month}-{seed}-") + c("i").cast(pl.String)).alias("record_id"),
        c("service"),
        (pl.lit(start) + pl.duration(seconds=second)).dt.convert_time_zone("Europe/Paris")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%:z").alias("start"),
        duration.cast(pl.String).alias("duration"),
        calling.alias("calling"), called.alias("called"), direction.alias("direction"),
        kind.alias("type"),
        pl.when(kind == "data").then(c("r7") * 13 % 20_000_000).otherwise(0).cast(pl.String).alias("bytes"),
        origin.alias("origin_country"),
        pl.when(direction == "out").then(
            pl.lit(list(OPERATORS)).list.get(c("r2") % len(OPERATORS))).otherwise(pl.lit(""))
        .alias("terminating_operator"),
        pl.when(c("r1") % 100 == 99).then(pl.lit("1")).otherwise(pl.lit("0")).alias("forwarded"),
        pl.when(c("profile") == "robot_mobile_caller_id").then(pl.lit("automated"))
        .otherwise(pl.lit("interpersonal")).alias("traffic"),
    )


def write(frame: pl.LazyFrame, target: Path) -> Path:
    """Write as CSV (gzip-compressed when the name ends in ``.gz``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix == ".gz":
        import gzip
        with gzip.open(target, "wb", compresslevel=3) as handle:
            frame.collect(engine="streaming").write_csv(handle)
    else:
        frame.sink_csv(target)
    return target


def fictitious_services(count: int) -> list[tuple[str, str]]:
    """Services for a run without a database: a mix of fixed lines, trunks, mobiles and CX."""
    families = ("vga", "sip_trunk", "mobile", "mobile", "centrex", "cx")
    return [(f"02{47000000 + i:08d}" if families[i % 6] != "mobile" else f"06{50000000 + i:08d}",
             families[i % 6]) for i in range(count)]

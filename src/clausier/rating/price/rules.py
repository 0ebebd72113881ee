"""Pricing, pure: the price lists as one frame, the price of every record, and the explained
lines of a month (one per price-list entry used, plus the contact-centre minutes, the
off-network surcharge and the data beyond an allowance). No database, no clock, no I/O.

Amounts per record are integers in micro-euros (exact and deterministic); each explained line is
rounded half-up to the cent.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import auto

import polars as pl

from clausier.core.clock import PARIS
from clausier.core.errors import RefusalCode
from clausier.core.explain import Line
from clausier.core.message import Message, msg
from clausier.core.money import money
from clausier.rating.detail import DestinationUsage
from clausier.rating.fair_use.rules import Breach
from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import Plan, is_on, telephony_clauses_apply


class Refused(RefusalCode):
    """What loading a usage price list refuses."""

    price_list_file_missing = auto()
    price_list_field_missing = auto()
    price_list_valid_from_malformed = auto()
    price_list_kind_unknown = auto()
    price_list_increment_unknown = auto()
    price_list_price_malformed = auto()
    price_list_destination_invalid = auto()


MICRO = Decimal(1_000_000)
BYTES_PER_MB = 1_000_000
DAY_ZERO = datetime(1970, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def to_micro(amount: Decimal) -> int:
    return int((Decimal(amount) * MICRO).to_integral_value())


def from_micro(micro: int) -> Decimal:
    return Decimal(int(micro)) / MICRO


def fmt_price(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " €"


@dataclass(frozen=True)
class Tariff:
    """One line of a price list: the price of a destination for a kind of traffic."""

    destination: str          # a destination class, "international:DE", "roaming_world", …
    kind: str                 # voice (per minute) | sms | mms (per message) | data (per MB)
    price: Decimal
    setup: Decimal = Decimal("0")
    increment: str = "second"     # second | minute (each started minute is due)
    basis: str = "HT"
    valid_from: date | None = None
    source: str = "price list"


# Where a record is priced in the price list (``destination`` of a tariff line).
RATE_DESTINATIONS = nb.DESTINATION_CLASSES + (
    "inbound", "data", "cx_inbound", "sva_payout", "sva_caller", "unknown_origin",
    "roaming_dom", "roaming_eu", "roaming_world", "roaming_dom_in", "roaming_eu_in",
    "roaming_world_in", "roaming_surcharge", "cx_redirected")
RATE_DESTINATION = pl.Enum(RATE_DESTINATIONS)
KINDS = ("voice", "sms", "mms", "data")
KIND = pl.Enum(KINDS)
NOT_PRICED_HERE = ("cx_inbound", "cx_redirected", "sva_payout")   # priced on the month or paid out


def check_tariff(tariff: Tariff) -> None:
    """A price-list line must name a known destination and kind."""
    destination, _, country = tariff.destination.partition(":")
    if destination not in RATE_DESTINATIONS or (country and destination != nb.INTERNATIONAL):
        raise ValueError(f"destination {tariff.destination!r} is not one of "
                         f"{', '.join(RATE_DESTINATIONS)} (or international:<country>)")
    if tariff.kind not in KINDS:
        raise ValueError(f"kind {tariff.kind!r} is not one of {', '.join(KINDS)}")


def tariffs_frame(tariffs: Mapping[str, Sequence[Tariff]]) -> tuple[pl.DataFrame, dict[str, int], list[str]]:
    """The price lists as one frame (validity as half-open instants), the id of each list, and
    the countries that have their own international price somewhere (others take the generic)."""
    ids = {key: index for index, key in enumerate(sorted(tariffs))}
    countries = sorted({t.destination.split(":", 1)[1] for ts in tariffs.values() for t in ts
                        if t.destination.startswith(nb.INTERNATIONAL + ":")})
    rows = []
    for key, items in tariffs.items():
        items = list(items)
        for tariff in items:
            check_tariff(tariff)
        generic = [t for t in items if t.destination == nb.INTERNATIONAL]
        have = {t.destination for t in items}
        for country in countries:      # a list without this country prices it as generic
            if f"{nb.INTERNATIONAL}:{country}" not in have:
                items += [Tariff(**{**t.__dict__, "destination": f"{nb.INTERNATIONAL}:{country}"})
                          for t in generic]
        chains: dict[tuple[str, str], list[Tariff]] = {}
        for tariff in items:
            chains.setdefault((tariff.destination, tariff.kind), []).append(tariff)
        for (destination, kind), chain in chains.items():
            chain.sort(key=lambda t: t.valid_from or date.min)
            for index, tariff in enumerate(chain):
                start = (DAY_ZERO if index == 0 or tariff.valid_from is None
                         else datetime.combine(tariff.valid_from, datetime.min.time(), PARIS))
                nxt = chain[index + 1].valid_from if index + 1 < len(chain) else None
                end = FOREVER if nxt is None else datetime.combine(nxt, datetime.min.time(), PARIS)
                place, _, country = destination.partition(":")
                rows.append({"tariff_row": len(rows), "tariff_id": ids[key], "rate_dest": place, "rate_country": country or None,
                             "kind": kind, "valid_from": start, "valid_to": end,
                             "price_micro": to_micro(tariff.price), "setup_micro": to_micro(tariff.setup),
                             "per_started_minute": tariff.increment == "minute",
                             "price_text": f"{fmt_price(tariff.price)} {tariff.basis}",
                             "setup_text": fmt_price(tariff.setup), "tariff_source": tariff.source})
    schema = {"tariff_row": pl.Int32, "tariff_id": pl.Int32, "rate_dest": RATE_DESTINATION,
              "rate_country": pl.String,
              "kind": KIND, "valid_from": pl.Datetime("ms", "UTC"), "valid_to": pl.Datetime("ms", "UTC"),
              "price_micro": pl.Int64, "setup_micro": pl.Int64, "per_started_minute": pl.Boolean,
              "price_text": pl.String, "setup_text": pl.String, "tariff_source": pl.String}
    frame = pl.DataFrame(rows, schema=schema).with_columns(
        rate_key(country_index(pl.col("rate_country"), countries)).alias("rate_key"))
    return frame, ids, countries


# Room for each part of the price-list key (``rate_key``).
DESTINATION_SLOTS, KIND_SLOTS, COUNTRY_SLOTS = 64, 8, 1024
assert len(RATE_DESTINATIONS) <= DESTINATION_SLOTS and len(KINDS) <= KIND_SLOTS


def country_index(country: pl.Expr, countries: Sequence[str]) -> pl.Expr:
    """1 + the position of a country among those with their own price, 0 for none."""
    if len(countries) >= COUNTRY_SLOTS:
        raise ValueError(f"more than {COUNTRY_SLOTS - 1} countries with their own price")
    return country.replace_strict(list(countries), list(range(1, len(countries) + 1)), default=0,
                                  return_dtype=pl.Int64)


def rate_key(country_index: pl.Expr) -> pl.Expr:
    """One integer for (price list, rate destination, kind, country): joining millions of
    records to the price lists on it is far cheaper than on the four columns."""
    c = pl.col
    return (((c("tariff_id").cast(pl.Int64) * DESTINATION_SLOTS + c("rate_dest").to_physical().cast(pl.Int64))
             * KIND_SLOTS + c("kind").to_physical().cast(pl.Int64)) * COUNTRY_SLOTS + country_index)


def lookup(frame: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """``frame`` with the columns of ``table`` (unique on ``on``) for each row, null where none
    matches: a left join that joins the key columns only and appends the columns found, as
    joining the wide frame of records would copy every one of its columns."""
    found = frame.select(on).join(table, on=on, how="left", nulls_equal=True, maintain_order="left")
    return frame.hstack(found.drop(on).get_columns())


def price(classified: pl.DataFrame, tariffs: pl.DataFrame, rerated: Sequence[int],
          call_limits: pl.DataFrame) -> pl.DataFrame:
    """Price every record. Included calls cost nothing, unless the month's fair use is
    breached (then they are re-rated at the tariff) or a call exceeds the per-call limit
    (its excess is billed). Minutes allowances are consumed in call order."""
    c = pl.col
    versions = tariffs.group_by("rate_key").len()["len"].max() or 1
    numeric = tariffs.select("rate_key", "tariff_row", "valid_from", "valid_to", "price_micro", "setup_micro",
                             "per_started_minute")
    classified = classified.with_columns(rate_key(c("country_index")).alias("rate_key"))
    if versions == 1:
        frame = lookup(classified, numeric, ["rate_key"])
    else:       # a price changed within the lists: keep the version of the call's instant
        frame = (classified.join(numeric, on="rate_key", how="left", maintain_order="left")
                 .filter(c("price_micro").is_null()
                         | ((c("start") >= c("valid_from")) & (c("start") < c("valid_to")))))
    frame = frame.drop("valid_from", "valid_to")
    if call_limits.height:
        frame = lookup(frame, call_limits.unique("subscription_id", keep="first", maintain_order=True),
                       ["subscription_id"])
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("call_limit_s"))
    breached = c("subscription_id").is_in(list(rerated))
    billable = (pl.when(c("per_started_minute").fill_null(False))
                .then(((c("duration") + 59) // 60) * 60).otherwise(c("duration")))
    frame = frame.with_columns(
        (c("voice_eligible") & ~breached).alias("in_bundle"),
        (c("voice_eligible") & breached).alias("rerated"),
        billable.alias("billable_s"),
    ).with_columns(
        pl.when(c("in_bundle") & c("call_limit_s").is_not_null() & (c("duration") > c("call_limit_s")))
        .then(c("billable_s") - c("call_limit_s"))
        .when(c("in_bundle")).then(pl.lit(0))
        .otherwise(c("billable_s")).alias("charged_s"))
    frame = frame.with_columns(_allowance_overflow(frame)).with_columns(
        (c("in_bundle") & (c("charged_s") > 0)).alias("beyond_allowance")).with_columns(
        (c("in_bundle") & ~c("beyond_allowance")).alias("in_bundle"))
    voice = c("kind") == "voice"
    calls = pl.when(c("type") == "callback").then(c("callback_calls")).otherwise(pl.lit(1))
    sms_free = c("sms_eligible") & ~breached
    unit_amount = (
        pl.when(c("price_micro").is_null() | c("rate_dest").is_in(NOT_PRICED_HERE)).then(pl.lit(0))
        .when(voice).then(
            pl.when(c("charged_s") > 0)
            .then(c("setup_micro") + (c("price_micro") * c("charged_s") * 2 + 60) // 120)
            .otherwise(pl.lit(0)))
        .when(c("kind").is_in(("sms", "mms"))).then(
            pl.when(sms_free).then(pl.lit(0)).otherwise(c("price_micro")))
        .when(c("data_allowance").is_not_null()).then(pl.lit(0))   # billed on the month's overage
        .otherwise((c("price_micro") * c("bytes") + BYTES_PER_MB // 2) // BYTES_PER_MB)
    )
    return frame.with_columns(
        calls.alias("calls"),
        (unit_amount * calls).alias("amount_micro"),
        (c("price_micro").is_null() & ~c("rate_dest").is_in(NOT_PRICED_HERE + ("inbound",))).alias("unpriced"),
    )


def _allowance_overflow(frame: pl.DataFrame) -> pl.Series:
    """Minutes allowances (not unlimited): included calls use it up in call order; the part of
    a call beyond it is billed. Only the few subscriptions with an allowance are sorted."""
    c = pl.col
    charged = frame["charged_s"]
    rows = frame.select(pl.arg_where(c("in_bundle") & ~c("unlimited")
                                     & c("minutes_allowance").is_not_null()).alias("index"))["index"]
    if rows.len() == 0:
        return charged
    subset = (frame[rows].with_columns(rows.alias("index"))
              .sort(["subscription_id", "start", "record_id"])
              .with_columns(c("billable_s").cum_sum().over("subscription_id").alias("used"))
              .with_columns(pl.max_horizontal(pl.lit(0), pl.min_horizontal(
                  c("billable_s"), c("used") - c("minutes_allowance") * 60)).alias("over")))
    return charged.scatter(subset["index"], subset["over"])


KIND_WORDS = {"voice": "Calls", "sms": "SMS", "mms": "MMS", "data": "Data"}
GROUP_ORDER = ["subscription_id", "rate_dest", "rate_country", "kind", "in_bundle", "rerated",
               "beyond_allowance", "tariff_row"]


def _duration_text(seconds: pl.Expr) -> pl.Expr:
    """``1 h 02 min 05 s`` or ``2 min 05 s``."""
    def two(part: pl.Expr) -> pl.Expr:
        return part.cast(pl.String).str.zfill(2)
    hours, minutes, secs = seconds // 3600, (seconds % 3600) // 60, seconds % 60
    return (pl.when(hours > 0).then(pl.format("{} h {} min {} s", hours, two(minutes), two(secs)))
            .otherwise(pl.format("{} min {} s", minutes, two(secs))))


def _cents(micro: pl.Expr) -> pl.Expr:
    """Micro-euros rounded half-up (away from zero) to whole cents, as ``money`` does."""
    return micro.sign() * ((micro.abs() + 5_000) // 10_000)


# The formulas of the explained lines, one message id per shape (the text of each line is worded
# by Polars, in one pass, as the message id filled in with the line's figures: ``_worded``).
IN_BUNDLE_FORMULA = msg("{records} record(s), {duration} included", records=0, duration="").msgid
CALLS_FORMULA = msg("{records} record(s), {calls} call(s), {duration} billed × {price}/min",
                    records=0, calls=0, duration="", price="").msgid
CALLS_SET_UP_FORMULA = msg("{records} record(s), {calls} call(s), {duration} billed × {price}/min"
                           " + set-up {set_up} per call",
                           records=0, calls=0, duration="", price="", set_up="").msgid
MESSAGES_FORMULA = msg("{calls} message(s) × {price}", calls=0, price="").msgid
# ``formula_shape`` → (message id, the parameters it names, in the order of ``FORMULA_PARAMS``).
FORMULA_SHAPES = ((IN_BUNDLE_FORMULA, ("records", "duration")),
                  (CALLS_FORMULA, ("records", "calls", "duration", "price")),
                  (CALLS_SET_UP_FORMULA, ("records", "calls", "duration", "price", "set_up")),
                  (MESSAGES_FORMULA, ("calls", "price")))
FORMULA_PARAMS = ("records", "calls", "duration", "price", "set_up")


class _Flat(Message):
    """A message whose parameters are counts and words only (no amount, date or message in
    turn), its English already worded: made without formatting, stored without encoding.
    Tens of thousands are made per month, one per explained line."""

    def as_dict(self) -> dict:
        return {"id": self.msgid, "params": dict(self.params)}


def _worded(msgid: str, english: str, params: dict) -> Message:
    """A message from its English as Polars worded it (``msgid`` filled in with ``params``)."""
    message = str.__new__(_Flat, english)
    message.msgid, message.params = msgid, params
    return message


class _Shared(Message):
    """A message made once and shown on many lines (a destination class's label): its stored
    form is computed once too."""

    def as_dict(self) -> dict:
        stored = self.__dict__.get("_stored")
        if stored is None:
            stored = self.__dict__["_stored"] = super().as_dict()
        return stored


def _shared(message: Message) -> Message:
    return _Shared(message.msgid, message.params)


def explanation_texts(groups: pl.DataFrame) -> pl.DataFrame:
    """Each group's label, formula (but for data) and amount in cents, in one vectorised pass:
    a month has tens of thousands of lines to word. The formula is also kept as its shape
    (``FORMULA_SHAPES``) and parameters, from which ``explain_lines`` makes its message;
    ``explain_lines`` adds the plan's clauses."""
    c = pl.col
    price = c("price_text").fill_null("None")      # a record without a price says so, as it always has
    set_up = c("setup_text").fill_null("None")
    country = pl.when(c("rate_country").fill_null("") != "").then(pl.format(" {}", c("rate_country")))
    voice = c("kind") == "voice"
    with_set_up = c("setup_micro").fill_null(0) != 0
    shape = (pl.when(c("in_bundle")).then(pl.lit(0, pl.Int8))
             .when(voice).then(pl.when(with_set_up).then(pl.lit(2, pl.Int8)).otherwise(pl.lit(1, pl.Int8)))
             .when(c("kind") != "data").then(pl.lit(3, pl.Int8)))
    duration = pl.when(c("in_bundle")).then(_duration_text(c("seconds"))).when(voice).then(
        _duration_text(c("charged_s")))
    worded = groups.with_columns(
        pl.format("{} — {}", c("kind").cast(pl.String).replace_strict(KIND_WORDS),
                  c("rate_dest").cast(pl.String).str.replace_all("_", " ")).add(country.otherwise(pl.lit("")))
        .alias("label"),
        shape.alias("formula_shape"), duration.alias("duration_text"),
        pl.when(c("in_bundle") | (c("kind") == "data")).then(pl.lit(None, pl.String)).otherwise(price)
        .alias("price_shown"),
        pl.when(c("in_bundle") | ~voice | ~with_set_up).then(pl.lit(None, pl.String)).otherwise(set_up)
        .alias("set_up_shown"),
        _cents(c("amount_micro")).alias("cents"))
    count = pl.format("{} record(s)", c("records"))
    calls = pl.format("{}, {} call(s), {} billed × {}/min", count, c("calls"), c("duration_text"),
                      c("price_shown"))
    return worded.with_columns(
        pl.when(c("formula_shape") == 0).then(pl.format("{}, {} included", count, c("duration_text")))
        .when(c("formula_shape") == 1).then(calls)
        .when(c("formula_shape") == 2).then(calls + pl.format(" + set-up {} per call", c("set_up_shown")))
        .when(c("formula_shape") == 3).then(pl.format("{} message(s) × {}", c("calls"), c("price_shown")))
        .alias("formula"))


EXPLAINED_COLUMNS = ("label", "formula", "cents", "in_bundle", "beyond_allowance", "rerated",
                     "tariff_source", "bytes", "price_text", "formula_shape", "records",
                     "duration_text", "price_shown", "set_up_shown")
# What a group adds to its destination class's figures (``destination_usage``).
FIGURE_COLUMNS = ("calls", "seconds", "charged_s")


@functools.lru_cache(maxsize=1024)
def class_label(label: str) -> Message:
    """A destination class's label (``explanation_texts`` words it, « Calls — national ») as
    its message: the kind's words with the destination. Made once per label."""
    kind, _, destination = label.partition(" — ")
    if kind == "Calls":
        return _shared(msg("Calls — {destination}", destination=destination))
    if kind == "SMS":
        return _shared(msg("SMS — {destination}", destination=destination))
    if kind == "MMS":
        return _shared(msg("MMS — {destination}", destination=destination))
    return _shared(msg("Data — {destination}", destination=destination))


@functools.lru_cache(maxsize=4096)
def _line_label(label: str, in_bundle: bool, beyond_allowance: bool, rerated: bool) -> Message:
    """An explained line's label, made once per class and case."""
    text = class_label(label)
    if in_bundle:
        return _shared(msg("{label}, included in the bundle", label=text))
    if beyond_allowance:
        text = _shared(msg("{label}, beyond the bundle's allowance", label=text))
    if rerated:
        text = _shared(msg("{label}, re-rated after a fair-use breach", label=text))
    return text


def explain_lines(groups: Sequence[tuple], plan: Plan, breaches: Sequence[Breach]) -> list[Line]:
    """One explained line per price-list entry used in the month: ``groups`` are rows of
    ``EXPLAINED_COLUMNS`` (``explanation_texts``), in GROUP_ORDER."""
    lines = []
    breach_clause = "; ".join(b.clause for b in breaches)
    bundle_clause = (plan.usage.included_destinations.clause
                     if plan.usage.included_destinations else "offer bundle")
    limits = None
    for (text, english, cents, in_bundle, beyond_allowance, rerated, source, size, price_text,
         shape, records, duration, price_shown, set_up, calls, *_) in groups:
        label = _line_label(text, bool(in_bundle), bool(beyond_allowance), bool(rerated))
        if shape is None:       # data: the volume as Python words it
            formula = msg("{mb} MB × {price}/MB", mb=f"{size / BYTES_PER_MB:.3f}",
                          price=str(price_text))
        else:
            msgid, names = FORMULA_SHAPES[shape]
            values = {"records": records, "calls": calls, "duration": duration, "price": price_shown,
                      "set_up": set_up}
            formula = _worded(msgid, english, {name: values[name] for name in names})
        if in_bundle:
            lines.append(Line(label, Decimal(0), formula, bundle_clause))
            continue
        clause = source or ""
        if beyond_allowance:
            if limits is None:
                limits = "; ".join(str(t.src) for t in plan.usage.fair_use if t.window == "call")
            clause = "; ".join(x for x in (clause, limits or bundle_clause) if x)
        if rerated:
            clause = f"{clause}; {breach_clause}" if clause else breach_clause
        lines.append(Line(label, Decimal(cents).scaleb(-2), formula, clause))
    return lines


def destination_usage(groups: Sequence[tuple], lines: Sequence[Line]) -> tuple[DestinationUsage, ...]:
    """The month per destination class: ``groups`` are rows of ``EXPLAINED_COLUMNS`` then
    ``FIGURE_COLUMNS`` and ``lines`` their explained lines (``explain_lines``), one each, in order;
    a class is a group's label (kind, destination, country) and keeps the groups' order."""
    classes: dict[str, list] = {}
    for (label, _f, _c, in_bundle, *_rest, calls, seconds, charged_s), line in zip(groups, lines, strict=True):
        figures = classes.setdefault(label, [0, 0, 0, 0, Decimal(0), []])
        figures[0] += calls
        figures[1] += seconds or 0
        figures[2] += (seconds or 0) if in_bundle else 0
        figures[3] += charged_s or 0
        figures[4] += line.amount
        figures[5] += [part for part in line.clause.split("; ") if part and part not in figures[5]]
    return tuple(DestinationUsage(class_label(label), calls, seconds, included, charged, money(total),
                                  "; ".join(clauses))
                 for label, (calls, seconds, included, charged, total, clauses) in classes.items())


def cx_lines(plan: Plan, inbound_seconds: int | None, redirected_seconds: int) -> list[Line | None]:
    """The month's contact-centre inbound lines: the pack pool, and calls redirected to numbers
    the operator does not manage, paid from the first minute (CX §2 L7434-7435). When the
    lines themselves are not managed, every inbound minute is already paid from the first."""
    rate = plan.usage.amounts.inbound_redirected_to_unmanaged_number_per_minute
    if redirected_seconds and (not plan.lines_managed or rate is None):
        inbound_seconds, redirected_seconds = (inbound_seconds or 0) + redirected_seconds, 0
    lines = [cx_pool_line(plan, inbound_seconds) if inbound_seconds is not None else None]
    if redirected_seconds:
        minutes = Decimal(redirected_seconds) / 60
        lines.append(Line(msg("CX inbound calls redirected to numbers not managed by the operator"),
                          money(minutes * rate.amount),
                          msg("{minutes} min × {price} {basis}/min from the first minute",
                              minutes=f"{minutes:.2f}", price=fmt_price(rate.amount),
                              basis=rate.basis),
                          str(rate.src)))
    return lines


def cx_pool_line(plan: Plan, inbound_seconds: int) -> Line | None:
    """CX inbound minutes: included per pack then per minute, or per minute from the first
    minute when the lines are not managed by the operator (CX §2)."""
    usage = plan.usage
    minutes = Decimal(inbound_seconds) / 60
    if not plan.lines_managed:
        rate = usage.amounts.inbound_unmanaged_lines_per_minute
        if rate is None:
            return None
        return Line(msg("CX inbound minutes (lines not managed by the operator)"),
                    money(minutes * rate.amount),
                    msg("{minutes} min × {price} {basis}/min from the first minute",
                        minutes=f"{minutes:.2f}", price=fmt_price(rate.amount), basis=rate.basis),
                    str(rate.src))
    per_pack = usage.figures.inbound_minutes_included_per_pack_per_month
    rate = usage.amounts.inbound_overage_per_minute
    if per_pack is None or rate is None:
        return None
    packs = int(plan.units.get("pack", 1))
    included = per_pack.value * packs
    over = max(Decimal(0), minutes - included)
    return Line(msg("CX inbound minutes beyond the packs"), money(over * rate.amount),
                msg("({minutes} min − {packs} pack(s) × {per_pack} min) = {over} min × {price} "
                    "{basis}/min", minutes=f"{minutes:.2f}", packs=packs,
                    per_pack=str(per_pack.value), over=f"{over:.2f}",
                    price=fmt_price(rate.amount), basis=rate.basis),
                f"{per_pack.clause}; {rate.src}")


def offnet_line(plan: Plan, fixed_seconds: int, offnet_seconds: int, fixed_micro: int,
                offnet_micro: int) -> Line | None:
    """+N % on the tariff when more than M % of the local/national fixed traffic ends on
    local-loop operators other than the incumbent (VGA §7.4, SIP/Centrex §7.4, CX §7.4)."""
    usage = plan.usage
    if not telephony_clauses_apply(usage):
        return None
    threshold = usage.figures.offnet_share_threshold_percent
    surcharge = usage.figures.offnet_surcharge_percent
    if threshold is None or surcharge is None or fixed_seconds == 0:
        return None
    share = Decimal(offnet_seconds) * 100 / Decimal(fixed_seconds)
    if share <= threshold.value:
        return None
    only_offnet = usage.flags.offnet_surcharge_on_offnet_traffic_only
    base_micro = offnet_micro if is_on(only_offnet) else fixed_micro
    base = from_micro(base_micro)
    scope = msg("off-network fixed calls") if is_on(only_offnet) else msg("fixed calls")
    clause = f"{threshold.clause}; {surcharge.clause}" + (f"; {only_offnet.clause}" if only_offnet else "")
    return Line(msg("Off-network surcharge ({share} % > {threshold} % of fixed traffic)",
                    share=f"{share:.2f}", threshold=str(threshold.value)),
                money(base * surcharge.value / 100),
                msg("{percent} % × {base} € ({scope})", percent=str(surcharge.value),
                    base=f"{base:.2f}", scope=scope), clause)


def data_volume_missing(plan: Plan) -> str | None:
    """Why the data beyond an allowance is neither billed nor throttled, when the schedule leaves
    the monthly volume to the order (CP IX §1 gives no figure; reading T-MOB-MISSING-FIGURES)
    and the plan's offer states a data plan without a volume; None otherwise. Rating never
    makes up the volume."""
    from_order = plan.usage.flags.data_fair_use_volume_from_order
    if not is_on(from_order) or plan.bundle.data_plan is None or plan.bundle.data_mb is not None:
        return None
    return msg("Data beyond the allowance not charged: the order states no monthly data volume "
               "for this {plan} plan ({clause})", plan=plan.bundle.data_plan,
               clause=from_order.clause)


def data_overage_line(plan: Plan, national_bytes: int, tariff: Mapping | None) -> Line | None:
    """Metered plans pay the data beyond the allowance (mobile §15)."""
    bundle = plan.bundle
    if bundle.data_mb is None or bundle.data_plan != "metered" or tariff is None:
        return None
    over = max(0, national_bytes - bundle.data_mb * BYTES_PER_MB)
    if over == 0:
        return None
    clause = plan.usage.flags.data_fair_use_metered_plans_bill_excess
    mb = Decimal(over) / BYTES_PER_MB
    return Line(msg("Data beyond the allowance"), money(mb * from_micro(tariff["price_micro"])),
                msg("{mb} MB × {price}/MB", mb=f"{mb:.3f}", price=str(tariff["price_text"])),
                f"{tariff['tariff_source']}" + (f"; {clause.clause}" if clause else ""))

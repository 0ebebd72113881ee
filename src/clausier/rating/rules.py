"""Usage rating, pure: records (a Polars frame) + plans (sheet ``usage`` block, offer bundle, price
list) in; priced records, explained monthly amounts, fair-use breaches, fraud alerts, penalty
proposals and premium-number payouts out. No database, no clock, no I/O.

Everything per record is a vectorised Polars expression; Python only loops over subscriptions
(to explain their month) and over the few rows of aggregates. Amounts per record are integers
in micro-euros (exact and deterministic); each explained line is rounded half-up to the cent.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, Decimal

import polars as pl
from dateutil.relativedelta import relativedelta

from clausier.catalog.attributes import RatingAttributes
from clausier.core.clock import PARIS
from clausier.core.errors import RuleRefusal
from clausier.core.explain import Explained, Line
from clausier.core.money import money
from clausier.rating import numbering as nb
from clausier.rating.detail import DestinationUsage, UsageDetail
from clausier.terms.schema import Amount, Sourced, Threshold, Usage

MICRO = Decimal(1_000_000)
BYTES_PER_MB = 1_000_000
DAY_ZERO = datetime(1970, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
# The incumbent local-loop operator (France Télécom, now Orange) as CDRs name it, unless the
# sheet lists its own spellings under ``lists.incumbent_operators``.
INCUMBENT_OPERATORS = ("FT", "FRANCE TELECOM", "FRANCE_TELECOM", "ORANGE")
# National prefixes of the overseas departments (the "metropolitan" test of premium payouts).
DOM_PREFIXES = ("0262", "0263", "0269", "0508", "0590", "0594", "0596", "0639", "0690", "0691",
                "0692", "0693", "0694", "0696", "0697")
# Fair-use metrics that CDRs can measure; others (e.g. registered devices) are left to staff.
MEASURED_METRICS = ("distinct_numbers", "call_hours", "hours", "sms", "sms_recipients",
                    "simultaneous_calls")


def to_micro(amount: Decimal) -> int:
    return int((Decimal(amount) * MICRO).to_integral_value())


def from_micro(micro: int) -> Decimal:
    return Decimal(int(micro)) / MICRO


def fmt_price(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " €"


# --------------------------------------------------------------------------- inputs

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


@dataclass(frozen=True)
class Bundle:
    """What the offer's monthly fee includes (the sheet says what a bundle *may* include)."""

    unlimited: bool = False
    destinations: tuple[str, ...] | None = None   # national prefixes; None: the sheet's list
    countries: tuple[str, ...] = ()                # international destinations on the order
    sms_included: bool = False
    minutes: int | None = None                     # a minutes allowance (not unlimited)
    data_mb: int | None = None
    data_plan: str | None = None                   # unlimited (throttle/cut) | metered

    @classmethod
    def of(cls, attributes: RatingAttributes) -> Bundle:
        """The bundle an offer's attributes describe (the vocabulary of ``catalog.attributes``)."""
        return cls(unlimited=attributes.calls == "unlimited",
                   destinations=attributes.call_destinations, countries=attributes.call_countries,
                   sms_included=attributes.sms_included, minutes=attributes.call_minutes,
                   data_mb=attributes.data_mb, data_plan=attributes.data_plan)

    @property
    def includes_anything(self) -> bool:
        return (self.unlimited or self.minutes is not None or self.sms_included
                or bool(self.countries) or self.data_mb is not None)


@dataclass(frozen=True)
class Plan:
    """What rating needs to know about one subscription."""

    subscription_id: int
    customer_id: int
    family: str
    identifier: str
    usage: Usage
    bundle: Bundle = Bundle()
    units: Mapping[str, int] = field(default_factory=dict)   # analogue_line: 3, channel: 10…
    tariff_key: str = ""
    price_basis: str = "HT"
    lines_managed: bool = True
    operator_id: int | None = None


class RatingRefusal(RuleRefusal):
    """The terms do not allow what is asked (the message names the field and the clause)."""


# --------------------------------------------------------------------------- reading the sheet

def _pick(mapping: Mapping, *names: str):
    """The first of several names a sheet may use for one figure."""
    for name in names:
        if name in mapping:
            return mapping[name]
    return None


def figure(usage: Usage, *names: str) -> Sourced[Decimal] | None:
    return _pick(usage.figures, *names)


def amount(usage: Usage, *names: str) -> Amount | None:
    return _pick(usage.amounts, *names)


def listed(usage: Usage, *names: str) -> Sourced[list[str]] | None:
    return _pick(usage.lists, *names)


def flag(usage: Usage, *names: str) -> Sourced[bool] | None:
    return _pick(usage.flags, *names)


def _on(value: Sourced[bool] | None) -> bool:
    return bool(value and value.value)


def telephony_clauses_apply(usage: Usage) -> bool:
    """False for a service that carries no calls although its schedule copies the telephony
    template (hosted mail CP VI §6.4 and §8: no off-net surcharge, call set-up limit or caller-ID
    rule; reading T-MAIL-TELEPHONY-CLAUSES)."""
    applies = flag(usage, "telephony_clauses_apply")
    return applies is None or bool(applies.value)


def forwarding_excluded(usage: Usage) -> Sourced[list[str]] | None:
    """Forwarded calls are never included when the sheet excludes (permanent) call forwarding."""
    excluded = usage.excluded_from_unlimited
    if excluded and any("forward" in item for item in excluded.value):
        return excluded
    return None


def roaming_as_national(usage: Usage, zone: str) -> Sourced | None:
    """The clause that rates roaming in ``zone`` (eu, dom) like national use, if any."""
    if zone == nb.EU and (value := flag(usage, "eu_roaming_rated_as_national")) and value.value:
        return value
    included = listed(usage, "roaming_included")
    if included and zone.upper() in [z.upper() for z in included.value]:
        return included
    return None


def automated_forbidden_prefixes(usage: Usage) -> tuple[list[str], str]:
    """Prefixes an automated system may never present, and the clause (06/07 mobiles)."""
    forbidden = listed(usage, "automated_system_forbidden_caller_id_prefixes")
    if forbidden:
        return list(forbidden.value), forbidden.clause
    if (value := flag(usage, "mobile_numbers_forbidden_as_automated_caller_id")) and value.value:
        return ["06", "07"], value.clause
    return [], ""


def threshold_units(threshold: Threshold, units: Mapping[str, int]) -> int:
    """How many of the threshold's ``per`` units the subscription has (0: not applicable)."""
    if threshold.per in units:
        return int(units[threshold.per])
    return 1 if threshold.per in ("line", "user", "account", "sim") else 0


# --------------------------------------------------------------------------- outputs

@dataclass(frozen=True)
class Breach:
    """A fair-use threshold exceeded (*usage raisonnable*)."""

    subscription_id: int
    metric: str
    window: str
    limit: Decimal           # for the subscription: per-unit limit × units
    measured: Decimal
    per: str
    units: int
    unit_limit: Decimal
    consequence: str
    clause: str
    evidence: dict

    @property
    def explanation(self) -> str:
        return (f"{self.metric} {self.measured} > {self.limit} ({self.unit_limit} per {self.per}"
                f" × {self.units}, window {self.window}) → {self.consequence} — {self.clause}")


@dataclass(frozen=True)
class Alert:
    """A fraud or compliance finding, with its evidence and the penalty it may carry."""

    subscription_id: int
    kind: str
    clause: str
    calls: int
    numbers: tuple[str, ...]
    evidence: dict
    penalty: Explained | None = None


@dataclass(frozen=True)
class DataEvent:
    subscription_id: int
    kind: str          # throttle (in France) | cut (roaming)
    at: datetime
    record_id: str
    clause: str


@dataclass
class MonthRating:
    """Everything a month's rating produces."""

    rated: pl.DataFrame
    explained: dict[int, Explained]
    breaches: list[Breach]
    alerts: list[Alert]
    data_events: list[DataEvent]
    payouts: pl.DataFrame            # subscription_id, day, calls, seconds, amount_micro
    roaming: pl.DataFrame            # per subscription: national vs roaming consumption
    unpriced: dict[int, int]         # records without a tariff, per subscription
    detail: dict[int, UsageDetail] = field(default_factory=dict)   # the explained month per class


# --------------------------------------------------------------------------- frames of plans

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


@functools.lru_cache(maxsize=256)
def _prefix_mask(prefixes: tuple[str, ...]) -> int:
    """Bit d is set when the national prefix 0d is included (01–05, 06, 07, 09)."""
    return sum(1 << int(p[1]) for p in prefixes if len(p) == 2 and p.startswith("0") and p[1].isdigit())


def _once_per_block(read):
    """``read(usage)`` computed once per usage block: plans of one sheet version share their
    block object (the cache keeps the block, to be sure of its identity)."""
    cache: dict[int, tuple[Usage, object]] = {}

    def cached(usage: Usage):
        found = cache.get(id(usage))
        if found is None or found[0] is not usage:
            if len(cache) > 256:       # a long-lived process loads new blocks at each run
                cache.clear()
            found = cache[id(usage)] = (usage, read(usage))
        return found[1]
    return cached


@_once_per_block
def _sheet_columns(usage: Usage) -> dict:
    """What rating reads from a sheet's usage block."""
    multiplier = figure(usage, "web_call_back_calls_billed_per_request")
    return {
        "sheet_prefixes": [d for d in (usage.included_destinations.value
                                       if usage.included_destinations else []) if d.isdigit()],
        "forward_excluded": forwarding_excluded(usage) is not None,
        "eu_national": roaming_as_national(usage, nb.EU) is not None,
        "dom_national": roaming_as_national(usage, nb.DOM) is not None,
        "callback_calls": int(multiplier.value) if multiplier else 1,
        "cx_pool": figure(usage, "inbound_minutes_included_per_pack_per_month") is not None
        or amount(usage, "inbound_unmanaged_lines_per_minute") is not None,
        "sva": amount(usage, "caller_charge_cap_per_call") is not None
        or flag(usage, "payout_per_second_from_first_second") is not None,
        "unknown_origin": _on(flag(usage, "undetermined_origin_rating_on_country_mismatch",
                                   "undetermined_origin_tariff_on_country_mismatch")),
    }


def plans_frame(plans: Sequence[Plan], tariff_ids: Mapping[str, int]) -> pl.DataFrame:
    rows = []
    for plan in plans:
        bundle = plan.bundle
        sheet = _sheet_columns(plan.usage)
        # The sheet says what a bundle may include, the offer what it does include.
        if bundle.destinations is None:
            prefixes = sheet["sheet_prefixes"]
        elif plan.usage.included_destinations is None:
            prefixes = list(bundle.destinations)
        else:
            prefixes = [p for p in bundle.destinations if p in sheet["sheet_prefixes"]]
        rows.append({
            "subscription_id": plan.subscription_id, "tariff_id": tariff_ids.get(plan.tariff_key, -1),
            "unlimited": bundle.unlimited, "incl_mask": _prefix_mask(tuple(prefixes)),
            "sms_included": bundle.sms_included, "minutes_allowance": bundle.minutes,
            **{k: v for k, v in sheet.items() if k != "sheet_prefixes"},
            "data_allowance": bundle.data_mb * BYTES_PER_MB if bundle.data_mb is not None else None,
        })
    schema = {"subscription_id": pl.Int64, "tariff_id": pl.Int32, "unlimited": pl.Boolean,
              "incl_mask": pl.Int64, "sms_included": pl.Boolean, "minutes_allowance": pl.Int64,
              "forward_excluded": pl.Boolean, "eu_national": pl.Boolean, "dom_national": pl.Boolean,
              "callback_calls": pl.Int64, "cx_pool": pl.Boolean, "sva": pl.Boolean,
              "unknown_origin": pl.Boolean, "data_allowance": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def is_premium_number(plan: Plan) -> bool:
    return _sheet_columns(plan.usage)["sva"]


def pools_cx_minutes(plan: Plan) -> bool:
    return _sheet_columns(plan.usage)["cx_pool"]


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
        _rate_key(_country_index(pl.col("rate_country"), countries)).alias("rate_key"))
    return frame, ids, countries


# Room for each part of the price-list key (``_rate_key``).
DESTINATION_SLOTS, KIND_SLOTS, COUNTRY_SLOTS = 64, 8, 1024
assert len(RATE_DESTINATIONS) <= DESTINATION_SLOTS and len(KINDS) <= KIND_SLOTS


def _country_index(country: pl.Expr, countries: Sequence[str]) -> pl.Expr:
    """1 + the position of a country among those with their own price, 0 for none."""
    if len(countries) >= COUNTRY_SLOTS:
        raise ValueError(f"more than {COUNTRY_SLOTS - 1} countries with their own price")
    return country.replace_strict(list(countries), list(range(1, len(countries) + 1)), default=0,
                                  return_dtype=pl.Int64)


def _rate_key(country_index: pl.Expr) -> pl.Expr:
    """One integer for (price list, rate destination, kind, country): joining millions of
    records to the price lists on it is far cheaper than on the four columns."""
    c = pl.col
    return (((c("tariff_id").cast(pl.Int64) * DESTINATION_SLOTS + c("rate_dest").to_physical().cast(pl.Int64))
             * KIND_SLOTS + c("kind").to_physical().cast(pl.Int64)) * COUNTRY_SLOTS + country_index)


# --------------------------------------------------------------------------- classification

def _lookup(frame: pl.DataFrame, table: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """``frame`` with the columns of ``table`` (unique on ``on``) for each row, null where none
    matches: a left join that joins the key columns only and appends the columns found, as
    joining the wide frame of records would copy every one of its columns."""
    found = frame.select(on).join(table, on=on, how="left", nulls_equal=True, maintain_order="left")
    return frame.hstack(found.drop(on).get_columns())


def classify(records: pl.LazyFrame, plans: pl.DataFrame, countries: Sequence[str],
             included_countries: pl.DataFrame, own_numbers: Mapping[int, str],
             managed_numbers: Collection[str] | None = None) -> pl.DataFrame:
    """Numbering plan, roaming zone, bundle eligibility and the price-list key of each record."""
    c = pl.col
    out = c("direction") == "out"
    voice = c("type").is_in(("voice", "callback"))
    # The service identifier and file line of a record are not rated: they are not read.
    frame = _lookup(records.drop("service", "line", strict=False).collect(), plans, ["subscription_id"])
    if frame["tariff_id"].null_count():     # records of a subscription without a plan (gone)
        frame = frame.filter(c("tariff_id").is_not_null())
    frame = frame.with_columns(
        nb.roaming_zone(c("origin_country")).alias("zone"),
        pl.when(voice).then(pl.lit("voice")).otherwise(c("type")).cast(KIND).alias("kind"))
    # The numbering plan is applied once per distinct called number (far fewer than records).
    numbers = (frame.select(c("called").unique())
               .with_columns(nb.normalise(c("called")).alias("called_n"))
               .with_columns(nb.destination_class(c("called_n")).alias("dest_class"),
                             nb.country(c("called_n")).alias("dest_country"),
                             c("called_n").str.slice(1, 1).replace_strict(
                                 {str(d): 1 << d for d in range(10)}, default=0,
                                 return_dtype=pl.Int64).alias("prefix_bit"),
                             # an integer per normalised number: distinct counts on it are cheap
                             c("called_n").rank("dense").alias("number_id"))
               # the country of a number priced on its own (null: the generic international price)
               .with_columns(pl.when(c("dest_class") == nb.INTERNATIONAL)
                             .then(_country_index(c("dest_country"), countries)).otherwise(0)
                             .alias("country_index"))
               .with_columns(pl.when(c("country_index") > 0).then(c("dest_country"))
                             .otherwise(pl.lit(None, pl.String)).alias("rate_country")))
    frame = _lookup(frame, numbers, ["called"]).with_columns(
        ((c("zone") == nb.HOME) | ((c("zone") == nb.EU) & c("eu_national"))
         | ((c("zone") == nb.DOM) & c("dom_national"))).alias("national_rated"))
    frame = frame.with_columns(_origin_mismatch(frame, own_numbers),
                               _redirected_unmanaged(frame, managed_numbers))
    if included_countries.height:
        frame = _lookup(frame, included_countries.unique(["subscription_id", "dest_country"]),
                        ["subscription_id", "dest_country"]).with_columns(c("country_included").fill_null(False))
    else:
        frame = frame.with_columns(pl.lit(False).alias("country_included"))

    def place(name: str) -> pl.Expr:
        return pl.lit(name, RATE_DESTINATION)

    roaming = pl.when(c("zone") == nb.DOM).then(place("roaming_dom")).when(c("zone") == nb.EU).then(
        place("roaming_eu")).otherwise(place("roaming_world"))
    roaming_in = pl.when(c("zone") == nb.DOM).then(place("roaming_dom_in")).when(c("zone") == nb.EU).then(
        place("roaming_eu_in")).otherwise(place("roaming_world_in"))
    as_place = c("dest_class").cast(RATE_DESTINATION)       # every class is a destination
    rate_dest = (
        pl.when(c("sva") & ~out).then(place("sva_payout"))
        .when(c("cx_pool") & ~out & voice & c("redirected_unmanaged")).then(place("cx_redirected"))
        .when(c("cx_pool") & ~out & voice).then(place("cx_inbound"))
        .when(c("origin_mismatch")).then(place("unknown_origin"))
        .when(c("type") == "data").then(pl.when(c("national_rated")).then(place("data")).otherwise(roaming))
        .when(~out).then(pl.when(c("national_rated")).then(place("inbound")).otherwise(roaming_in))
        .when(~c("national_rated")).then(roaming)
        .otherwise(as_place)
    )
    eligible_number = (
        (c("dest_class").is_in((nb.FIXED, nb.MOBILE)) & ((c("incl_mask") & c("prefix_bit")) != 0))
        | ((c("dest_class") == nb.INTERNATIONAL) & c("country_included")))
    in_bundle = (out & c("national_rated") & ~c("origin_mismatch")
                 & ~(c("forwarded") & c("forward_excluded")))
    return frame.with_columns(
        rate_dest.alias("rate_dest"),
        (in_bundle & voice & eligible_number
         & (c("unlimited") | c("minutes_allowance").is_not_null())).alias("voice_eligible"),
        (in_bundle & (c("type") == "sms") & (c("dest_class") == nb.MOBILE) & c("sms_included"))
        .alias("sms_eligible"),
    )


def _redirected_unmanaged(frame: pl.DataFrame, managed_numbers: Collection[str] | None) -> pl.Series:
    """Contact-centre calls redirected to a number the operator does not manage (CX §2
    L7434-7435). Only the few forwarded inbound calls with a known target are examined; with
    no list of managed numbers, none is."""
    c = pl.col
    result = pl.Series("redirected_unmanaged", [False] * frame.height, dtype=pl.Boolean)
    if managed_numbers is None:
        return result
    candidates = frame.select(pl.arg_where(
        c("cx_pool") & (c("direction") == "in") & c("forwarded")
        & (c("forwarded_to").fill_null("") != "")).alias("index"))["index"]
    if candidates.len() == 0:
        return result
    hits = frame[candidates].select(
        ~nb.normalise(c("forwarded_to")).is_in(sorted(managed_numbers)).alias("hit"))["hit"]
    return result.scatter(candidates.filter(hits), True)


def _origin_mismatch(frame: pl.DataFrame, own_numbers: Mapping[int, str]) -> pl.Series:
    """"Le pays d'origine du numéro de l'installation appelante ne correspond pas au pays
    d'origine du numéro présenté" (CP V §10.3, CP IX §11.3, CP XII §11.3): the call is re-rated
    at the "unknown origin" tariff when the country of the line's own number (phonenumbers)
    differs from the presented number's, or when a line on a foreign network (``origin_country``)
    presents a number of neither that country nor its own. Only the few candidates are
    examined: outgoing calls presenting an international number, from a foreign network or
    from a line whose own number is not French."""
    c = pl.col
    result = pl.Series("origin_mismatch", [False] * frame.height, dtype=pl.Boolean)
    own = pl.DataFrame({"subscription_id": list(own_numbers), "number": list(own_numbers.values())},
                       schema={"subscription_id": pl.Int64, "number": pl.String}).with_columns(
        nb.normalise(c("number")).alias("own_n")).with_columns(nb.country(c("own_n")).alias("country"))
    own_n = dict(zip(own["subscription_id"], own["own_n"], strict=True))
    own_country = {s: k for s, k in zip(own["subscription_id"], own["country"], strict=True) if k}
    origin = c("origin_country").fill_null("")
    candidates = frame.select(pl.arg_where(
        (c("direction") == "out") & c("unknown_origin")
        & ((origin != "") | c("calling").fill_null("").str.contains(r"^\s*(?:\+|00)")
           | c("subscription_id").is_in([s for s, k in own_country.items() if k != "FR"])))
        .alias("index"))["index"]
    if candidates.len() == 0:
        return result
    calling = nb.normalise(c("calling"))
    presented = nb.country(calling)
    installation = c("subscription_id").replace_strict(own_country, default=None,
                                                       return_dtype=pl.String)
    by_number = installation.is_not_null() & presented.is_not_null() & (presented != installation)
    by_network = ((origin != "") & presented.is_not_null() & (presented != origin)
                  & (calling != c("subscription_id").replace_strict(own_n, default="",
                                                                    return_dtype=pl.String)))
    hits = frame[candidates].select((by_number | by_network).fill_null(False).alias("hit"))["hit"]
    return result.scatter(candidates.filter(hits), True)


# --------------------------------------------------------------------------- fair use

def _concurrency(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The most simultaneous calls of each subscription (a sweep over call starts and ends)."""
    calls = frame.filter(pl.col("kind") == "voice").select(
        "subscription_id", "start",
        (pl.col("start") + pl.duration(seconds=pl.col("duration"))).alias("end"))
    events = pl.concat([
        calls.select("subscription_id", pl.col("start").alias("at"), pl.lit(1).alias("step")),
        calls.select("subscription_id", pl.col("end").alias("at"), pl.lit(-1).alias("step")),
    ])
    # At equal instants ends come first: a call ending when the next starts is not simultaneous.
    return (events.sort(["subscription_id", "at", "step"])
            .with_columns(pl.col("step").cum_sum().over("subscription_id").alias("live"))
            .group_by("subscription_id").agg(pl.col("live").max().alias("simultaneous_calls")))


def fair_use_metrics(classified: pl.DataFrame, with_concurrency: Sequence[int]) -> pl.DataFrame:
    """Monthly fair-use measures of the bundle's use, per subscription."""
    c = pl.col
    eligible = classified.lazy().filter(c("voice_eligible") | c("sms_eligible"))
    metrics = eligible.group_by("subscription_id").agg(
        c("number_id").filter(c("voice_eligible")).n_unique().alias("distinct_numbers"),
        c("duration").filter(c("voice_eligible")).sum().alias("call_seconds"),
        c("sms_eligible").sum().alias("sms"),
        c("number_id").filter(c("sms_eligible")).n_unique().alias("sms_recipients"),
    )
    if with_concurrency:
        busy = _concurrency(eligible.filter(c("subscription_id").is_in(list(with_concurrency))
                                            & c("voice_eligible")))
        metrics = metrics.join(busy, on="subscription_id", how="left")
    else:
        metrics = metrics.with_columns(pl.lit(None, pl.Int64).alias("simultaneous_calls"))
    return metrics.collect()


def breaches_of(plan: Plan, measures: Mapping[str, object], numbers: Sequence[str]) -> list[Breach]:
    """The monthly and instant thresholds of the sheet that the subscription's use exceeds."""
    found = []
    hours_per_channel = flag(plan.usage, "hours_per_channel_fair_use_applies")
    for threshold in plan.usage.fair_use:
        if threshold.metric not in MEASURED_METRICS or threshold.window == "call":
            continue
        if (threshold.metric in ("call_hours", "hours") and threshold.per == "channel"
                and hours_per_channel is not None and not hours_per_channel.value):
            # Centrex §8 copies the trunk's "40 h par canal" upside down, for a service without
            # channels: not applied against the client (reading T-CENTREX-40H).
            continue
        units = threshold_units(threshold, plan.units)
        if units == 0:
            continue
        measured = Decimal(str(measures.get(threshold.metric) or 0))
        limit = threshold.limit * units
        exceeded = measured > limit
        evidence: dict = {}
        if threshold.metric in ("call_hours", "hours"):
            # "plus de N heures": the exact seconds are compared, never rounded hours (40 h 00 min
            # 01 s is more than 40 h). Hours are shown to the hundredth, or finer (rounded up)
            # where the hundredth would hide the excess.
            seconds = int(measures.get("call_seconds") or 0)
            exceeded = seconds > limit * 3600
            measured = (Decimal(seconds) / 3600).quantize(Decimal("0.01"))
            if exceeded and measured <= limit:
                measured = (Decimal(seconds) / 3600).quantize(Decimal("0.000001"), ROUND_CEILING)
            evidence["measured_seconds"] = seconds
        if exceeded:
            evidence |= {"measured": str(measured), "limit": str(limit)}
            if threshold.metric == "distinct_numbers":
                evidence["numbers"] = list(numbers)
            found.append(Breach(plan.subscription_id, threshold.metric, threshold.window, limit,
                                measured, threshold.per, units, threshold.limit,
                                threshold.consequence, str(threshold.src), evidence))
    return found


def per_call_limits(plans: Sequence[Plan]) -> pl.DataFrame:
    """Per-call duration limits (Ozone: 2 h per call) as seconds, per subscription."""
    rows = []
    for plan in plans:
        for threshold in plan.usage.fair_use:
            if threshold.window == "call" and threshold.metric in ("call_hours", "hours"):
                rows.append({"subscription_id": plan.subscription_id,
                             "call_limit_s": int(threshold.limit * 3600),
                             "call_limit_clause": str(threshold.src)})
    return pl.DataFrame(rows, schema={"subscription_id": pl.Int64, "call_limit_s": pl.Int64,
                                      "call_limit_clause": pl.String})


# --------------------------------------------------------------------------- pricing

def price(classified: pl.DataFrame, tariffs: pl.DataFrame, rerated: Sequence[int],
          call_limits: pl.DataFrame) -> pl.DataFrame:
    """Price every record. Included calls cost nothing, unless the month's fair use is
    breached (then they are re-rated at the tariff) or a call exceeds the per-call limit
    (its excess is billed). Minutes allowances are consumed in call order."""
    c = pl.col
    versions = tariffs.group_by("rate_key").len()["len"].max() or 1
    numeric = tariffs.select("rate_key", "tariff_row", "valid_from", "valid_to", "price_micro", "setup_micro",
                             "per_started_minute")
    classified = classified.with_columns(_rate_key(c("country_index")).alias("rate_key"))
    if versions == 1:
        frame = _lookup(classified, numeric, ["rate_key"])
    else:       # a price changed within the lists: keep the version of the call's instant
        frame = (classified.join(numeric, on="rate_key", how="left", maintain_order="left")
                 .filter(c("price_micro").is_null()
                         | ((c("start") >= c("valid_from")) & (c("start") < c("valid_to")))))
    frame = frame.drop("valid_from", "valid_to")
    if call_limits.height:
        frame = _lookup(frame, call_limits.unique("subscription_id", keep="first", maintain_order=True),
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


# --------------------------------------------------------------------------- explanations

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


def explanation_texts(groups: pl.DataFrame) -> pl.DataFrame:
    """Each group's label, formula (but for data) and amount in cents, in one vectorised pass:
    a month has tens of thousands of lines to word. ``explain_lines`` adds the plan's clauses."""
    c = pl.col
    count = pl.format("{} record(s)", c("records"))
    price = c("price_text").fill_null("None")      # a record without a price says so, as it always has
    country = pl.when(c("rate_country").fill_null("") != "").then(pl.format(" {}", c("rate_country")))
    voice = pl.format("{}, {} call(s), {} billed × {}/min", count, c("calls"), _duration_text(c("charged_s")), price)
    set_up = pl.format(" + set-up {} per call", c("setup_text").fill_null("None"))
    return groups.with_columns(
        pl.format("{} — {}", c("kind").cast(pl.String).replace_strict(KIND_WORDS),
                  c("rate_dest").cast(pl.String).str.replace_all("_", " ")).add(country.otherwise(pl.lit("")))
        .alias("label"),
        pl.when(c("in_bundle")).then(pl.format("{}, {} included", count, _duration_text(c("seconds"))))
        .when(c("kind") == "voice").then(pl.when(c("setup_micro").fill_null(0) != 0).then(voice + set_up)
                                         .otherwise(voice))
        .when(c("kind") != "data").then(pl.format("{} message(s) × {}", c("calls"), price))
        .alias("formula"),
        _cents(c("amount_micro")).alias("cents"))


EXPLAINED_COLUMNS = ("label", "formula", "cents", "in_bundle", "beyond_allowance", "rerated",
                     "tariff_source", "bytes", "price_text")
# What a group adds to its destination class's figures (``destination_usage``).
FIGURE_COLUMNS = ("calls", "seconds", "charged_s")


def explain_lines(groups: Sequence[tuple], plan: Plan, breaches: Sequence[Breach]) -> list[Line]:
    """One explained line per price-list entry used in the month: ``groups`` are rows of
    ``EXPLAINED_COLUMNS`` (``explanation_texts``), in GROUP_ORDER."""
    lines = []
    breach_clause = "; ".join(b.clause for b in breaches)
    bundle_clause = (plan.usage.included_destinations.clause
                     if plan.usage.included_destinations else "offer bundle")
    for label, formula, cents, in_bundle, beyond_allowance, rerated, source, size, price_text, *_ in groups:
        if in_bundle:
            lines.append(Line(f"{label}, included in the bundle", Decimal(0), formula, bundle_clause))
            continue
        if formula is None:       # data: the volume as Python words it
            formula = f"{size / BYTES_PER_MB:.3f} MB × {price_text}/MB"
        clause = source or ""
        if beyond_allowance:
            label += ", beyond the bundle's allowance"
            limits = "; ".join(str(t.src) for t in plan.usage.fair_use if t.window == "call")
            clause = "; ".join(x for x in (clause, limits or bundle_clause) if x)
        if rerated:
            label += ", re-rated after a fair-use breach"
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
    return tuple(DestinationUsage(label, calls, seconds, included, charged, money(total), "; ".join(clauses))
                 for label, (calls, seconds, included, charged, total, clauses) in classes.items())


def cx_lines(plan: Plan, inbound_seconds: int | None, redirected_seconds: int) -> list[Line | None]:
    """The month's contact-centre inbound lines: the pack pool, and calls redirected to numbers
    the operator does not manage, paid from the first minute (CX §2 L7434-7435). When the
    lines themselves are not managed, every inbound minute is already paid from the first."""
    rate = amount(plan.usage, "inbound_redirected_to_unmanaged_number_per_minute")
    if redirected_seconds and (not plan.lines_managed or rate is None):
        inbound_seconds, redirected_seconds = (inbound_seconds or 0) + redirected_seconds, 0
    lines = [cx_pool_line(plan, inbound_seconds) if inbound_seconds is not None else None]
    if redirected_seconds:
        minutes = Decimal(redirected_seconds) / 60
        lines.append(Line("CX inbound calls redirected to numbers not managed by the operator",
                          money(minutes * rate.amount),
                          f"{minutes:.2f} min × {fmt_price(rate.amount)} {rate.basis}/min from the first minute",
                          str(rate.src)))
    return lines


def cx_pool_line(plan: Plan, inbound_seconds: int) -> Line | None:
    """CX inbound minutes: included per pack then per minute, or per minute from the first
    minute when the lines are not managed by the operator (CX §2)."""
    usage = plan.usage
    minutes = Decimal(inbound_seconds) / 60
    if not plan.lines_managed:
        rate = amount(usage, "inbound_unmanaged_lines_per_minute")
        if rate is None:
            return None
        return Line("CX inbound minutes (lines not managed by the operator)",
                    money(minutes * rate.amount),
                    f"{minutes:.2f} min × {fmt_price(rate.amount)} {rate.basis}/min from the first minute",
                    str(rate.src))
    per_pack = figure(usage, "inbound_minutes_included_per_pack_per_month")
    rate = amount(usage, "inbound_overage_per_minute")
    if per_pack is None or rate is None:
        return None
    packs = int(plan.units.get("pack", 1))
    included = per_pack.value * packs
    over = max(Decimal(0), minutes - included)
    return Line("CX inbound minutes beyond the packs", money(over * rate.amount),
                f"({minutes:.2f} min − {packs} pack(s) × {per_pack.value} min) = {over:.2f} min"
                f" × {fmt_price(rate.amount)} {rate.basis}/min",
                f"{per_pack.clause}; {rate.src}")


def offnet_line(plan: Plan, fixed_seconds: int, offnet_seconds: int, fixed_micro: int,
                offnet_micro: int) -> Line | None:
    """+N % on the tariff when more than M % of the local/national fixed traffic ends on
    local-loop operators other than the incumbent (VGA §7.4, SIP/Centrex §7.4, CX §7.4)."""
    usage = plan.usage
    if not telephony_clauses_apply(usage):
        return None
    threshold = figure(usage, "offnet_share_threshold_percent", "local_loop_share_threshold_percent")
    surcharge = figure(usage, "offnet_surcharge_percent", "local_loop_surcharge_percent")
    if threshold is None or surcharge is None or fixed_seconds == 0:
        return None
    share = Decimal(offnet_seconds) * 100 / Decimal(fixed_seconds)
    if share <= threshold.value:
        return None
    only_offnet = flag(usage, "offnet_surcharge_on_offnet_traffic_only")
    base_micro = offnet_micro if _on(only_offnet) else fixed_micro
    base = from_micro(base_micro)
    scope = "off-network fixed calls" if _on(only_offnet) else "fixed calls"
    clause = f"{threshold.clause}; {surcharge.clause}" + (f"; {only_offnet.clause}" if only_offnet else "")
    return Line(f"Off-network surcharge ({share:.2f} % > {threshold.value} % of fixed traffic)",
                money(base * surcharge.value / 100),
                f"{surcharge.value} % × {base:.2f} € ({scope})", clause)


def data_volume_missing(plan: Plan) -> str | None:
    """Why the data beyond an allowance is neither billed nor throttled, when the schedule leaves
    the monthly volume to the order (CP IX §1 gives no figure; reading T-MOB-MISSING-FIGURES)
    and the plan's offer states a data plan without a volume; None otherwise. Rating never
    makes up the volume."""
    from_order = flag(plan.usage, "data_fair_use_volume_from_order")
    if not _on(from_order) or plan.bundle.data_plan is None or plan.bundle.data_mb is not None:
        return None
    return (f"Data beyond the allowance not charged: the order states no monthly data volume for "
            f"this {plan.bundle.data_plan} plan ({from_order.clause})")


def payout_grid_missing(plan: Plan, tariffs: Sequence[Tariff]) -> str | None:
    """Why a premium number's payouts are not computed: the schedule gives no payout grid and
    leaves the figures to the order (CP XII §1; reading T-D-MISSING-FIGURES), and the price list
    of the order has no payout line. Rating never makes the figure up."""
    from_order = flag(plan.usage, "price_figures_from_order")
    if not _on(from_order) or not is_premium_number(plan):
        return None
    if any(tariff.destination == "sva_payout" for tariff in tariffs):
        return None
    return (f"Payouts not computed: the price list of the order has no payout grid "
            f"(sva_payout lines), which the schedule leaves to the order ({from_order.clause})")


def data_overage_line(plan: Plan, national_bytes: int, tariff: Mapping | None) -> Line | None:
    """Metered plans pay the data beyond the allowance (mobile §15)."""
    bundle = plan.bundle
    if bundle.data_mb is None or bundle.data_plan != "metered" or tariff is None:
        return None
    over = max(0, national_bytes - bundle.data_mb * BYTES_PER_MB)
    if over == 0:
        return None
    clause = flag(plan.usage, "data_fair_use_metered_plans_bill_excess")
    mb = Decimal(over) / BYTES_PER_MB
    return Line("Data beyond the allowance", money(mb * from_micro(tariff["price_micro"])),
                f"{mb:.3f} MB × {tariff['price_text']}/MB",
                f"{tariff['tariff_source']}" + (f"; {clause.clause}" if clause else ""))


# --------------------------------------------------------------------------- fraud and compliance

# The breaches of the schedules' sanction clauses (``penalty_triggers``,
# ``traffic_interruption_triggers``) that an alert of rating proves: presenting a number an
# automated system or a platform may not present breaches the prohibited caller IDs (CP IV/V
# §8.1.4, CP IX §5.5.2-5.5.3); a calling installation in another country than the number it
# presents breaches the numbering plan's territoriality (CP IX §9, CP IV/V §10.3).
ALERT_BREACHES = {"automated_caller_id": "prohibited_caller_ids",
                  "platform_caller_id": "prohibited_caller_ids",
                  "origin_mismatch": "arcep_numbering_plan_breach"}
# The alerts that carry the per-number and per-call penalties.
PENALISED_ALERTS = ("automated_caller_id", "platform_caller_id")


def penalty_clause(usage: Usage, breach: str) -> str | None:
    """The clause under which ``breach`` carries the sheet's penalties, or None when the sheet's
    list of penalised breaches leaves it out (a sheet without such a list penalises every
    caller-ID breach). Centrex §8.1.4.1 points its penalties at a broken reference; §10.3 names
    8.1.4 itself (reading T-CENTREX-PENALTY-XREF)."""
    triggers = listed(usage, "penalty_triggers")
    if triggers is None:
        return ""
    return triggers.clause if breach in triggers.value else None


def interruption_without_notice(usage: Usage, breach: str) -> str | None:
    """The clause that lets the operator stop routing the client's traffic without notice for
    ``breach``, or None. A sanction without notice is read narrowly: the trunk's §10.2 names
    8.1.5 only through a broken reference, so unsolicited prospecting is not among its causes
    (reading T-SIP-INTERRUPTION-XREF); the mobile §11.2 adds the numbering plan's territoriality
    through a broken reference read as article 9 (reading T-MOB-BROKEN-XREF)."""
    triggers = listed(usage, "traffic_interruption_triggers")
    if triggers is not None and breach in triggers.value:
        return triggers.clause
    territoriality = flag(usage, "routing_cut_without_notice_on_territoriality_breach")
    if breach == "arcep_numbering_plan_breach" and _on(territoriality):
        return territoriality.clause
    return None


def penalty(usage: Usage, numbers: int, calls: int, because: str = "") -> Explained | None:
    """Sheet penalties per calling number and per call or attempt, cumulative (e.g. CP IX §11.3);
    ``because``: the clause that makes the breach penalised, cited after each amount's."""
    per_number = amount(usage, "penalty_per_calling_number")
    per_call = amount(usage, "penalty_per_call_or_attempt")
    if per_number is None and per_call is None:
        return None
    explained = Explained()
    if per_number is not None:
        explained = explained.plus(Line("Penalty per calling number", money(per_number.amount * numbers),
                                        f"{numbers} number(s) × {fmt_price(per_number.amount)} {per_number.basis}",
                                        _cited(str(per_number.src), because)))
    if per_call is not None:
        explained = explained.plus(Line("Penalty per call or attempt", money(per_call.amount * calls),
                                        f"{calls} call(s) × {fmt_price(per_call.amount)} {per_call.basis}",
                                        _cited(str(per_call.src), because)))
    return explained


def _cited(*clauses: str) -> str:
    """The clauses once each; one the next quotes with its reading ("X (L1)" and "X (L1),
    reading R") is cited in the longer form only."""
    unique = list(dict.fromkeys(c for c in clauses if c))
    return "; ".join(c for c in unique if not any(o != c and o.startswith(c) for o in unique))


@_once_per_block
def _caller_rules(usage: Usage) -> list[tuple]:
    """The fraud and caller-ID rules of a sheet, as hashable keys (plans sharing a sheet share them)."""
    keys: list[tuple] = []
    if not telephony_clauses_apply(usage):
        return keys
    for threshold in usage.fraud:
        if threshold.metric == "call_setups_per_second":
            keys.append(("setup_burst", int(threshold.limit), str(threshold.src)))
    rewrite = listed(usage, "rewritten_caller_id_forms", "caller_id_rewritten_forms")
    if rewrite:
        keys.append(("caller_id_rewrite", nb.form_pattern(rewrite.value), rewrite.clause))
    allowed = listed(usage, "automated_system_caller_id_prefixes")
    forbidden, forbidden_clause = automated_forbidden_prefixes(usage)
    if allowed or forbidden:
        clause = "; ".join(x for x in (allowed.clause if allowed else "", forbidden_clause) if x)
        keys.append(("automated_caller_id", tuple(allowed.value) if allowed else None,
                     tuple(forbidden), clause))
    platform = listed(usage, "technical_platform_caller_id_prefixes", "platform_caller_id_prefixes")
    if platform:
        keys.append(("platform_caller_id", tuple(platform.value), platform.clause))
    return keys


def _presented_hits(kind: str, key: tuple) -> pl.Expr:
    c = pl.col
    if kind == "caller_id_rewrite":
        return c("calling_n").str.contains(key[1])
    if kind == "automated_caller_id":
        allowed, forbidden = key[1], key[2]
        bad = ~nb.has_prefix(c("calling_n"), allowed) if allowed is not None else pl.lit(False)
        return (c("traffic") == "automated") & (bad | nb.has_prefix(c("calling_n"), forbidden))
    return (c("traffic") == "platform") & ~nb.has_prefix(c("calling_n"), key[1])


FINDINGS_SCHEMA = {"subscription_id": pl.Int64, "kind": pl.String, "clause": pl.String,
                   "calls": pl.Int64, "numbers": pl.List(pl.String), "seconds": pl.List(pl.String),
                   "peak": pl.Int64, "limit": pl.Int64}


def fraud_frame(classified: pl.DataFrame, plans: Sequence[Plan]) -> pl.DataFrame:
    """Per subscription and kind of finding: calls, presented numbers and evidence. Caller-ID
    rules are checked on the distinct presented numbers, not on every record."""
    c = pl.col
    out_voice = classified.lazy().filter((c("direction") == "out") & (c("kind") == "voice"))
    groups: dict[tuple, list[int]] = {}
    for plan in plans:
        for key in _caller_rules(plan.usage):
            groups.setdefault(key, []).append(plan.subscription_id)
    findings: list[pl.DataFrame] = []
    presented = (out_voice.group_by("subscription_id", "calling", "traffic").agg(pl.len().alias("calls"))
                 .with_columns(nb.normalise(c("calling")).alias("calling_n")).collect())
    for key, subscriptions in groups.items():
        kind, clause = key[0], key[-1]
        mine = c("subscription_id").is_in(subscriptions)
        if kind == "setup_burst":
            limit = key[1]
            bursts = (out_voice.filter(mine)
                      .group_by("subscription_id", c("start").dt.epoch("s").alias("second"))
                      .agg(pl.len().alias("setups")).filter(c("setups") > limit)
                      .group_by("subscription_id").agg(
                          c("setups").sum().alias("calls"), c("setups").max().alias("peak"),
                          pl.from_epoch(c("second").sort().head(20), time_unit="s")
                          .dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("seconds"))
                      .with_columns(pl.lit(kind).alias("kind"), pl.lit(clause).alias("clause"),
                                    pl.lit(limit, pl.Int64).alias("limit")).collect())
            findings.append(bursts)
            continue
        hits = presented.filter(mine & _presented_hits(kind, key))
        findings.append(hits.group_by("subscription_id").agg(
            c("calls").sum(), c("calling_n").unique().sort().head(50).alias("numbers"))
            .with_columns(pl.lit(kind).alias("kind"), pl.lit(clause).alias("clause")))
    mismatch = classified.filter(c("origin_mismatch"))
    if mismatch.height:
        findings.append(mismatch.group_by("subscription_id").agg(
            pl.len().alias("calls"), nb.normalise(c("calling")).unique().sort().head(50).alias("numbers"))
            .with_columns(pl.lit("origin_mismatch").alias("kind"), pl.lit("").alias("clause")))
    frames = [f.select(*[(c(n).cast(t) if n in f.columns else pl.lit(None, t).alias(n))
                         for n, t in FINDINGS_SCHEMA.items()]) for f in findings]
    if not frames:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    return pl.concat(frames).filter(c("calls") > 0).sort(["subscription_id", "kind"])


def alerts_from(findings: pl.DataFrame, plans: Mapping[int, Plan]) -> list[Alert]:
    alerts = []
    for row in findings.iter_rows(named=True):
        plan = plans[row["subscription_id"]]
        numbers = tuple(row["numbers"] or ())
        evidence: dict = {"calls": row["calls"], "numbers": list(numbers)}
        clause = row["clause"]
        if row["kind"] == "setup_burst":
            evidence.update(peak=row["peak"], limit=row["limit"], seconds=row["seconds"])
        if row["kind"] == "origin_mismatch":
            origin = flag(plan.usage, "undetermined_origin_rating_on_country_mismatch",
                          "undetermined_origin_tariff_on_country_mismatch")
            clause = origin.clause if origin else ""
        breach = ALERT_BREACHES.get(row["kind"])
        because = penalty_clause(plan.usage, breach) if row["kind"] in PENALISED_ALERTS else None
        charged = penalty(plan.usage, len(numbers), row["calls"], because) if because is not None else None
        if breach and (interruption := interruption_without_notice(plan.usage, breach)):
            evidence["interruption_without_notice"] = interruption
        alerts.append(Alert(plan.subscription_id, row["kind"], clause, row["calls"], numbers,
                            evidence, charged))
    return alerts


# --------------------------------------------------------------------------- premium numbers (SVA)

def sva_payouts(priced: pl.DataFrame, caller_tariffs: pl.DataFrame, plans: Sequence[Plan]) -> pl.DataFrame:
    """Payout per call to a premium number: per second from the first second, at the number's
    tariff in force when the call arrived, only for calls from metropolitan French fixed and
    mobile networks; duration capped at N minutes above the tier and the caller charge at the
    per-call cap (CP XII §7.4, §12)."""
    c = pl.col
    sva_plans = [p for p in plans if is_premium_number(p)]
    if not sva_plans:
        return pl.DataFrame(schema={"subscription_id": pl.Int64, "day": pl.Date, "calls": pl.UInt32,
                                    "seconds": pl.Int64, "amount_micro": pl.Int64,
                                    "hyper_short": pl.UInt32})
    params = []
    for plan in sva_plans:
        usage = plan.usage
        cap = amount(usage, "caller_charge_cap_per_call")
        tier = amount(usage, "duration_limit_applies_above_per_minute")
        limit = figure(usage, "call_max_minutes_above_tier")
        short = figure(usage, "hyper_short_call_seconds_exclusive")
        params.append({"subscription_id": plan.subscription_id,
                       "cap_micro": to_micro(cap.amount) if cap else None,
                       "tier_micro": to_micro(tier.amount) if tier else None,
                       "max_s": int(limit.value * 60) if limit else None,
                       "short_s": int(short.value) if short else 0})
    params_df = pl.DataFrame(params, schema={"subscription_id": pl.Int64, "cap_micro": pl.Int64,
                                             "tier_micro": pl.Int64, "max_s": pl.Int64,
                                             "short_s": pl.Int64})
    calls = (priced.lazy().filter(c("rate_dest") == "sva_payout")
             .select("subscription_id", "tariff_id", "start", "duration", "zone", "price_micro",
                     nb.normalise(c("calling")).alias("calling_n"))
             .join(params_df.lazy(), on="subscription_id", how="inner")
             .join(caller_tariffs.lazy().select("tariff_id", c("valid_from").alias("caller_from"),
                                                c("valid_to").alias("caller_to"),
                                                c("price_micro").alias("caller_micro")),
                   on="tariff_id", how="left")
             .filter(c("caller_micro").is_null()
                     | ((c("start") >= c("caller_from")) & (c("start") < c("caller_to")))))
    metropolitan = (c("calling_n").str.slice(0, 2).is_in(("01", "02", "03", "04", "05", "06", "07", "09"))
                    & ~nb.has_prefix(c("calling_n"), DOM_PREFIXES) & (c("zone") == nb.HOME))
    over_tier = c("tier_micro").is_not_null() & (c("caller_micro") > c("tier_micro"))
    by_cap = pl.when(c("cap_micro").is_not_null() & (c("caller_micro") > 0)).then(
        (c("cap_micro") * 60) // c("caller_micro"))
    counted = pl.min_horizontal(
        c("duration"),
        pl.when(over_tier & c("max_s").is_not_null()).then(c("max_s")).otherwise(c("duration")),
        by_cap.fill_null(c("duration")))
    payout = pl.when(metropolitan & c("price_micro").is_not_null()).then(
        (c("price_micro") * counted * 2 + 60) // 120).otherwise(pl.lit(0))
    return (calls.with_columns(counted.alias("counted_s"), payout.alias("payout_micro"),
                               c("start").dt.convert_time_zone("Europe/Paris").dt.date().alias("day"))
            .group_by("subscription_id", "day").agg(
                pl.len().alias("calls"), c("counted_s").sum().alias("seconds"),
                c("payout_micro").sum().alias("amount_micro"),
                (c("duration") < c("short_s")).sum().alias("hyper_short"))
            .sort("subscription_id", "day").collect())


def sva_abnormal_traffic(priced: pl.DataFrame, payouts: pl.DataFrame, plans: Sequence[Plan]) -> list[Alert]:
    """Abnormal traffic on premium numbers (*Trafic Anormal*, CP XII §1 L9437-9459, and the
    calls §9.3 L9954-9956 forbids): hyper short calls, traffic concentrated on a few calling
    numbers, automated or repeated dialling. One alert per number and month lists the patterns
    found with their evidence; the sanction per number (§13.1) is proposed to staff."""
    c = pl.col
    premium = {p.subscription_id: p for p in plans if is_premium_number(p)}
    if not premium:
        return []
    most = max([int(f.value) for p in premium.values()
                if (f := figure(p.usage, "concentrated_traffic_top_callers"))] or [1])
    callers = (priced.lazy().filter((c("rate_dest") == "sva_payout")
                                    & c("subscription_id").is_in(list(premium)))
               .group_by("subscription_id", nb.normalise(c("calling")).alias("calling_n"))
               .agg(pl.len().alias("calls"), (c("traffic") == "automated").sum().alias("automated"))
               .sort(["subscription_id", "calls", "calling_n"], descending=[False, True, False])
               .group_by("subscription_id", maintain_order=True)
               .agg(c("calls").sum().alias("total"), c("automated").sum(),
                    pl.struct("calling_n", "calls").head(most).alias("callers"))
               .collect())
    short_calls = dict(payouts.group_by("subscription_id").agg(c("hyper_short").sum()).iter_rows())
    alerts = []
    for row in callers.iter_rows(named=True):
        usage = premium[row["subscription_id"]].usage
        patterns, clauses, flagged, evidence = [], [], [], {"calls": row["total"]}
        short = figure(usage, "hyper_short_call_seconds_exclusive")
        if short is not None and short_calls.get(row["subscription_id"]):
            patterns.append("hyper_short_calls")
            clauses.append(short.clause)
            flagged.append(int(short_calls[row["subscription_id"]]))
            evidence.update(hyper_short_calls=flagged[-1], below_seconds=str(short.value))
        few = figure(usage, "concentrated_traffic_top_callers")
        share = figure(usage, "concentrated_traffic_share_percent")
        least = figure(usage, "concentrated_traffic_min_calls")
        top = row["callers"][:int(few.value)] if few else []
        top_calls = sum(caller["calls"] for caller in top)
        if (few and share and least and row["total"] >= least.value
                and Decimal(top_calls) * 100 > share.value * row["total"]):
            patterns.append("concentrated_traffic")
            clauses.append(few.clause)
            flagged.append(top_calls)
            evidence.update(top_callers=[{"number": t["calling_n"], "calls": t["calls"]} for t in top],
                            share_percent=f"{Decimal(top_calls) * 100 / row['total']:.1f}",
                            share_limit_percent=str(share.value))
        automated = flag(usage, "automated_or_repeated_calls_forbidden")
        if _on(automated) and row["automated"]:
            patterns.append("automated_calls")
            clauses.append(automated.clause)
            flagged.append(int(row["automated"]))
            evidence.update(automated_calls=flagged[-1])
        if patterns:
            numbers = tuple(t["calling_n"] for t in top) if "concentrated_traffic" in patterns else ()
            alerts.append(Alert(row["subscription_id"], "sva_abnormal_traffic",
                                "; ".join(dict.fromkeys(clauses)), max(flagged), numbers,
                                {"patterns": patterns, **evidence}))
    return alerts


def sva_claimable(accruals: Sequence[tuple[date, Decimal]], claim_day: date, usage: Usage,
                  age_of) -> tuple[Explained, list[date]]:
    """What may be claimed on ``claim_day``: payouts of calls older than the sheet's delay
    (``age_of(call_day, claim_day)`` counts it in the sheet's kind of days), and their days."""
    delay = figure(usage, "payout_claimable_after_business_days", "payout_claimable_after_days")
    if delay is None:
        return Explained(), []
    eligible = sorted((day, value) for day, value in accruals if age_of(day, claim_day) > delay.value)
    lines = tuple(Line(f"Payout of calls on {day.isoformat()}", money(value),
                       f"{age_of(day, claim_day)} days old > {delay.value}", delay.clause)
                  for day, value in eligible)
    return Explained(lines), [day for day, _ in eligible]


@dataclass(frozen=True)
class ClaimStanding:
    """Where a payout request stands on a day: still payable to the client, and whether its
    amount is final (no longer disputable)."""

    payable: bool
    amount_final: bool
    reason: str
    clause: str

    def as_dict(self) -> dict:
        return {"payable": self.payable, "amount_final": self.amount_final, "reason": self.reason,
                "clause": self.clause}


def payout_claim_standing(invoice_deadline: date, on: date, usage: Usage) -> ClaimStanding:
    """CP XII §12: the client has one year to invoice a billing request, after which its amounts
    "seront définitifs". Final, not forfeited: the amount can no longer be disputed but stays
    payable, a forfeiture having to be written expressly (reading T-SVA-PAYOUT-FINAL)."""
    forfeited = flag(usage, "payout_forfeited_after_invoice_deadline")
    months = figure(usage, "payout_invoice_deadline_months")
    clause = _cited(months.clause if months else "", forfeited.clause if forfeited else "")
    if on <= invoice_deadline:
        return ClaimStanding(True, False, f"the client may invoice it until {invoice_deadline.isoformat()}",
                             clause)
    if _on(forfeited):
        return ClaimStanding(False, True, f"not invoiced by {invoice_deadline.isoformat()}: forfeited",
                             clause)
    return ClaimStanding(True, True, f"not invoiced by {invoice_deadline.isoformat()}: the amount is "
                                     f"final and still payable", clause)


def tariff_change_effective(usage: Usage, requested_on: date) -> tuple[date, str]:
    """The day a premium number's new caller tariff takes effect: the 1st of the next month for a
    request made by the sheet's day of the month (CP XII §8.1: the 15th); later requests, on which
    the schedule is silent, on the 1st of the month after next (reading T-SVA-TARIFF-AFTER-15)."""
    last_day = figure(usage, "tariff_change_request_last_day_of_month")
    late = figure(usage, "tariff_change_late_request_effective_months_ahead")
    if last_day is None:
        raise RatingRefusal("family: the schedule sets no date for caller tariff changes")
    first = requested_on.replace(day=1)
    if requested_on.day <= int(last_day.value):
        return first + relativedelta(months=1), last_day.clause
    if late is None:
        raise RatingRefusal(f"requested_on: the schedule does not say when a request made after the "
                            f"{last_day.value}th takes effect ({last_day.clause})")
    return first + relativedelta(months=int(late.value)), _cited(last_day.clause, late.clause)


def supplier_penalty(usage: Usage, supplier: str, number: str, charged: Decimal,
                     client_numbers: Collection[str]) -> Explained:
    """CP XII §13.1 passes on "la pénalité que le Prestataire supporte … vis-à-vis du
    Fournisseur", a word the schedule never defines: only a penalty the operator's upstream
    operator actually charged for one of the client's numbers, at its amount (reading
    T-SVA-FOURNISSEUR)."""
    passed = flag(usage, "supplier_penalties_passed_through", "operator_penalties_passed_through")
    if not _on(passed):
        raise RatingRefusal("family: the schedule passes no supplier penalty on to the client")
    if not supplier.strip():
        raise RatingRefusal(f"supplier: name the operator that charged the penalty ({passed.clause})")
    if charged <= 0:
        raise RatingRefusal(f"amount: only a penalty actually charged to the operator is passed on "
                            f"({passed.clause}); {charged} is not one")
    normalised = pl.Series([number, *client_numbers]).to_frame("n").select(nb.normalise(pl.col("n")))
    if normalised.item(0, 0) not in set(normalised.to_series()[1:]):
        raise RatingRefusal(f"number: {number} is not a number of this client; only a penalty "
                            f"charged for the client's numbers is passed on ({passed.clause})")
    return Explained((Line(f"Penalty charged by {supplier.strip()} for {number}, passed on",
                           money(charged), f"as charged: {fmt_price(charged)}", passed.clause),))


def sva_sanction(usage: Usage, numbers: int, repeated: bool) -> Explained | None:
    """Abnormal traffic or an ethics breach on premium numbers: a sum per number, plus the
    repeat sum when the same number offended within the year (CP XII §13.1)."""
    base = amount(usage, "ethics_or_abnormal_traffic_penalty")
    if base is None:
        return None
    explained = Explained((Line("Abnormal traffic on premium number(s)", money(base.amount * numbers),
                                f"{numbers} number(s) × {fmt_price(base.amount)} {base.basis}",
                                str(base.src)),))
    again = amount(usage, "repeated_within_a_year_penalty")
    if repeated and again is not None:
        explained = explained.plus(Line("Repeated within a year", money(again.amount * numbers),
                                        f"{numbers} number(s) × {fmt_price(again.amount)} {again.basis}",
                                        str(again.src)))
    return explained


def sva_uncured(usage: Usage) -> Explained | None:
    late = amount(usage, "not_cured_within_deadline_penalty")
    if late is None:
        return None
    return Explained((Line("Not compliant after the cure deadline", money(late.amount),
                           f"1 number × {fmt_price(late.amount)} {late.basis}", str(late.src)),))


# --------------------------------------------------------------------------- roaming

@dataclass(frozen=True)
class RoamingMonth:
    month: str
    national_voice_s: int = 0
    roaming_voice_s: int = 0
    national_messages: int = 0
    roaming_messages: int = 0
    national_bytes: int = 0
    roaming_bytes: int = 0
    national_days: int = 0
    roaming_days: int = 0


def roaming_frame(classified: pl.DataFrame) -> pl.DataFrame:
    """Consumption and presence at home vs in EU/EEA roaming, per line that roamed in the EU."""
    c = pl.col
    home, roam = c("zone") == nb.HOME, c("zone") == nb.EU
    day = c("start").dt.convert_time_zone("Europe/Paris").dt.date()
    messages = c("kind").is_in(("sms", "mms"))
    roamers = classified.lazy().filter(roam).select(c("subscription_id").unique())
    return (classified.lazy().join(roamers, on="subscription_id", how="semi")
            .filter(c("zone").is_in((nb.HOME, nb.EU))).group_by("subscription_id").agg(
                c("duration").filter(home & (c("kind") == "voice")).sum().alias("national_voice_s"),
                c("duration").filter(roam & (c("kind") == "voice")).sum().alias("roaming_voice_s"),
                (home & messages).sum().alias("national_messages"),
                (roam & messages).sum().alias("roaming_messages"),
                c("bytes").filter(home).sum().alias("national_bytes"),
                c("bytes").filter(roam).sum().alias("roaming_bytes"),
                day.filter(home).n_unique().alias("national_days"),
                day.filter(roam).n_unique().alias("roaming_days"))
            .sort("subscription_id").collect())


def roaming_indicators(window: Sequence[RoamingMonth], usage: Usage) -> list[str]:
    """The abuse indicators of the mobile schedule that hold over every month of the sheet's
    window of consecutive months (CP IX §17; §5.4 with the sheet's reading): an empty list
    when the window is incomplete."""
    size = figure(usage, "roaming_abuse_observation_consecutive_months")
    if size is None or len(window) < int(size.value):
        return []
    months = list(window)[-int(size.value):]
    found = []
    components = (("voice", "national_voice_s", "roaming_voice_s"),
                  ("sms_mms", "national_messages", "roaming_messages"),
                  ("data", "national_bytes", "roaming_bytes"))
    for name, national, roaming in components:
        if all(getattr(m, roaming) > getattr(m, national) for m in months):
            found.append(f"national_consumption_below_roaming:{name}")
    if all(m.roaming_days > m.national_days for m in months):
        found.append("national_presence_below_roaming")
    if _on(flag(usage, "roaming_abuse_consumption_with_presence")):
        # CP IX §5.4 counts consumption and presence together, §17 each alone: only both at
        # once is allowed by both clauses (reading T-MOB-ROAMING-WINDOW)
        presence = "national_presence_below_roaming" in found
        if not (presence and len(found) > 1):
            found = []
    if all(m.national_days == 0 and m.roaming_days > 0 for m in months):
        found.append("prolonged_inactivity_with_mostly_roaming")
    return found


SERIAL_SIMS = "serial_multi_sim_roaming"


def serial_sims(sims: Mapping[int, Sequence[RoamingMonth]], usage: Usage) -> tuple[int, ...]:
    """The 4th abuse indicator (CP IX §17 L7164-7165, §5.4 L6493-6494): several SIMs of one
    customer used one after another while roaming. ``sims`` gives, per SIM (subscription), its
    roaming profile over the sheet's window. A SIM takes part when it roamed more days than
    it was at home over the window; the longest chain of such SIMs whose roaming months follow
    one another without overlapping is returned when it has at least the sheet's number of
    SIMs (empty otherwise)."""
    least = figure(usage, "serial_multi_sim_roaming_min_sims")
    if least is None:
        return ()
    spans = []
    for sim, months in sims.items():
        roamed = sorted(m.month for m in months if m.roaming_days > 0)
        if roamed and sum(m.roaming_days for m in months) > sum(m.national_days for m in months):
            spans.append((roamed[-1], roamed[0], sim))
    chain, last = [], ""
    for end, begin, sim in sorted(spans):       # earliest end first: the longest chain
        if begin > last:
            chain.append(sim)
            last = end
    return tuple(chain) if len(chain) >= int(least.value) else ()


def roaming_surcharge(window: Sequence[RoamingMonth], tariffs: Mapping[str, Tariff], usage: Usage) -> Explained:
    """The surcharge tariffs proposed on roaming consumption over the window (retroactively
    and for the current month, CP IX §17), from the price list's ``roaming_surcharge`` lines."""
    clause = flag(usage, "roaming_surcharge_retroactive")
    source = clause.clause if clause else ""
    lines = []
    voice_s = sum(m.roaming_voice_s for m in window)
    messages = sum(m.roaming_messages for m in window)
    data = sum(m.roaming_bytes for m in window)
    for kind, quantity, unit, scale in (("voice", Decimal(voice_s) / 60, "min", 1),
                                        ("sms", Decimal(messages), "message(s)", 1),
                                        ("data", Decimal(data) / BYTES_PER_MB, "MB", 1)):
        tariff = tariffs.get(kind)
        if tariff is None or quantity == 0:
            continue
        lines.append(Line(f"Roaming surcharge — {kind}", money(quantity * tariff.price * scale),
                          f"{quantity:.2f} {unit} × {fmt_price(tariff.price)} {tariff.basis}",
                          f"{tariff.source}; {source}" if source else tariff.source))
    return Explained(tuple(lines))


# --------------------------------------------------------------------------- data allowance

def data_events(priced: pl.DataFrame, plans: Sequence[Plan]) -> list[DataEvent]:
    """Unlimited plans over their data allowance: throttled in France, cut when roaming, from
    the record that crosses it (mobile §15)."""
    c = pl.col
    unlimited = {p.subscription_id: p for p in plans
                 if p.bundle.data_mb is not None and p.bundle.data_plan == "unlimited"}
    if not unlimited:
        return []
    crossing = (priced.lazy().filter(c("subscription_id").is_in(list(unlimited)) & (c("type") == "data"))
                .sort(["subscription_id", "start", "record_id"])
                .with_columns(c("bytes").cum_sum().over("subscription_id").alias("used"))
                .filter(c("used") > c("data_allowance"))
                .group_by("subscription_id", c("zone") == nb.HOME).agg(
                    c("start").first(), c("record_id").first())
                .collect())
    events = []
    for row in crossing.sort(["subscription_id", "start"]).iter_rows(named=True):
        usage = unlimited[row["subscription_id"]].usage
        home = row["zone"]
        clause = flag(usage, "data_fair_use_unlimited_plan_throttled_in_france" if home
                      else "data_fair_use_unlimited_plan_cut_in_roaming",
                      "data_blocked_beyond_threshold")
        events.append(DataEvent(row["subscription_id"], "throttle" if home else "cut", row["start"],
                                row["record_id"], clause.clause if clause else ""))
    return events


# --------------------------------------------------------------------------- the month

RATED_COLUMNS = ("record_id", "subscription_id", "customer_id", "start", "type", "direction",
                 "duration", "bytes", "called_n", "dest_class", "dest_country", "zone", "rate_dest",
                 "rate_country", "in_bundle", "rerated", "beyond_allowance", "origin_mismatch", "charged_s", "calls",
                 "price_micro", "amount_micro", "unpriced", "batch_id")


def rate_month(records: pl.LazyFrame, plans: Sequence[Plan], tariffs: Mapping[str, Sequence[Tariff]],
               managed_numbers: Collection[str] | None = None) -> MonthRating:
    """Rate one month of records for the given plans: the whole engine, deterministic.
    ``managed_numbers`` are the operator's numbers (normalised), to tell whether a contact
    centre's redirected call ends on one of them."""
    c = pl.col
    by_id = {p.subscription_id: p for p in plans}
    tariff_df, tariff_ids, countries = tariffs_frame(tariffs)
    included_countries = pl.DataFrame(
        [{"subscription_id": p.subscription_id, "dest_country": country, "country_included": True}
         for p in plans for country in p.bundle.countries],
        schema={"subscription_id": pl.Int64, "dest_country": pl.String, "country_included": pl.Boolean})
    own_numbers = {p.subscription_id: p.identifier for p in plans}
    classified = classify(records, plans_frame(plans, tariff_ids), countries, included_countries,
                          own_numbers, managed_numbers)

    concurrency = [p.subscription_id for p in plans
                   if any(t.metric == "simultaneous_calls" for t in p.usage.fair_use)]
    metrics = {row["subscription_id"]: row
               for row in fair_use_metrics(classified, concurrency).iter_rows(named=True)}
    over = [s for s, measures in metrics.items() if _over_any(by_id[s], measures)]
    numbers_of = _numbers_of(classified, over)
    breaches: list[Breach] = []
    for subscription_id, measures in sorted(metrics.items()):
        breaches += breaches_of(by_id[subscription_id], measures, numbers_of.get(subscription_id, []))
    rerated = sorted({b.subscription_id for b in breaches})

    priced = price(classified, tariff_df, rerated, per_call_limits(plans))
    del classified
    lazy = priced.lazy()
    groups = (lazy.group_by(*GROUP_ORDER).agg(
        pl.len().alias("records"), c("calls").sum(), c("duration").sum().alias("seconds"),
        c("charged_s").sum(), c("bytes").sum(), c("amount_micro").sum()).collect()
        .join(tariff_df.select("tariff_row", "price_text", "setup_micro", "setup_text", "tariff_source"),
              on="tariff_row", how="left"))
    fixed_out = (c("direction") == "out") & (c("kind") == "voice") & (c("dest_class") == nb.FIXED)
    offnet = (c("terminating_operator") != "") & ~c("terminating_operator").str.to_uppercase().is_in(
        list(INCUMBENT_OPERATORS))
    side = {row["subscription_id"]: row for row in lazy.filter(fixed_out).group_by("subscription_id").agg(
        c("duration").sum().alias("fixed_s"), c("duration").filter(offnet).sum().alias("offnet_s"),
        c("amount_micro").sum().alias("fixed_micro"),
        c("amount_micro").filter(offnet).sum().alias("offnet_micro")).collect().iter_rows(named=True)}
    cx_inbound = dict(lazy.filter(c("rate_dest") == "cx_inbound").group_by("subscription_id")
                      .agg(c("duration").sum()).collect().iter_rows())
    cx_redirected = dict(lazy.filter(c("rate_dest") == "cx_redirected").group_by("subscription_id")
                         .agg(c("duration").sum()).collect().iter_rows())
    data_home = dict(lazy.filter((c("type") == "data") & c("national_rated")).group_by("subscription_id")
                     .agg(c("bytes").sum()).collect().iter_rows())
    unpriced = dict(lazy.filter(c("unpriced")).group_by("subscription_id").agg(pl.len())
                    .collect().iter_rows())
    data_tariffs = {row["tariff_id"]: row for row in tariff_df.filter(
        (c("rate_dest") == "data") & (c("kind") == "data")).sort("valid_from").iter_rows(named=True)}

    explained: dict[int, Explained] = {}
    detail: dict[int, UsageDetail] = {}
    group_parts: dict[int, list[tuple]] = {}
    worded = explanation_texts(groups.sort(GROUP_ORDER, nulls_last=True))
    for subscription_id, *row in worded.select("subscription_id", *EXPLAINED_COLUMNS,
                                               *FIGURE_COLUMNS).iter_rows():
        group_parts.setdefault(subscription_id, []).append(row)
    for plan in plans:
        mine = group_parts.get(plan.subscription_id)
        if mine is None:
            continue
        own = [b for b in breaches if b.subscription_id == plan.subscription_id]
        extra = [*cx_lines(plan, cx_inbound.get(plan.subscription_id),
                           cx_redirected.get(plan.subscription_id, 0)),
                 data_overage_line(plan, data_home.get(plan.subscription_id, 0),
                                   data_tariffs.get(tariff_ids.get(plan.tariff_key)))]
        if plan.subscription_id in side:
            s = side[plan.subscription_id]
            extra.append(offnet_line(plan, s["fixed_s"], s["offnet_s"], s["fixed_micro"], s["offnet_micro"]))
        lines = explain_lines(mine, plan, own)
        others = tuple(line for line in extra if line is not None)
        result = Explained(tuple(lines) + others)
        detail[plan.subscription_id] = UsageDetail(destination_usage(mine, lines), others)
        for breach in own:
            result = result.with_note(f"Fair use exceeded: {breach.explanation}")
        for missing in (data_volume_missing(plan), payout_grid_missing(plan, tariffs.get(plan.tariff_key, ()))):
            if missing:
                result = result.with_note(missing)
        if unpriced.get(plan.subscription_id):
            result = result.with_note(f"{unpriced[plan.subscription_id]} record(s) without a price in "
                                      "the price list were not billed")
        explained[plan.subscription_id] = result

    alerts = alerts_from(fraud_frame(priced, plans), by_id)
    caller = tariff_df.filter((c("rate_dest") == "sva_caller") & (c("kind") == "voice"))
    payouts = sva_payouts(priced, caller, plans)
    alerts += sva_abnormal_traffic(priced, payouts, plans)
    return MonthRating(rated=priced.select(RATED_COLUMNS), explained=explained, breaches=breaches,
                       alerts=sorted(alerts, key=lambda a: (a.subscription_id, a.kind)),
                       data_events=data_events(priced, plans), payouts=payouts,
                       roaming=roaming_frame(priced), unpriced=unpriced, detail=detail)


def combine(parts: Sequence[MonthRating]) -> MonthRating:
    """The ratings of several buckets of subscriptions as one (their subscriptions are disjoint)."""
    if not parts:
        empty = pl.DataFrame()
        return MonthRating(empty, {}, [], [], [], empty, empty, {})
    return MonthRating(
        rated=pl.concat([p.rated for p in parts], how="diagonal_relaxed"),
        explained={k: v for p in parts for k, v in p.explained.items()},
        breaches=[b for p in parts for b in p.breaches],
        alerts=[a for p in parts for a in p.alerts],
        data_events=[e for p in parts for e in p.data_events],
        payouts=pl.concat([p.payouts for p in parts], how="diagonal_relaxed"),
        roaming=pl.concat([p.roaming for p in parts], how="diagonal_relaxed"),
        unpriced={k: v for p in parts for k, v in p.unpriced.items()},
        detail={k: v for p in parts for k, v in p.detail.items()})


def _over_any(plan: Plan, measures: Mapping) -> bool:
    return any(t.metric == "distinct_numbers"
               and (measures.get("distinct_numbers") or 0) > t.limit * threshold_units(t, plan.units)
               and threshold_units(t, plan.units) > 0 for t in plan.usage.fair_use)


def _numbers_of(classified: pl.DataFrame, subscriptions: Iterable[int]) -> dict[int, list[str]]:
    """The distinct numbers a breaching subscription called (the breach's evidence)."""
    subscriptions = list(subscriptions)
    if not subscriptions:
        return {}
    frame = (classified.lazy()
             .filter(pl.col("subscription_id").is_in(subscriptions) & pl.col("voice_eligible"))
             .group_by("subscription_id").agg(pl.col("called_n").unique().sort()).collect())
    return {row["subscription_id"]: row["called_n"] for row in frame.iter_rows(named=True)}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a calendar month in Europe/Paris."""
    def first_instant(text: str) -> datetime:
        year, number = (int(part) for part in text.split("-"))
        return datetime(year, number, 1, tzinfo=PARIS)
    return first_instant(month), first_instant(shift_month(month, 1))


def previous_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    return [shift_month(month, -back) for back in range(count - 1, -1, -1)]


def shift_month(month: str, delta: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"

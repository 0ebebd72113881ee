"""Classification, pure: each record's numbering-plan class, roaming zone, bundle eligibility
and price-list destination, vectorised over a month (the numbering plan applied once per
distinct called number). No database, no clock, no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence

import polars as pl

from clausier.rating.numbering import rules as nb
from clausier.rating.plans.rules import (Plan, forwarding_excluded, is_on, once_per_block,
                                         roaming_as_national)
from clausier.rating.price.rules import BYTES_PER_MB, KIND, RATE_DESTINATION, country_index, lookup
from clausier.terms.schema import Usage


@functools.lru_cache(maxsize=256)
def _prefix_mask(prefixes: tuple[str, ...]) -> int:
    """Bit d is set when the national prefix 0d is included (01–05, 06, 07, 09)."""
    return sum(1 << int(p[1]) for p in prefixes if len(p) == 2 and p.startswith("0") and p[1].isdigit())


@once_per_block
def sheet_columns(usage: Usage) -> dict:
    """What rating reads from a sheet's usage block."""
    multiplier = usage.figures.web_call_back_calls_billed_per_request
    return {
        "sheet_prefixes": [d for d in (usage.included_destinations.value
                                       if usage.included_destinations else []) if d.isdigit()],
        "forward_excluded": forwarding_excluded(usage) is not None,
        "eu_national": roaming_as_national(usage, nb.EU) is not None,
        "dom_national": roaming_as_national(usage, nb.DOM) is not None,
        "callback_calls": int(multiplier.value) if multiplier else 1,
        "cx_pool": usage.figures.inbound_minutes_included_per_pack_per_month is not None
        or usage.amounts.inbound_unmanaged_lines_per_minute is not None,
        "sva": usage.amounts.caller_charge_cap_per_call is not None
        or usage.flags.payout_per_second_from_first_second is not None,
        "unknown_origin": is_on(usage.flags.undetermined_origin_rating_on_country_mismatch),
    }


def plans_frame(plans: Sequence[Plan], tariff_ids: Mapping[str, int]) -> pl.DataFrame:
    rows = []
    for plan in plans:
        bundle = plan.bundle
        sheet = sheet_columns(plan.usage)
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
    return sheet_columns(plan.usage)["sva"]


def pools_cx_minutes(plan: Plan) -> bool:
    return sheet_columns(plan.usage)["cx_pool"]


def classify(records: pl.LazyFrame, plans: pl.DataFrame, countries: Sequence[str],
             included_countries: pl.DataFrame, own_numbers: Mapping[int, str],
             managed_numbers: Collection[str] | None = None) -> pl.DataFrame:
    """Numbering plan, roaming zone, bundle eligibility and the price-list key of each record."""
    c = pl.col
    out = c("direction") == "out"
    voice = c("type").is_in(("voice", "callback"))
    # The service identifier and file line of a record are not rated: they are not read.
    frame = lookup(records.drop("service", "line", strict=False).collect(), plans, ["subscription_id"])
    if frame["tariff_id"].null_count():     # records of a subscription without a plan (gone)
        frame = frame.filter(c("tariff_id").is_not_null())
    frame = frame.with_columns(
        nb.roaming_zone(c("origin_country")).alias("zone"),
        _kind(c("type")).alias("kind"))
    # The numbering plan is applied once per distinct called number, found and joined back on
    # an integer key rather than on the text (hashing millions of strings twice).
    frame = frame.with_columns(called_key(frame["called"]))
    numbers = (frame.group_by("called_key").agg(c("called").first())
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
                             .then(country_index(c("dest_country"), countries)).otherwise(0)
                             .alias("country_index"),
                             # the class as a price-list destination (every class is one), cast
                             # once per number rather than once per record
                             c("dest_class").cast(RATE_DESTINATION).alias("class_place"))
               .with_columns(pl.when(c("country_index") > 0).then(c("dest_country"))
                             .otherwise(pl.lit(None, pl.String)).alias("rate_country")))
    frame = lookup(frame, numbers.drop("called"), ["called_key"]).drop("called_key").with_columns(
        ((c("zone") == nb.HOME) | ((c("zone") == nb.EU) & c("eu_national"))
         | ((c("zone") == nb.DOM) & c("dom_national"))).alias("national_rated"))
    frame = frame.with_columns(_origin_mismatch(frame, own_numbers),
                               _redirected_unmanaged(frame, managed_numbers))
    if included_countries.height:
        frame = lookup(frame, included_countries.unique(["subscription_id", "dest_country"]),
                       ["subscription_id", "dest_country"]).with_columns(c("country_included").fill_null(False))
    else:
        frame = frame.with_columns(pl.lit(False).alias("country_included"))

    def place(name: str) -> pl.Expr:
        return pl.lit(name, RATE_DESTINATION)

    roaming = pl.when(c("zone") == nb.DOM).then(place("roaming_dom")).when(c("zone") == nb.EU).then(
        place("roaming_eu")).otherwise(place("roaming_world"))
    roaming_in = pl.when(c("zone") == nb.DOM).then(place("roaming_dom_in")).when(c("zone") == nb.EU).then(
        place("roaming_eu_in")).otherwise(place("roaming_world_in"))
    rate_dest = (
        pl.when(c("sva") & ~out).then(place("sva_payout"))
        .when(c("cx_pool") & ~out & voice & c("redirected_unmanaged")).then(place("cx_redirected"))
        .when(c("cx_pool") & ~out & voice).then(place("cx_inbound"))
        .when(c("origin_mismatch")).then(place("unknown_origin"))
        .when(c("type") == "data").then(pl.when(c("national_rated")).then(place("data")).otherwise(roaming))
        .when(~out).then(pl.when(c("national_rated")).then(place("inbound")).otherwise(roaming_in))
        .when(~c("national_rated")).then(roaming)
        .otherwise(c("class_place"))
    )
    eligible_number = (
        (c("dest_class").is_in((nb.FIXED, nb.MOBILE)) & ((c("incl_mask") & c("prefix_bit")) != 0))
        | ((c("dest_class") == nb.INTERNATIONAL) & c("country_included")))
    in_bundle = (out & c("national_rated") & ~c("origin_mismatch")
                 & ~(c("forwarded") & c("forward_excluded")))
    # The called text (its classes are found) and the forwarding target (redirections are
    # found) are not read again: dropped, so that two buckets rated at once hold less.
    return frame.drop("called", "forwarded_to").with_columns(
        rate_dest.alias("rate_dest"),
        (in_bundle & voice & eligible_number
         & (c("unlimited") | c("minutes_allowance").is_not_null())).alias("voice_eligible"),
        (in_bundle & (c("type") == "sms") & (c("dest_class") == nb.MOBILE) & c("sms_included"))
        .alias("sms_eligible"),
    )


# An integer per called text: (length, value) of a text of at most 17 digits, with or without
# a leading "+", identifies it; any other text (separators, longer, empty) takes a rank.
_DIGITS_SPAN = 10 ** 17
_PLUS_LENGTHS = 18
_OTHER_TEXTS = 40 * _DIGITS_SPAN


def called_key(called: pl.Series) -> pl.Series:
    """One integer per distinct called text (equal texts, equal keys; null and "" alike, as
    the numbering plan reads them): distinct numbers are then found and joined back on
    integers. Texts of digits (the usual form) take their value and length; the others, few,
    a rank among themselves."""
    c = pl.col
    length = c("called").str.len_bytes()
    plus = c("called").str.starts_with("+")
    keyed = called.to_frame("called").select(
        pl.when(plus & (length <= _PLUS_LENGTHS) | ~plus & (length <= _PLUS_LENGTHS - 1))
        .then(c("called").cast(pl.UInt64, strict=False)
              + (length + pl.when(plus).then(_PLUS_LENGTHS).otherwise(0)).cast(pl.UInt64) * _DIGITS_SPAN)
        .alias("called_key"))["called_key"]
    others = keyed.is_null().arg_true()
    if others.len() == 0:
        return keyed
    texts = called.gather(others).fill_null("")
    ranks = texts.rank("dense").cast(pl.UInt64) + _OTHER_TEXTS
    return keyed.scatter(others, ranks)


def _kind(record_type: pl.Expr) -> pl.Expr:
    """How a record is priced (``KIND``): web call-backs as calls. Enum literals, so that no
    text is made and cast again for each record."""
    kind = pl.when(record_type.is_in(("voice", "callback"))).then(pl.lit("voice", KIND))
    for name in KIND.categories.to_list()[1:]:
        kind = kind.when(record_type == name).then(pl.lit(name, KIND))
    return kind.otherwise(pl.lit(None, KIND))


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

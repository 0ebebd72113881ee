"""The vocabulary of offer attributes: every key an offer of a price list may carry, its type
and the room that reads it. Pure. A price list is checked against it when it loads, so that an
attribute nothing reads (a typo, a key from another system) is an error naming the offer and
the key instead of a silent difference in what is billed. Documented in docs/CATALOGUE.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

NATIONAL_PREFIX = r"^0[1-9]$"


class RatingAttributes(BaseModel):
    """What the monthly fee includes, as usage rating reads it (``rating.plans.rules.Bundle``). The
    sheet's usage block says what a bundle *may* include (``included_destinations``); these
    say what this offer *does* include."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # calls: "unlimited" includes the calls to the destinations of the sheet (narrowed by
    # call_destinations); "metered" (the default) bills every call.
    calls: Literal["unlimited", "metered"] = "metered"
    # national prefixes the calls of this offer are included to ("01"…"05", "09": fixed lines)
    call_destinations: tuple[str, ...] | None = None
    # international destinations the order includes (ISO 3166 alpha-2: "DE", "BE")
    call_countries: tuple[str, ...] = ()
    # a monthly allowance of minutes (not unlimited): included calls use it up in call order
    call_minutes: int | None = Field(default=None, ge=0)
    # SMS to mobiles: included by default with unlimited calls, billed otherwise
    sms: Literal["included", "metered"] | None = None
    # the data volume of the month (1 GB = 1000 MB, as operators count it)
    data_gb: Decimal | None = Field(default=None, ge=0)
    # beyond the volume: "unlimited" plans are throttled (roaming: cut), "metered" plans bill it
    data_plan: Literal["unlimited", "metered"] | None = None
    # units that fair-use thresholds count, per item of the offer
    channels: int | None = Field(default=None, ge=1)
    users: int | None = Field(default=None, ge=1)
    packs: int | None = Field(default=None, ge=1)
    # false: the client's lines are not managed by the operator (no caller-ID checks)
    lines_managed: bool = True

    @field_validator("call_destinations")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for prefix in value or ():
            if not re.match(NATIONAL_PREFIX, prefix):
                raise ValueError(f"{prefix!r} is not a national prefix (01 … 09)")
        return value

    @field_validator("call_countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for country in value:
            if not re.match(r"^[A-Z]{2}$", country):
                raise ValueError(f"{country!r} is not an ISO country code in capitals (DE, BE…)")
        return value

    @property
    def sms_included(self) -> bool:
        return self.sms == "included" if self.sms else self.calls == "unlimited"

    @property
    def data_mb(self) -> int | None:
        return int(self.data_gb * 1000) if self.data_gb is not None else None


class OtherAttributes(BaseModel):
    """Attributes other rooms read, or that describe the offer on its page and the order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # access: the user records of a Rozoh pack
    user_records: int | None = Field(default=None, ge=1)
    variant: Literal["A", "B"] | None = None                 # access: Rozoh pack variant
    numbers: int | None = Field(default=None, ge=1)          # numbers: DDI numbers of a block
    common: bool | None = None                          # billing: one per account, not per site
    components: tuple[str, ...] | None = None               # the offers a pack is made of
    b_channels: int | None = Field(default=None, ge=1)
    technology: str | None = None
    bandwidth_down_mbps: int | None = Field(default=None, ge=1)
    bandwidth_up_mbps: int | None = Field(default=None, ge=1)
    storage_gb: int | None = Field(default=None, ge=1)
    mailboxes: int | None = Field(default=None, ge=1)
    mailbox_gb: int | None = Field(default=None, ge=1)
    classes_of_service: int | None = Field(default=None, ge=1)
    # shown only: rating reads the sheet's figure (CP X §2)
    inbound_minutes: int | None = Field(default=None, ge=0)
    inbound_minutes_source: str | None = None
    vcpu: int | None = Field(default=None, ge=1)
    ram_gb: int | None = Field(default=None, ge=1)
    disk_gb: int | None = Field(default=None, ge=1)
    box: str | None = None
    cameras: int | None = Field(default=None, ge=1)
    # contracts: who manages a hosting offer's machines (Technicophone CP XI §2.2 OPTION 1 or 2)
    management: Literal["provider_managed", "client_managed"] | None = None


RATING_KEYS = frozenset(RatingAttributes.model_fields)
OTHER_KEYS = frozenset(OtherAttributes.model_fields)
KNOWN_KEYS = RATING_KEYS | OTHER_KEYS


def attribute_problems(attributes: Mapping) -> list[tuple[str, str]]:
    """(key, reason) of each attribute that is not in the vocabulary or has a bad value."""
    problems = [(str(key), "not an offer attribute Clausier reads (see docs/CATALOGUE.md)")
                for key in attributes if key not in KNOWN_KEYS]
    for model, keys in ((RatingAttributes, RATING_KEYS), (OtherAttributes, OTHER_KEYS)):
        try:
            model.model_validate({k: v for k, v in attributes.items() if k in keys})
        except ValidationError as exc:
            problems += [(".".join(str(p) for p in error["loc"]), error["msg"])
                         for error in exc.errors()]
    return problems


def rating_attributes(attributes: Mapping | None) -> RatingAttributes:
    """The rating part of an offer's attributes (already checked when the catalogue loaded)."""
    return RatingAttributes.model_validate({k: v for k, v in (attributes or {}).items()
                                            if k in RATING_KEYS})

"""Usage price lists: loading a YAML list (idempotent; a new ``valid_from`` adds a version), and
the built-in demo lists.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.errors import InvalidInput
from clausier.core.message import msg
from clausier.rating.models import UsageTariff
from clausier.rating.price import rules


PRICE_LISTS = Path(__file__).parent.parent / "data" / "price_lists"


def load_price_list(session: Session, clock: Clock, actor: Actor, path: Path) -> int:
    """Load a usage price list (YAML: scope, source, price_basis, valid_from, tariffs). Loading
    the same list again changes nothing; a new ``valid_from`` adds a version."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InvalidInput.on("file", f"{path}: not found",
                              code=rules.Refused.price_list_file_missing) from None
    for name in ("scope", "source", "price_basis", "valid_from", "tariffs"):
        if name not in document:
            raise InvalidInput.on(name, f"{Path(path).name}: missing",
                                  code=rules.Refused.price_list_field_missing)
    valid_from = document["valid_from"]
    if not isinstance(valid_from, date):
        raise InvalidInput.on("valid_from", f"{valid_from!r} is not a date (YYYY-MM-DD)",
                              code=rules.Refused.price_list_valid_from_malformed)
    count = 0
    for index, item in enumerate(document["tariffs"]):
        field = f"tariffs.{index}"
        if item.get("kind", "voice") not in ("voice", "sms", "mms", "data"):
            raise InvalidInput.on(f"{field}.kind", f"{item.get('kind')!r} is not voice, sms, mms or data",
                                  code=rules.Refused.price_list_kind_unknown)
        if item.get("increment", "second") not in ("second", "minute"):
            raise InvalidInput.on(f"{field}.increment", "must be second or minute",
                                  code=rules.Refused.price_list_increment_unknown)
        try:
            price = Decimal(str(item["price"]))
            setup = Decimal(str(item.get("setup", "0")))
        except (KeyError, ArithmeticError):
            raise InvalidInput.on(f"{field}.price", "missing or not a decimal",
                                  code=rules.Refused.price_list_price_malformed) from None
        try:
            rules.check_tariff(rules.Tariff(str(item.get("destination")), item.get("kind", "voice"), price))
        except ValueError as exc:
            raise InvalidInput.on(f"{field}.destination", str(exc),
                                  code=rules.Refused.price_list_destination_invalid) from None
        key = dict(scope=document["scope"], destination=str(item["destination"]),
                   kind=item.get("kind", "voice"), valid_from=valid_from)
        row = session.scalar(select(UsageTariff).filter_by(**key))
        if row is None:
            row = UsageTariff(**key)
            session.add(row)
        row.price, row.setup = price, setup
        row.increment = item.get("increment", "second")
        row.price_basis = item.get("price_basis", document["price_basis"])
        row.source, row.demo = document["source"], bool(document.get("demo", False))
        count += 1
    record(session, clock, actor, "usage_tariffs.load", UsageTariff(id=None),
           msg("{scope}: {n} tariff line(s) from {date}", scope=document["scope"], n=count,
               date=valid_from))
    return count


def built_in_price_lists() -> list[Path]:
    return sorted(PRICE_LISTS.glob("*.yaml"))

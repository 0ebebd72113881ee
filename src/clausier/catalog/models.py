"""The catalogue: operators, service families, offers with their options, equipment kinds.

Prices here are the operator's price list (the seeds give few prices: demo prices carry
``demo=True``). Contractual figures (durations, fees formulas, penalties) live in the term sheet
section each offer points to (``sheet_id`` + ``family``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.catalog.rules import LegalIdentity
from clausier.db.base import Base
from clausier.db.types import Money


class Operator(Base):
    """An operator whose terms Clausier applies (the seller on its invoices)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)         # technicophone
    name: Mapped[str] = mapped_column(String(200))
    # Its legal identity (catalog.rules.LegalIdentity), as its invoices carry it.
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    address_lines: Mapped[list] = mapped_column(JSON, default=list)
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    # field -> where its value comes from: the seed's clause, "demo", or how it was derived
    identity_sources: Mapped[dict] = mapped_column(JSON, default=dict)
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    sheet_id: Mapped[str] = mapped_column(String(60))                  # its term sheet
    customer_kind: Mapped[str] = mapped_column(String(20))             # business | consumer | mixed
    price_basis: Mapped[str] = mapped_column(String(3))                # HT | TTC
    invoice_prefix: Mapped[str] = mapped_column(String(10))

    offers: Mapped[list[Offer]] = relationship(back_populates="operator")

    @property
    def legal_identity(self) -> LegalIdentity:
        return LegalIdentity(
            legal_name=self.legal_name, siren=self.siren, siret=self.siret,
            vat_number=self.vat_number, address_lines=tuple(self.address_lines or ()),
            postcode=self.postcode, city=self.city, country=self.country or "FR",
            iban=self.iban, bic=self.bic)

    @property
    def address(self) -> str:
        """The postal address on one line, as letters and certificates print it."""
        return " – ".join(self.legal_identity.postal_lines())


class Offer(Base):
    """A sellable offer of a service family, e.g. *SIP trunk 10 channels*."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("operator_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(40), index=True)         # sheet family key
    kind: Mapped[str] = mapped_column(String(20), default="service")    # service | option | pack
    unit: Mapped[str] = mapped_column(String(40), default="subscription")  # line, channel, seat, licence…
    monthly_fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    access_fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    one_off_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))  # packs sold once
    price_basis: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[str] = mapped_column(String(20), default="normal")
    commitment_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)        # channels, bandwidth, bundle…
    demo: Mapped[bool] = mapped_column(Boolean, default=True)
    price_source: Mapped[str] = mapped_column(String(120), default="")  # clause of a non-demo price

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")

    operator: Mapped[Operator] = relationship(back_populates="offers")


class OfferOption(Base):
    """Which options may be added to which offer."""

    __tablename__ = "offer_options"
    __table_args__ = (UniqueConstraint("offer_id", "option_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))


class EquipmentKind(Base):
    __tablename__ = "equipment_kinds"
    __table_args__ = (UniqueConstraint("operator_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))        # router, box_fibre, tv_box, sim, …
    name: Mapped[str] = mapped_column(String(200))
    replacement_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    sale_price: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    monthly_rent: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    price_basis: Mapped[str] = mapped_column(String(3))
    serialised: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=True)
    price_source: Mapped[str] = mapped_column(String(120), default="")  # clause of a non-demo price

    operator: Mapped[Operator] = relationship()

"""Customers (companies and households), their sites and contacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clausier.db.base import Base
from clausier.db.types import Instant


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("operator_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    ref: Mapped[str] = mapped_column(String(40))                 # customer number, unique per operator
    external_ref: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))                # company | household
    # personal data (privacy.discovery): a household's name and address are on its invoices
    name: Mapped[str] = mapped_column(String(200), index=True,
                                      info={"personal": "identity", "needed_for": "accounting"})
    siren: Mapped[str | None] = mapped_column(String(9), nullable=True)
    siret: Mapped[str | None] = mapped_column(String(14), nullable=True)
    vat_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    category: Mapped[str] = mapped_column(String(20), default="other")  # public_body | tertiary | industrial | other
    employees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    main_activity: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="", info={"personal": "contact"})
    phone: Mapped[str] = mapped_column(String(40), default="", info={"personal": "contact"})
    billing_address: Mapped[str] = mapped_column(
        Text, default="", info={"personal": "contact", "needed_for": "accounting"})
    country: Mapped[str] = mapped_column(String(2), default="FR")
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="", info={"personal": "content"})
    created_at: Mapped[datetime] = mapped_column(Instant)
    updated_at: Mapped[datetime] = mapped_column(Instant)

    sites: Mapped[list[Site]] = relationship(back_populates="customer", order_by="Site.id")
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", order_by="Contact.id")


class Site(Base):
    """A place where services are delivered (*site*); the numbering zone decides number moves."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="", info={"personal": "location"})
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    numbering_zone: Mapped[str] = mapped_column(String(20), default="")   # *zone de numérotation élémentaire*
    is_central: Mapped[bool] = mapped_column(Boolean, default=False)       # receives common fees

    customer: Mapped[Customer] = relationship(back_populates="sites")


class Contact(Base):
    """A person of the customer; ``roles`` say what they may do (e.g. report incidents)."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200), info={"personal": "identity"})
    email: Mapped[str] = mapped_column(String(200), default="", info={"personal": "contact"})
    phone: Mapped[str] = mapped_column(String(40), default="", info={"personal": "contact"})
    roles: Mapped[list] = mapped_column(JSON, default=list)   # contract_follow_up | billing | incident_reporter

    customer: Mapped[Customer] = relationship(back_populates="contacts")

"""Documents sent to customers (by payments, support, access): registered-letter PDFs
(WeasyPrint), e-mails (SMTP) and SMS (a provider adapter). Messages are queued in the caller's transaction, one per event (``key``);
letters are rendered at once and stored under the data directory; e-mails and SMS go out when
:func:`deliver` runs (the daily tick, ``clausier outbox send``), so a rolled-back transaction
sends nothing. Delivery is at least once: a message is marked sent only after the gateway took it.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clausier.audit.service import Actor, record
from clausier.core.clock import Clock
from clausier.core.dryrun import files_untouched
from clausier.core.errors import InvalidInput, one_of
from clausier.core.languages import DEFAULT_LANGUAGE
from clausier.core.message import Message, message_of, msg
from clausier.core.money import fr_format
from clausier.core.settings import Settings
from clausier.customers.facts import recipients
from clausier.db.lookup import get_or_not_found
from clausier.db.session import lock_for_writing
from clausier.notifications.models import OutboxMessage
from clausier.notifications.rules import MessageStatus, Refused, delivery_failure, retry_at
from clausier.web import TEMPLATES
from clausier.web.explain_text import explained
from clausier.web.i18n import gettext_for

log = logging.getLogger(__name__)

CHANNELS = ("registered_letter", "email", "sms")
DELIVERY_LOCK = "outbox-delivery"

_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)
_environment.filters["money"] = fr_format
_environment.filters["day"] = lambda d: d.strftime("%d/%m/%Y") if d else ""
# A letter is written in its recipient's language (``language`` in its context, French unless
# told): its fixed words (``_``) and its explained amounts' messages read in it.
_environment.filters["explain"] = pass_context(
    lambda context, text: explained(text, context.get("language") or DEFAULT_LANGUAGE))


# --------------------------------------------------------------------------- queueing


def letters_dir(settings: Settings | None = None) -> Path:
    return (settings or Settings.from_env()).data_dir / "letters"


def render_letter(context: dict) -> bytes:
    """A registered letter as PDF (the HTML template ``payments/letter_pdf.html``), in the
    context's ``language`` (French unless told)."""
    from weasyprint import HTML

    language = context.get("language") or DEFAULT_LANGUAGE
    html = _environment.get_template("payments/letter_pdf.html").render(
        {**context, "language": language, "_": gettext_for(language)})
    return HTML(string=html, base_url=str(TEMPLATES.parent)).write_pdf()   # static/documents/*.css


class Addressee(Protocol):
    id: int
    ref: str


def queue(session: Session, clock: Clock, actor: Actor, customer: Addressee, *, channel: str,
          kind: str, key: str, subject: str, body: str, letter: dict | None = None) -> OutboxMessage:
    """One message per ``key`` (queuing the same event again returns the first one), to the
    customer's billing contact when it has one (``customers.facts.recipients``). A registered
    letter is rendered now, stored as a PDF file, and counts as sent today.

    A subject or body that is a message (``msg(...)``) is written in the recipient's language:
    the customer's when it has one, else French (``DEFAULT_LANGUAGE``)."""
    language = getattr(customer, "language", None) or DEFAULT_LANGUAGE
    subject_message = subject if isinstance(subject, Message) else None
    subject, body = explained(subject, language), explained(body, language)
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    if channel not in CHANNELS:
        raise ValueError(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    to = recipients(session, [customer.id])[customer.id]
    recipient = {"registered_letter": f"{to.name}\n{to.address}".strip(), "email": to.email,
                 "sms": to.phone}[channel]
    message = OutboxMessage(key=key, customer_id=customer.id, channel=channel, kind=kind,
                            recipient=recipient, subject=subject, body=body,
                            subject_message=message_of(subject_message),
                            created_on=clock.today(), created_at=clock.now())
    if channel != "registered_letter" and not recipient:
        message.status = MessageStatus.FAILED
        message.error = f"the customer has no {channel.replace('_', ' ')}"
    session.add(message)
    session.flush()
    if channel == "registered_letter" and files_untouched():
        message.status, message.sent_at = MessageStatus.SENT, clock.now()     # a dry run keeps no file
    elif channel == "registered_letter":
        pdf = render_letter({**(letter or {}), "subject": subject, "body": body, "recipient": to,
                             "language": language,
                             "date": clock.today(), "reference": f"LR-{message.id:06d}"})
        folder = letters_dir() / f"{clock.today():%Y}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.id:06d}-{kind}.pdf"
        path.write_bytes(pdf)
        message.file_path, message.file_sha256 = str(path), hashlib.sha256(pdf).hexdigest()
        message.status, message.sent_at = MessageStatus.SENT, clock.now()
    record(session, clock, actor, f"outbox.{channel}", message,
           msg("{kind} to {ref}: {subject}", kind=kind, ref=customer.ref, subject=subject_message)
           if subject_message is not None else f"{kind} to {customer.ref}: {subject}")
    return message


def record_receipt(session: Session, clock: Clock, actor: Actor, message_id: int,
                   received_on: date) -> OutboxMessage:
    """The acknowledgement of receipt of a registered letter: its first presentation."""
    message = get_or_not_found(session, OutboxMessage, message_id, resource="letter")
    if message.channel != "registered_letter":
        raise InvalidInput.on("message", f"message {message_id} is an {message.channel}, not a letter",
                              code=Refused.outbox_message_not_a_letter)
    if received_on < message.created_on:
        raise InvalidInput.on("received_on", f"before the letter was sent ({message.created_on.isoformat()})",
                              code=Refused.letter_receipt_before_sending)
    if message.received_on == received_on:
        return message
    message.received_on = received_on
    record(session, clock, actor, "outbox.receipt", message,
           msg("letter {id} received on {date}", id=message.id, date=received_on))
    return message


# --------------------------------------------------------------------------- delivery


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> str: ...


class SmsProvider(Protocol):
    def send(self, phone: str, text: str) -> str: ...


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        return cls(settings.smtp_host, settings.smtp_port, settings.mail_from)

    def send(self, to: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(message)
        return message.get("Message-ID", "") or f"smtp:{self.host}:{self.port}"


class OutboxSms:
    """The default SMS "provider": the outbox row is the SMS; a gateway adapter replaces it."""

    def send(self, phone: str, text: str) -> str:
        return "outbox"


def sms_provider(settings: Settings) -> SmsProvider:
    if not settings.sms_provider:
        return OutboxSms()
    module, _, name = settings.sms_provider.partition(":")
    return getattr(importlib.import_module(module), name)()


def _queued(due_at: datetime | None, customer_id: int | None = None):
    query = select(OutboxMessage).where(
        OutboxMessage.status == MessageStatus.QUEUED, OutboxMessage.channel.in_(("email", "sms")))
    if due_at is not None:
        query = query.where(or_(OutboxMessage.next_attempt_at.is_(None),
                                OutboxMessage.next_attempt_at <= due_at))
    if customer_id is not None:
        query = query.where(OutboxMessage.customer_id == customer_id)
    return query.order_by(OutboxMessage.id)


def queued_messages(session: Session, due_at: datetime | None, customer_id: int | None = None,
                    *, claim: bool = False) -> list[OutboxMessage]:
    """The e-mails and SMS waiting to be sent, oldest first; with ``due_at``, only those whose
    next attempt after a failure has come; with ``customer_id``, that customer's only. With
    ``claim``, locked until the transaction ends and without those another sender holds (a
    worker sending them one by one, ``send_next``): no message is taken by two senders."""
    query = _queued(due_at, customer_id)
    if claim:
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _send(message: OutboxMessage, mailer: Mailer, sms: SmsProvider, now: datetime) -> bool:
    """One attempt: sent, or kept queued saying why and when it is tried again."""
    message.attempts += 1
    try:
        if message.channel == "email":
            message.provider_ref = mailer.send(message.recipient, message.subject, message.body)
        else:
            message.provider_ref = sms.send(message.recipient, message.body)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("outbox message %s not sent (attempt %s): %r", message.id,
                    message.attempts, exc)
        message.error = delivery_failure(message.channel, exc)
        message.next_attempt_at = retry_at(now, message.attempts)
        return False
    message.status, message.sent_at, message.error = MessageStatus.SENT, now, ""
    message.next_attempt_at = None
    return True


def deliver(session: Session, clock: Clock, actor: Actor, *, mailer: Mailer | None = None,
            sms: SmsProvider | None = None, due_only: bool = True,
            customer_id: int | None = None) -> dict[str, int]:
    """Send the queued e-mails and SMS whose next attempt is due (all of them when not
    ``due_only``; one customer's only with ``customer_id``); a failure keeps the message
    queued, says why and when it is tried again."""
    settings = Settings.from_env()
    mailer = mailer or SmtpMailer.from_settings(settings)
    sms = sms or sms_provider(settings)
    # The daily tick and the server's sender may both deliver: one at a time sends each once.
    lock_for_writing(session, DELIVERY_LOCK)
    now = clock.now()
    counts = {"sent": 0, "failed": 0}
    queued = queued_messages(session, now if due_only else None, customer_id, claim=True)
    for message in queued:
        counts["sent" if _send(message, mailer, sms, now) else "failed"] += 1
    if counts["sent"] or counts["failed"]:
        record(session, clock, actor, "outbox.deliver", queued[0],
               msg("{sent} sent, {failed} failed", sent=counts["sent"], failed=counts["failed"]))
    return counts


def send_next(session: Session, clock: Clock, actor: Actor, *, mailer: Mailer | None = None,
              sms: SmsProvider | None = None) -> str | None:
    """A worker's step (``workers.tasks.deliver_notices``): claim the oldest due e-mail or SMS
    that no other sender holds, send it and mark it — claim, attempt and mark in the caller's one
    transaction, so that it is sent by one sender only and, once committed, never again.
    ``"sent"``/``"failed"``, or None when nothing is due."""
    message = session.scalars(_queued(clock.now()).limit(1)
                              .with_for_update(skip_locked=True)).first()
    if message is None:
        return None
    settings = Settings.from_env()
    sent = _send(message, mailer or SmtpMailer.from_settings(settings),
                 sms or sms_provider(settings), clock.now())
    outcome = "sent" if sent else "failed"
    record(session, clock, actor, "outbox.deliver", message, f"1 {outcome}")
    return outcome


def list_messages(session: Session, customer_id: int | None = None,
                  status: MessageStatus | str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(OutboxMessage.customer_id == customer_id)
    if status:
        query = query.where(OutboxMessage.status == one_of(
            MessageStatus, status, field="status", code=Refused.outbox_status_unknown))
    return list(session.scalars(query))

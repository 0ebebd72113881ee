"""Pure rules of notifications: when a message that failed is tried again, and why it failed in
words staff can act on. No database, no clock, no I/O."""

from __future__ import annotations

import smtplib
import socket
from datetime import datetime, timedelta
from enum import StrEnum, auto

from clausier.core.errors import RefusalCode

FIRST_RETRY_AFTER = timedelta(minutes=5)
LONGEST_RETRY_AFTER = timedelta(hours=6)
_LONGEST_DOUBLING = 7       # 5 min × 2⁷ > 6 h: more doublings change nothing


class Refused(RefusalCode):
    """What the outbox refuses."""

    outbox_message_not_a_letter = auto()
    letter_receipt_before_sending = auto()
    outbox_status_unknown = auto()


class MessageStatus(StrEnum):
    """An outbox message: queued (an e-mail or SMS waiting, or tried again), sent (a letter once
    printed for posting), failed (no address to send it to)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


def retry_at(failed_at: datetime, attempts: int) -> datetime:
    """When a message that failed for the ``attempts``-th time is tried again: 5 minutes after
    the first failure, twice as long after each next one, at most 6 hours (a relay down for the
    night is not hammered, and is tried again within hours of its return)."""
    doublings = min(max(attempts - 1, 0), _LONGEST_DOUBLING)
    return failed_at + min(FIRST_RETRY_AFTER * 2 ** doublings, LONGEST_RETRY_AFTER)


def delivery_failure(channel: str, error: Exception) -> str:
    """Why a message could not be handed over, in words staff can act on (the pages translate
    them); the exception itself goes to the server's log, not to the page."""
    if channel == "sms":
        return "The SMS gateway did not take the message; it stays queued and is tried again."
    if isinstance(error, ConnectionRefusedError):
        return ("No mail server answers at the configured address (CLAUSIER_SMTP_HOST, "
                "CLAUSIER_SMTP_PORT); the message stays queued and is tried again.")
    if isinstance(error, socket.gaierror):
        return ("The name of the mail server (CLAUSIER_SMTP_HOST) is unknown; the message "
                "stays queued and is tried again.")
    if isinstance(error, TimeoutError):
        return "The mail server did not answer in time; the message stays queued."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "The mail server refused the recipient's address; the message stays queued."
    if isinstance(error, smtplib.SMTPSenderRefused):
        return ("The mail server refused the sender's address (CLAUSIER_MAIL_FROM); the "
                "message stays queued.")
    if isinstance(error, smtplib.SMTPException):
        return "The mail server refused the message; it stays queued and is tried again."
    return "The mail server could not be reached; the message stays queued and is tried again."

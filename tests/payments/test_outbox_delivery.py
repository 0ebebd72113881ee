"""E-mails of the outbox through a real SMTP server (the demo's sink, aiosmtpd): sent while it
runs; while nothing listens, kept queued with the reason in French and a next attempt that backs
off; sent by ``clausier outbox send`` once the server is back."""

from __future__ import annotations

import html
import mailbox
import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from typer.testing import CliRunner

from clausier.cli.main import app
from clausier.core.clock import FixedClock
from clausier.db.session import transaction
from clausier.demo.mail import DemoMailSink
from clausier.notifications import outbox
from clausier.notifications.models import OutboxMessage
from clausier.notifications.rules import delivery_failure, retry_at
from tests import factories

NOBODY_LISTENS = ("No mail server answers at the configured address (CLAUSIER_SMTP_HOST, "
                  "CLAUSIER_SMTP_PORT); the message stays queued and is tried again.")


def queue_reminder(session, clock, actor) -> OutboxMessage:
    ozone = factories.operator(session, clock, actor, "ozone")
    customer = factories.customer(session, clock, ozone, "Jeanne Durand", kind="household")
    customer.email = "jeanne@example.org"
    return outbox.queue(session, clock, actor, customer, channel="email", kind="reminder",
                        key="reminder:1", subject="OZONE : facture impayée", body="Bonjour,")


def kept_mails(mail_dir) -> list[tuple[str, str]]:
    """(To, Subject) of the mails the sink kept, headers decoded."""
    kept = [message_from_bytes(m.as_bytes(), policy=default) for m in mailbox.Maildir(mail_dir)]
    return [(m["To"], m["Subject"]) for m in kept]


def test_an_e_mail_is_sent_while_the_sink_runs(session, clock, actor, smtp_port, tmp_path):
    message = queue_reminder(session, clock, actor)
    with DemoMailSink(tmp_path / "mail", port=smtp_port):
        assert outbox.deliver(session, clock, actor) == {"sent": 1, "failed": 0}
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, clock.now())
    assert message.next_attempt_at is None and message.error == ""
    assert kept_mails(tmp_path / "mail") == [("jeanne@example.org", "OZONE : facture impayée")]


def test_nothing_listening_keeps_it_queued_with_a_next_attempt_that_backs_off(
        session, clock, actor, smtp_port):
    message = queue_reminder(session, clock, actor)
    assert outbox.deliver(session, clock, actor) == {"sent": 0, "failed": 1}
    assert (message.status, message.attempts, message.error) == ("queued", 1, NOBODY_LISTENS)
    assert message.next_attempt_at == clock.now() + timedelta(minutes=5)
    # Not due yet: the tick leaves it alone.
    assert outbox.deliver(session, clock, actor) == {"sent": 0, "failed": 0}
    assert message.attempts == 1
    later = FixedClock(clock.now() + timedelta(minutes=5))
    assert outbox.deliver(session, later, actor) == {"sent": 0, "failed": 1}
    assert message.attempts == 2
    assert message.next_attempt_at == later.now() + timedelta(minutes=10)


def test_the_outbox_page_explains_in_french_and_shows_the_next_attempt(
        staff_client, clean_engine, clock, actor, smtp_port):
    with transaction(clean_engine) as s:
        queue_reminder(s, clock, actor)
        outbox.deliver(s, clock, actor)
    page = html.unescape(staff_client.get("/payments/outbox").text)
    assert "Aucun serveur de messagerie ne répond à l'adresse configurée" in page
    # Queued on 24/11/2026 at 09:00 (the test clock), tried again 5 minutes later.
    assert "1 tentative échouée ; prochain essai le 24/11/2026 09:05." in page
    assert "en file d'attente" in page
    assert "ConnectionRefusedError" not in page and "Errno" not in page


def test_outbox_send_delivers_it_once_the_server_is_back(
        db_url, clean_engine, clock, actor, smtp_port, tmp_path, monkeypatch):
    with transaction(clean_engine) as s:
        queue_reminder(s, clock, actor)
        outbox.deliver(s, clock, actor)
    monkeypatch.setenv("CLAUSIER_DATABASE_URL", db_url)
    with DemoMailSink(tmp_path / "mail", port=smtp_port):
        # Before the next attempt is due: staff asking to send now is not made to wait.
        result = CliRunner().invoke(app, ["outbox", "send", "--today", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert kept_mails(tmp_path / "mail") == [("jeanne@example.org", "OZONE : facture impayée")]
    with transaction(clean_engine) as s:
        [message] = outbox.list_messages(s)
        assert (message.status, message.attempts, message.error) == ("sent", 2, "")
        assert message.next_attempt_at is None


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 5), (2, 10), (3, 20), (7, 320), (8, 360),
                                                    (1000, 360)])
def test_retries_double_from_5_minutes_up_to_6_hours(clock, attempts, minutes):
    assert retry_at(clock.now(), attempts) == clock.now() + timedelta(minutes=minutes)


def test_every_delivery_failure_reads_in_french():
    from clausier.web.i18n import translations

    french = translations("fr")
    errors = [ConnectionRefusedError(111, "Connection refused"), socket.gaierror(-2, "unknown"),
              TimeoutError(), OSError(113, "No route to host")]
    texts = {delivery_failure(channel, e) for channel in ("email", "sms") for e in errors}
    assert len(texts) == 5
    assert all(french.gettext(text) != text for text in texts)


def test_a_subject_reads_in_the_staffs_language_while_the_letter_keeps_its_recipients(
        staff_client, clean_engine, clock, actor):
    """Issue 21: the set-off e-mail's subject (CGV: compensation of sums due) is written to the
    customer in French, stored with its message; the outbox page reads it in French for a
    French reader and in English for an English one."""
    from clausier.core.message import msg

    with transaction(clean_engine) as s:
        ozone = factories.operator(s, clock, actor, "ozone")
        customer = factories.customer(s, clock, ozone, "Jeanne Durand", kind="household")
        customer.email = "jeanne@example.org"
        message = outbox.queue(s, clock, actor, customer, channel="email", kind="set_off",
                               key="set-off:1", subject=msg("Set-off of sums due"),
                               body="Bonjour,")
        assert message.subject == "Compensation de sommes dues"      # the recipient's language
        assert message.subject_message == {"id": "Set-off of sums due", "params": {}}
    french = html.unescape(staff_client.get("/payments/outbox").text)
    assert "Compensation de sommes dues" in french and "Set-off of sums due" not in french
    english = html.unescape(staff_client.get("/payments/outbox?lang=en").text)
    assert "Set-off of sums due" in english and "Compensation de sommes dues" not in english


def test_a_letters_fixed_words_are_written_in_its_recipients_language():
    """Issue 21: the registered letter's own words (the mode of sending, « Objet : », the
    invoices' table, the signature) are messages: French by default as the letters always read,
    English for an English recipient; the body is the caller's, in that language already."""
    import io
    from datetime import date
    from decimal import Decimal
    from types import SimpleNamespace

    from pypdf import PdfReader

    from clausier.core.message import msg
    from clausier.web.explain_text import explained

    def letter_text(language: str) -> str:
        body = msg("We inform you that the sums we owe you ({amount}) will be set off against "
                   "your open invoices.", amount=Decimal("12.50"))
        subject = msg("Set-off of sums due")
        pdf = outbox.render_letter({
            "operator": {"name": "Ozone", "address": "1 rue de la Paix, 75002 Paris"},
            "recipient": SimpleNamespace(name="Jeanne Durand", address="2 rue Neuve, 44000 Nantes"),
            "subject": explained(subject, language), "body": explained(body, language),
            "invoices": [SimpleNamespace(number="OZO-2025-000001", issue_date=date(2025, 9, 1),
                                         due_date=date(2025, 9, 30), total=Decimal("30.00"),
                                         outstanding=Decimal("30.00"))],
            "date": date(2025, 10, 3), "reference": "LR-000001", "customer_ref": "C-1",
            **({"language": language} if language != "fr" else {})})
        return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
                        .split())

    french = letter_text("fr")
    assert "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION" in french      # the style's capitals
    assert "Objet : Compensation de sommes dues" in french and "Le 03/10/2025" in french
    assert "Reste dû" in french and "Nous vous prions d'agréer nos salutations distinguées." in french
    assert "seront compensées avec vos factures ouvertes" in french
    english = letter_text("en")
    assert "REGISTERED LETTER WITH ACKNOWLEDGEMENT OF RECEIPT" in english
    assert "Subject: Set-off of sums due" in english and "On 03/10/2025" in english
    assert "Outstanding" in english and "Yours faithfully." in english
    assert "will be set off against your open invoices" in english
    assert "Objet" not in english and "Reste dû" not in english

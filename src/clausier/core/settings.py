"""Settings from the environment (``CLAUSIER_*``); nothing else reads ``os.environ``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str
    port: int
    secret_key: str
    smtp_host: str
    smtp_port: int
    mail_from: str
    daily_tick: bool = True    # the web server runs the daily tick (off: CLAUSIER_NO_TICK=1)
    mqtt_url: str = ""     # e.g. mqtt://127.0.0.1:1883; empty: no push (devices poll)
    sms_provider: str = ""     # "module:Class" of an SMS gateway; empty: SMS stay in the outbox
    cookie_secure: bool = False    # the session cookie is sent over HTTPS only (behind TLS)
    # amqp://… (RabbitMQ) or redis://… (Redis): long work goes to `clausier worker` processes and
    # the daily tick to `clausier scheduler`; empty: everything runs in the asking process.
    broker_url: str = ""
    # Prefix of the queues: several installations (production, staging) may share one broker.
    broker_namespace: str = "clausier"

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("CLAUSIER_DATA_DIR", "var")).resolve()
        database_url = os.environ.get("CLAUSIER_DATABASE_URL") or f"sqlite:///{data_dir / 'clausier.db'}"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            host=os.environ.get("CLAUSIER_HOST", "127.0.0.1"),
            port=int(os.environ.get("CLAUSIER_PORT", "8000")),
            secret_key=os.environ.get("CLAUSIER_SECRET_KEY") or _stable_secret(data_dir),
            smtp_host=os.environ.get("CLAUSIER_SMTP_HOST", "127.0.0.1"),
            smtp_port=int(os.environ.get("CLAUSIER_SMTP_PORT", "25")),
            mail_from=os.environ.get("CLAUSIER_MAIL_FROM", "noreply@clausier.local"),
            # With a broker, `clausier scheduler` runs the tick: the web server does not.
            daily_tick=(os.environ.get("CLAUSIER_NO_TICK", "") != "1"
                        and not os.environ.get("CLAUSIER_BROKER_URL")),
            mqtt_url=os.environ.get("CLAUSIER_MQTT_URL", ""),
            sms_provider=os.environ.get("CLAUSIER_SMS_PROVIDER", ""),
            cookie_secure=os.environ.get("CLAUSIER_COOKIE_SECURE", "") == "1",
            broker_url=os.environ.get("CLAUSIER_BROKER_URL", ""),
            broker_namespace=os.environ.get("CLAUSIER_BROKER_NAMESPACE", "clausier"),
        )


def _stable_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data dir, so sessions survive restarts."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

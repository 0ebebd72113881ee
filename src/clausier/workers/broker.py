"""The message broker of the workers: RabbitMQ (``amqp://…``) or Redis (``redis://…``), named
by ``CLAUSIER_BROKER_URL``. Without it nothing here is used: every job runs in the process that
asks for it."""

from __future__ import annotations

import os
import socket

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from clausier.core.errors import InvalidInput

SCHEMES = {"amqp": RabbitmqBroker, "amqps": RabbitmqBroker, "redis": RedisBroker,
           "rediss": RedisBroker}


def make_broker(url: str) -> dramatiq.Broker:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise InvalidInput.on("CLAUSIER_BROKER_URL", f"{url!r}: amqp://… (RabbitMQ) or "
                                                     "redis://… (Redis) expected",
                              code="broker_url_unsupported")
    # RabbitMQ: publisher confirms, so that a partition sent is a partition queued.
    options = {"confirm_delivery": True} if SCHEMES[scheme] is RabbitmqBroker else {}
    broker = SCHEMES[scheme](url=url, **options)
    from dramatiq.middleware import Retries

    from clausier.workers.dead_letters import DeadLetters

    # Before Retries in the list: the "after" hooks run in reverse order, so it sees the
    # message once Retries has decided whether it failed for good.
    broker.add_middleware(DeadLetters(), before=Retries)
    return broker


def worker_name() -> str:
    """Who ran a message, as the reports show it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"

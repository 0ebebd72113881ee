"""CLAUSIER_BROKER_URL names the broker: RabbitMQ (amqp://) or Redis (redis://); anything else
is refused naming the setting."""

from __future__ import annotations

import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries

from clausier.core.errors import InvalidInput
from clausier.workers.broker import make_broker
from clausier.workers.dead_letters import DeadLetters


def test_the_url_scheme_chooses_the_broker():
    assert isinstance(make_broker("amqp://guest:guest@127.0.0.1:5672/"), RabbitmqBroker)
    assert isinstance(make_broker("redis://127.0.0.1:6379/0"), RedisBroker)


def test_dead_letters_are_seen_after_retries_decided():
    # Dramatiq runs the "after" hooks in reverse order: listed before Retries, run after it.
    kinds = [type(m) for m in make_broker("redis://127.0.0.1:6379/0").middleware]
    assert kinds.index(DeadLetters) < kinds.index(Retries)


def test_another_scheme_is_refused_naming_the_setting():
    with pytest.raises(InvalidInput) as refused:
        make_broker("kafka://127.0.0.1:9092")
    assert "CLAUSIER_BROKER_URL" in str(refused.value)
    assert "amqp://" in str(refused.value) and "redis://" in str(refused.value)

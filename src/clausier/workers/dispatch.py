"""Where the adapters (CLI, API, pages) ask whether work goes to the workers: the queue of a
bill run's partitions, of a rating's buckets, of invoice PDFs, when a broker is configured; None
otherwise (in process, as without one)."""

from __future__ import annotations

from clausier.audit.service import Actor
from clausier.core.settings import Settings


def partition_queue(settings: Settings, actor: Actor):
    if not settings.broker_url:
        return None
    from clausier.workers.tasks import partition_queue as queue_of   # sets the broker

    return queue_of(actor)


def pdf_queue(settings: Settings):
    """``send(invoice_ids, folder) -> message id``: a batch of PDFs for the workers."""
    if not settings.broker_url:
        return None
    from clausier.workers.tasks import send_pdfs   # sets the broker

    return send_pdfs


def rating_queue(settings: Settings):
    """``send(run_key, bucket, fixed_at)``: a bucket of a month's rating for the workers."""
    if not settings.broker_url:
        return None
    from clausier.workers.tasks import rating_queue as queue   # sets the broker

    return queue

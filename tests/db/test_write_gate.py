"""The gate of a process's SQLite writers: first come first served, never owned by a thread,
never waited on forever."""

from __future__ import annotations

import asyncio
import threading

import pytest

from clausier.db.session import WriteGate, WriterBusy

BOUND = 10      # seconds: a regression fails instead of hanging


def run_alone(coroutine):
    """Run ``coroutine`` on an event loop of its own, in a thread of its own: a test that ran
    before in the same process (a browser or an ASGI client) may have left its loop running."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", asyncio.run(coroutine)))
    thread.start()
    thread.join()
    return result["value"]


def test_a_writer_that_gives_the_gate_back_does_not_take_it_again_before_the_one_waiting():
    """Before, a bill run releasing the lock and taking it again at once starved the requests."""
    gate, order, waiting = WriteGate(), [], threading.Event()

    def request() -> None:
        waiting.set()
        with gate.held(BOUND):
            order.append("request")

    with gate.held(BOUND):
        order.append("batch 1")
        other = threading.Thread(target=request)
        other.start()
        waiting.wait(BOUND)
        while not gate._waiters:        # the request is queued
            threading.Event().wait(0.01)
    with gate.held(BOUND):
        order.append("batch 2")
    other.join(BOUND)
    assert order == ["batch 1", "request", "batch 2"]


def test_a_writer_waits_a_bounded_time_then_fails_naming_the_database():
    gate = WriteGate()
    with gate.held(BOUND):
        failure: list[Exception] = []

        def late() -> None:
            try:
                with gate.held(0.2):
                    pass
            except WriterBusy as exc:
                failure.append(exc)

        thread = threading.Thread(target=late)
        thread.start()
        thread.join(BOUND)
    assert [str(e) for e in failure] == ["database: busy with other writers for 0 s"]
    assert not gate._waiters
    with gate.held(BOUND):      # the gate was not left held by the writer that gave up
        pass


def test_an_event_loop_waiter_gets_the_gate_from_a_thread_and_gives_it_back_itself():
    gate = WriteGate()

    async def scenario() -> list[str]:
        order: list[str] = []
        holder_in, release = threading.Event(), threading.Event()

        def batch() -> None:
            with gate.held(BOUND):
                holder_in.set()
                release.wait(BOUND)
                order.append("batch")

        thread = threading.Thread(target=batch)
        thread.start()
        await asyncio.to_thread(holder_in.wait, BOUND)

        async def request() -> None:
            async with gate.held_async(BOUND):
                order.append("request")

        waiter = asyncio.create_task(request())
        while not gate._waiters:
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.wait_for(waiter, BOUND)
        thread.join(BOUND)
        return order

    assert run_alone(scenario()) == ["batch", "request"]
    with gate.held(BOUND):
        pass


@pytest.mark.parametrize("handed_over_first", [False, True])
def test_a_cancelled_event_loop_waiter_leaves_the_gate_free(handed_over_first):
    """A client that hangs up while its request waits (or just as its turn comes)."""
    gate = WriteGate()

    async def scenario() -> None:
        with gate.held(BOUND):
            waiter = asyncio.create_task(_hold(gate))
            while not gate._waiters:
                await asyncio.sleep(0.01)
            if not handed_over_first:
                waiter.cancel()
        if handed_over_first:
            waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    run_alone(scenario())
    assert not gate._waiters and not gate._held


async def _hold(gate: WriteGate) -> None:
    async with gate.held_async(BOUND):
        await asyncio.sleep(BOUND)

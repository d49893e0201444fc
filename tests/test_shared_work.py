"""Shared work without Streamlit: one computation per key, waited on by every request, run to the end whoever leaves."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.shared_work import SharedWork


class Left(Exception):
    """What Streamlit raises in a waiting script when its tab closes or a click asks for a rerun."""


class Gated:
    """A computation that reports half its progress, then waits for the test to let it finish; counts its runs."""

    def __init__(self, value: object = "result", error: Exception | None = None) -> None:
        self.value, self.error = value, error
        self.started, self.release = threading.Event(), threading.Event()
        self.runs = 0

    def __call__(self, progress) -> object:  # noqa: ANN001
        self.runs += 1
        progress(0.5)
        self.started.set()
        assert self.release.wait(10)
        if self.error is not None:
            raise self.error
        return self.value


def stay(fraction: float) -> None:
    """A waiter that stays until the end."""


def leave(fraction: float) -> None:
    """A waiter whose session is stopped at once."""
    raise Left


def leave_once_started(compute: Gated) -> Callable[[float], None]:
    """A waiter whose session is stopped once the computation has begun."""

    def waiting(fraction: float) -> None:
        if compute.started.is_set():
            raise Left

    return waiting


def waiting_event() -> tuple[threading.Event, list[float], Callable[[float], None]]:
    """A waiter that records the progress it sees and says when it has started waiting."""
    waits, seen = threading.Event(), []

    def waiting(fraction: float) -> None:
        seen.append(fraction)
        waits.set()

    return waits, seen, waiting


def finish_earlier_work(work: SharedWork) -> None:
    """With one worker, a job that has run means every job queued before it has ended."""
    flush = Gated("flush")
    flush.release.set()
    assert work.result(object(), flush, stay) == "flush"


def test_two_waiters_share_one_computation_and_see_its_progress() -> None:
    work, compute = SharedWork(workers=2, keep=2), Gated()
    second_waits, seen, second_waiting = waiting_event()
    with ThreadPoolExecutor(2) as sessions:
        first = sessions.submit(work.result, "key", compute, stay)
        assert compute.started.wait(10)
        second = sessions.submit(work.result, "key", Gated("another"), second_waiting)
        assert second_waits.wait(10)
        compute.release.set()
        assert first.result(10) == second.result(10) == "result"
    assert compute.runs == 1 and seen[0] == 0.5


def test_a_waiter_that_leaves_leaves_the_work_running_and_the_next_request_takes_its_result() -> None:
    work, compute, again = SharedWork(workers=1, keep=2), Gated(), Gated("trained twice")
    with pytest.raises(Left):
        work.result("key", compute, leave_once_started(compute))  # the starter's tab closes while it trains
    compute.release.set()
    again.release.set()
    finish_earlier_work(work)
    assert work.result("key", again, stay) == "result"  # finished with nobody waiting: still there
    assert compute.runs == 1 and again.runs == 0
    assert work.result("key", again, stay) == "trained twice"  # collected once: the app's cache holds it from then


def test_an_error_reaches_every_waiter_and_the_next_request_computes_again() -> None:
    work, refused = SharedWork(workers=1, keep=2), ValueError("too big")
    compute = Gated(error=refused)
    with ThreadPoolExecutor(2) as sessions:
        first = sessions.submit(work.result, "key", compute, stay)
        assert compute.started.wait(10)
        second_waits, _, second_waiting = waiting_event()
        second = sessions.submit(work.result, "key", Gated(), second_waiting)
        assert second_waits.wait(10)
        compute.release.set()
        for waiter in (first, second):
            assert waiter.exception(10) is refused
    retry = Gated("fixed")
    retry.release.set()
    assert work.result("key", retry, stay) == "fixed" and compute.runs == 1


def test_queued_work_nobody_waits_for_is_dropped_and_started_work_runs_on() -> None:
    work, long, queued = SharedWork(workers=1, keep=2), Gated("long"), Gated("queued")
    with ThreadPoolExecutor(1) as session:
        running = session.submit(work.result, "long", long, stay)
        assert long.started.wait(10)
        with pytest.raises(Left):
            work.result("queued", queued, leave)  # its session leaves while it waits for a worker
        long.release.set()
        assert running.result(10) == "long"
    fresh = Gated("fresh")
    fresh.release.set()
    assert work.result("queued", fresh, stay) == "fresh" and queued.runs == 0


def test_only_the_last_results_nobody_collected_are_kept() -> None:
    work = SharedWork(workers=1, keep=1)
    for key in ("old", "new"):
        compute = Gated(key)
        with pytest.raises(Left):
            work.result(key, compute, leave_once_started(compute))
        compute.release.set()
    finish_earlier_work(work)
    again = Gated("again")
    again.release.set()
    assert work.result("new", again, stay) == "new"
    assert work.result("old", again, stay) == "again"  # beyond `keep`: computed again

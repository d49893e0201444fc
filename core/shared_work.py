"""Work no session owns: one computation per key in a few worker threads, waited on by every request for that key.

Streamlit stops a script at its next `st.*` call when its tab closes or a click asks for a rerun. A training that ran
in the script thread died with it, and the students waiting for the same result started it again. Here the script
thread only waits (and draws the progress it reads), so stopping it ends the waiting, never the work: the starter's
rerun, another session, or a session that comes after the starter left all wait on the same computation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from queue import SimpleQueue
from typing import Any

Progress = Callable[[float], None]
POLL_SECONDS = 0.1  # how often a waiter reports progress (and, in the app, lets Streamlit stop or rerun it)


@dataclass(eq=False)
class Job:
    """One computation: its future, the last progress it reported (0…1), how many requests wait on it, and whether it
    has ended (and with a value worth keeping)."""

    compute: Callable[[Progress], Any]
    future: Future = field(default_factory=Future)
    progress: float = 0.0
    waiters: int = 0
    ended: bool = False
    has_value: bool = False

    def report(self, fraction: float) -> None:
        """Called by the computation, in its worker thread."""
        self.progress = fraction


class SharedWork:
    """At most `workers` computations at once; results that ended after every waiter left are kept (the last `keep`).

    The table of jobs holds only work in progress: a job leaves it when it ends, and one still queued is cancelled as
    soon as nobody waits for it, so the table never holds more than `workers` jobs that nobody waits for."""

    def __init__(self, workers: int, keep: int, start: Callable[[], None] = lambda: None) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[Hashable, Job] = {}  # queued or running
        self._uncollected: OrderedDict[Hashable, Job] = OrderedDict()  # ended with a value after its waiters left
        self._keep = keep
        self._queue: SimpleQueue[tuple[Hashable, Job]] = SimpleQueue()
        for number in range(workers):
            # Daemon threads: a server that shuts down does not wait for a training nobody will see.
            threading.Thread(target=self._work, args=(start,), name=f"shared-work-{number}", daemon=True).start()

    def result(self, key: Hashable, compute: Callable[[Progress], Any], waiting: Progress) -> Any:
        """`compute(progress)` for `key`, computed once for every request that asks while it runs.

        Calls `waiting(progress)` every POLL_SECONDS until the value is there: an exception from it ends this wait
        (the computation goes on); an exception from `compute` reaches every waiter."""
        job = self._join(key, compute)
        collected = False
        try:
            while not wait((job.future,), timeout=POLL_SECONDS).done:
                waiting(job.progress)
            collected = True
        finally:
            self._leave(key, job, collected)
        return job.future.result()

    def _join(self, key: Hashable, compute: Callable[[Progress], Any]) -> Job:
        with self._lock:
            job = self._jobs.get(key) or self._uncollected.get(key)
            if job is None:
                job = self._jobs[key] = Job(compute)
                self._queue.put((key, job))
            job.waiters += 1
            return job

    def _leave(self, key: Hashable, job: Job, collected: bool) -> None:
        with self._lock:
            job.waiters -= 1
            if collected:  # from here on the caller's own cache holds it
                if self._uncollected.get(key) is job:
                    del self._uncollected[key]
            elif job.waiters == 0:
                if job.ended:
                    self._keep_uncollected(key, job)
                elif job.future.cancel():  # only a job still queued can be: one that has started runs to the end
                    del self._jobs[key]

    def _work(self, start: Callable[[], None]) -> None:
        start()
        while True:
            key, job = self._queue.get()
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled while queued
            try:
                value = job.compute(job.report)
            except BaseException as error:  # every waiter gets it; the next request computes again
                self._end(key, job, has_value=False)
                job.future.set_exception(error)
            else:
                self._end(key, job, has_value=True)
                job.future.set_result(value)

    def _end(self, key: Hashable, job: Job, has_value: bool) -> None:
        # Before the future is set: a waiter that leaves from now on finds the job ended.
        with self._lock:
            del self._jobs[key]
            job.ended, job.has_value = True, has_value
            if job.waiters == 0:
                self._keep_uncollected(key, job)

    def _keep_uncollected(self, key: Hashable, job: Job) -> None:
        if job.has_value:
            self._uncollected[key] = job
            while len(self._uncollected) > self._keep:
                self._uncollected.popitem(last=False)

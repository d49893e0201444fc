"""Cached training and readable errors: the only place where pages reach the engine."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

import pandas as pd
import streamlit as st
import torch
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from core import warm
from core.config import ConfigError, RunConfig
from core.shared_work import Progress, SharedWork
from core.training import ENGINE_VERSION, Result, resolve_device, train
from core.ui.widgets import error_message

# A lecture hall explores a few dozen settings; a typical sweep's frames take ~0.2 MB. The guard admits at most
# MAX_BYTES / RECORD_BYTES (~1.7 million) recorded rows per request, ~60 MB once compact (36 bytes a row), so the
# byte bound keeps at least four of the largest entries, and the cache never holds more than CACHE_SIZE.
CACHE_ENTRIES = 256
CACHE_SIZE = "256MB"  # pickled bytes, as Streamlit counts them
CACHE_TTL = timedelta(hours=12)
# Trainings and lesson maths run in these threads, which no session owns, one torch thread each. Four on the 2-core
# server: two long trainings cannot hold up a cheap one, and work nobody waits for any more can hold at most four
# threads. A fixed number: inside a container os.cpu_count() reports the host's cores, not the app's share.
WORKERS = 4
KEEP_UNCOLLECTED = 4  # results whose sessions left before collecting them, kept for the next request (≤ ~60 MB each)
WORK = SharedWork(WORKERS, KEEP_UNCOLLECTED, start=lambda: torch.set_num_threads(1))
# The requests cached_train answered, with when (newest last, as many as the cache holds): what `trained` reads.
_AT_HAND: OrderedDict[tuple, float] = OrderedDict()
_LOCK = threading.Lock()
T = TypeVar("T")


def cached_train(configs: tuple[RunConfig, ...], engine: str = "fast") -> Result:
    """Train `configs` once per distinct request for all sessions; raises ConfigError for a bad request."""
    configs, key = _request(configs, engine)
    result = _train(*key, configs)
    with _LOCK:
        _AT_HAND[key] = time.monotonic()
        _AT_HAND.move_to_end(key)
        while len(_AT_HAND) > CACHE_ENTRIES:
            _AT_HAND.popitem(last=False)
    return result


def trained(configs: tuple[RunConfig, ...], engine: str = "fast") -> bool:
    """Whether cached_train has given this request's result lately, so that it gives it again at once: a page draws a
    stand-in (a preview) only while it waits. A result the cache let go early for room reads as trained; its page
    then waits without the stand-in."""
    try:
        key = _request(configs, engine)[1]
    except ConfigError:
        return False
    with _LOCK:
        given = _AT_HAND.get(key)
    return given is not None and time.monotonic() - given < CACHE_TTL.total_seconds()


def _request(configs: tuple[RunConfig, ...], engine: str) -> tuple[tuple[RunConfig, ...], tuple]:
    configs = tuple(config.validated() for config in configs)
    # Every field explicitly (a changed default must not hit an old entry), plus the engine version and the device,
    # so a code change or a GPU never serves a stale or CPU-computed result.
    key = tuple(dataclasses.astuple(config) for config in configs)
    devices = tuple(resolve_device(config.device) for config in configs)
    return configs, (key, engine, ENGINE_VERSION, devices)


@st.cache_data(max_entries=CACHE_ENTRIES, max_size=CACHE_SIZE, ttl=CACHE_TTL, show_spinner=False)
def _train(
    key: tuple, engine: str, engine_version: str, devices: tuple[str, ...], _configs: tuple[RunConfig, ...]
) -> Result:
    # The progress bar is created here, inside the cached function: on a cache hit nothing trains and no bar shows.
    with progress_bar() as show:
        # Before training: the warm store, filled before a lecture by `python -m core warm`.
        full_key = ("train", key, engine, engine_version, devices)
        return warm.stored(
            full_key, lambda: shared(full_key, lambda progress: compact(train(_configs, engine, progress)), show)
        )


@contextmanager
def progress_bar(text: str | None = None) -> Iterator[Progress]:
    """A progress bar (with `text`, what is being computed) for the duration of the block, then gone; yields the
    function that moves it. Create it inside a cached function, so that a cache hit shows none."""
    bar = st.progress(0.0, text=text)
    shown = [0]

    def show(fraction: float) -> None:
        percent = int(100 * min(max(fraction, 0.0), 1.0))
        if percent > shown[0]:  # one message per percent, not one per poll
            shown[0] = percent
            bar.progress(percent, text=text)

    try:
        yield show
    finally:
        bar.empty()


def shared(key: tuple, compute: Callable[[Progress], T], show: Progress = lambda fraction: None) -> T:
    """`compute(progress)` run once for every session that asks for `key`, in a worker thread; this script waits.

    A closed tab or a click stops this script while it waits, never the computation: the next request for `key`
    (the rerun, another session, a later one) waits on the same run or takes its result."""
    stop_or_rerun = get_run_yield_check()  # Streamlit's own check, run between `st.*` calls; None outside a script

    def waiting(fraction: float) -> None:
        if stop_or_rerun is not None:
            stop_or_rerun()
        show(fraction)

    return WORK.result(key, compute, waiting)


def compact(result: Result) -> Result:
    """The same frames in 32-bit columns (half the memory); `lr` stays exact, since pages match it to settings."""

    def shrink(frame: pd.DataFrame) -> pd.DataFrame:
        smaller = {"float64": "float32", "int64": "int32"}
        return frame.astype(
            {name: smaller[str(t)] for name, t in frame.dtypes.items() if str(t) in smaller and name != "lr"}
        )

    return Result(*(shrink(getattr(result, field.name)) for field in dataclasses.fields(result)))


def show_config_error(err: ConfigError, lang: str) -> None:
    """The error as one translated sentence (never a traceback), every value it quotes shown as text: a link's value,
    a file's column or a typed text with markdown, HTML or $LaTeX$ in it stays literal."""
    st.error(error_message(err, lang), icon=":material/error:")

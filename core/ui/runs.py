"""Cached training and readable errors: the only place where pages reach the engine."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from datetime import timedelta

import pandas as pd
import streamlit as st

from core.config import ConfigError, RunConfig
from core.shared_work import Progress
from core.training import ENGINE_VERSION, Result, resolve_device, train
from core.ui.cache import Store
from core.ui.widgets import error_message

# A lecture hall explores a few dozen settings; a typical sweep's frames take ~0.2 MB. The guard admits at most
# MAX_BYTES / RECORD_BYTES (~1.7 million) recorded rows per request, ~60 MB once compact (36 bytes a row), so the
# byte bound keeps at least four of the largest entries, and the cache never holds more than CACHE_SIZE.
CACHE_ENTRIES = 256
CACHE_SIZE = "256MB"  # pickled bytes, as Streamlit counts them
CACHE_TTL = timedelta(hours=12)
RESULTS = Store("results", ENGINE_VERSION, entries=CACHE_ENTRIES, size=CACHE_SIZE, ttl=CACHE_TTL, long=True)
# The requests cached_train answered, with when (newest last, as many as the cache holds): what `trained` reads.
_AT_HAND: OrderedDict[str, float] = OrderedDict()
_LOCK = threading.Lock()


def cached_train(configs: tuple[RunConfig, ...], engine: str = "fast") -> Result:
    """Train `configs` once per distinct request for all sessions; raises ConfigError for a bad request."""
    request = _request(configs, engine)
    key = RESULTS.key(_trained, *request)
    result = RESULTS.get_keyed(key, _trained, *request)
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
        key = RESULTS.key(_trained, *_request(configs, engine))
    except ConfigError:
        return False
    with _LOCK:
        given = _AT_HAND.get(key)
    return given is not None and time.monotonic() - given < CACHE_TTL.total_seconds()


def _request(configs: tuple[RunConfig, ...], engine: str) -> tuple[tuple[RunConfig, ...], str, tuple[str, ...]]:
    """The validated configs, the engine and the devices they train on: a GPU's result never serves the CPU."""
    configs = tuple(config.validated() for config in configs)
    return configs, engine, tuple(resolve_device(config.device) for config in configs)


def _trained(configs: tuple[RunConfig, ...], engine: str, devices: tuple[str, ...], progress: Progress) -> Result:
    """The compact result of training `configs` (`devices`, where they resolve to, is part of the request's key)."""
    return compact(train(configs, engine, progress))


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

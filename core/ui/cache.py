"""One cache for every page: results, lesson maths and chart specs, computed once for all sessions.

One key rule: a function's full name, its arguments by value and a version, hashed alike everywhere (`cache_key`): a
RunConfig or any other dataclass by every field, a frame by its content, a function by its name (a lambda is refused:
its closure is not in the key), a `functools.partial` by its function and arguments. Each `Store` is one bounded part
of Streamlit's shared cache (`st.cache_data`, which keeps its values pickled and hands each session its own copy),
with the version its entries depend on. A store of long work computes a miss in a worker thread that no session owns
(`core/shared_work.py`), with a progress bar, and first looks in the warm store that `python -m core warm` filled;
the other stores compute in the script. The named entry points are `cached_train` (core/ui/runs.py), `chart_spec`
(core/ui/charts.py), `cached_lesson` and `cached_maths` (here). An upload never enters this cache: its results stay in
the visitor's session (core/ui/upload.py).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import pickle
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st
import torch
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from core import warm
from core.config import RunConfig
from core.i18n import DEFAULT_LANGUAGE, keys, t
from core.shared_work import Progress, SharedWork
from core.ui.page import current_language

LESSON_VERSION = "1"  # part of every lesson's and maths' key: bump it when a lesson function's results change
# Long work runs in these threads, which no session owns, one torch thread each. Four on the 2-core server: two long
# trainings cannot hold up a cheap one, and work nobody waits for any more can hold at most four threads. A fixed
# number: inside a container os.cpu_count() reports the host's cores, not the app's share.
WORKERS = 4
KEEP_UNCOLLECTED = 4  # results whose sessions left before collecting them, kept for the next request (≤ ~60 MB each)
WORK = SharedWork(WORKERS, KEEP_UNCOLLECTED, start=lambda: torch.set_num_threads(1))
T = TypeVar("T")


class Store:
    """One bounded part of the shared cache: at most `entries` values (and `size` bytes, each kept for `ttl`), keyed by
    `cache_key` with `version`. A `long` store computes a miss from the warm store or in a shared worker with a
    progress bar, which says what it computes (`common.computing.<function>`, else the text at `computing`)."""

    def __init__(
        self,
        name: str,
        version: str,
        *,
        entries: int,
        size: str | None = None,
        ttl: timedelta | None = None,
        long: bool = False,
        computing: str | None = None,
    ) -> None:
        self.name, self.version, self.long, self.computing = name, version, long, computing

        def kept(key: str, _compute: Callable[[], Any]) -> Any:  # `_compute`: not hashed, run on a miss only
            return _compute()

        # Streamlit keeps a cached function's entries under its module and name: a name per store, a bound per store.
        kept.__qualname__ = f"{type(self).__name__}.{name}"
        self._kept = st.cache_data(max_entries=entries, max_size=size, ttl=ttl, show_spinner=False)(kept)

    def key(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        """The key of `function(*args, **kwargs)` in this store."""
        return cache_key(function, args, kwargs, self.version)

    def get(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)`, computed once per distinct call for all sessions."""
        return self.get_keyed(self.key(function, *args, **kwargs), function, *args, **kwargs)

    def get_keyed(self, key: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The same, its `key` already made by `key`."""
        return self._kept(key, functools.partial(self._compute, key, function, args, kwargs))

    def clear(self) -> None:
        """Forget every entry of this store (for every session)."""
        self._kept.clear()

    def _compute(self, key: str, function: Callable[..., T], args: tuple, kwargs: Mapping[str, Any]) -> T:
        if not self.long:
            return function(*args, **kwargs)
        full_key = (self.name, function_name(function), key)
        reports = "progress" in inspect.signature(function).parameters

        def compute(progress: Progress) -> T:
            return function(*args, **kwargs, **({"progress": progress} if reports else {}))

        # Created here, on a miss only: a cache hit shows no bar (an element made outside would break on a hit).
        with progress_bar(computing_text(function, self.computing)) as show:
            return warm.stored(full_key, lambda: shared(full_key, compute, show))


def cache_key(function: Callable[..., Any], args: tuple, kwargs: Mapping[str, Any], version: str) -> str:
    """The one key rule: the function's full name, its arguments by value and `version`, as a SHA-256 digest.

    TypeError for a value that cannot say what it holds (a lambda, an object of a kind not listed in `_feed`)."""
    digest = hashlib.sha256()
    _feed(digest, (function_name(function), args, dict(kwargs), version))
    return digest.hexdigest()


def _feed(digest: Any, value: object) -> None:
    """Add `value` to the key: its type, then its content, each part after its length (no two values run together)."""

    def put(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)

    kind = type(value)
    put(f"{kind.__module__}.{kind.__qualname__}".encode())
    if value is None or isinstance(value, (bool, int, float, complex)):
        put(repr(value).encode())  # a float's repr is its shortest exact text
    elif isinstance(value, str):
        put(value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, bytes):
        put(value)
    elif isinstance(value, (np.generic, np.ndarray)):
        values = np.asarray(value)
        put(repr((values.dtype.str, values.shape)).encode())
        put(_values_key(values.ravel()))
    elif isinstance(value, pd.DataFrame):
        put(frame_key(value))
    elif isinstance(value, pd.Series):
        _feed(digest, value.name)
        put(frame_key(value.to_frame(name=0)))
    elif isinstance(value, (tuple, list)):
        put(str(len(value)).encode())
        for item in value:
            _feed(digest, item)
    elif isinstance(value, Mapping):  # in its order: a chart's names dict orders its legend
        put(str(len(value)).encode())
        for item in value.items():
            _feed(digest, item)
    elif isinstance(value, functools.partial):
        _feed(digest, (value.func, value.args, value.keywords))
    elif isinstance(value, types.FunctionType):
        put(function_name(value).encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        _feed(digest, [(field.name, getattr(value, field.name)) for field in dataclasses.fields(value)])
    else:
        raise TypeError(f"a {kind.__qualname__} cannot be part of a cache key: it cannot say what it holds")


def function_name(function: Callable) -> str:
    """A module-level function's full name, its cache key. A lambda or a nested function has no name that says what it
    computes (its closure is not in the key), and a page script's own function shares its module name (`__main__`)
    with every other page's: both are refused. Pass a functools.partial of a library function instead."""
    name = f"{function.__module__}.{function.__qualname__}"
    if "<" in name or function.__module__ == "__main__":
        raise TypeError(f"{name} cannot be a cache key: use a module-level function of core or a functools.partial")
    return name


def frame_key(frame: pd.DataFrame) -> bytes:
    """A frame's part of a key: its shape, labels and dtypes, and every column's values: numbers as their bytes, other
    values by pandas' hash of each. The same for a frame and its unpickled copy (a pickle is not), exact where
    Streamlit's own hash samples frames of 50,000 rows or more, and faster on the pages' frames (0.18 ms against
    1.2 ms for a sweep's 125 epochs)."""
    index = frame.index
    labels = (frame.shape, list(frame.columns), [str(dtype) for dtype in frame.dtypes])
    rows = (index.start, index.stop, index.step) if isinstance(index, pd.RangeIndex) else _values_key(index.to_numpy())
    return b"".join([repr((labels, rows)).encode(), *(_values_key(column.to_numpy()) for _, column in frame.items())])


def _values_key(values: np.ndarray) -> bytes:
    if values.dtype.kind in "biufcmM":
        return np.ascontiguousarray(values).tobytes()
    try:
        return pd.util.hash_array(np.asarray(values, dtype=object)).tobytes()
    except (TypeError, ValueError):  # values pandas cannot hash (tuples): their pickle
        return pickle.dumps(list(values), protocol=5)


@contextmanager
def progress_bar(text: str | None = None) -> Iterator[Progress]:
    """A progress bar (with `text`, what is being computed) for the duration of the block, then gone; yields the
    function that moves it. Create it inside a cached computation, so that a cache hit shows none."""
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


def computing_text(function: Callable, fallback: str | None) -> str | None:
    """What a progress bar says is being computed, in the page's language: the function's own text, else `fallback`'s
    (no text when that is None)."""
    key = f"common.computing.{function.__name__}"
    if key not in keys(DEFAULT_LANGUAGE):  # both languages hold the same keys
        key = fallback
    return None if key is None else t(key, current_language())


# Lesson maths that takes a RunConfig (range tests, sharpness, first-epoch traces): long, so in a shared worker.
LESSONS = Store("lessons", LESSON_VERSION, entries=128, long=True, computing="common.computing.default")
# The light maths a page needs on every view (valley walks, verdict tables, the 2-D walks): here, so a warm view only
# looks them up.
MATHS = Store("maths", LESSON_VERSION, entries=512)


def cached_lesson(function: Callable[..., T], config: RunConfig, **options: object) -> T:
    """`function(config, **options)`, computed once per distinct call for all sessions, in a shared worker (with a
    progress bar while it runs, fed by the function's own `progress` argument if it has one) or from the warm store."""
    return LESSONS.get(function, config.validated(), **options)


def cached_maths(function: Callable[..., T], *args: object, **options: object) -> T:
    """`function(*args, **options)`, computed once per distinct call for all sessions, here: the light maths a page
    needs on every view, so that a warm view only looks them up."""
    return MATHS.get(function, *args, **options)

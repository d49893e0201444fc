"""One cached wrapper for the lesson maths: heavy ones on a RunConfig (first epoch, class mix, range tests, sharpness)
in a shared worker with a progress bar, light ones a page needs on every view (valley walks, verdict tables) here.

Both are keyed alike: the function's name, its arguments by value (a RunConfig by every field, a frame by its
content, a function by its name) and LESSON_VERSION."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from core import warm
from core.config import RunConfig
from core.i18n import keys, t
from core.ui.runs import progress_bar, shared

LESSON_VERSION = "1"  # part of every cache key: bump it when a lesson function's results change
T = TypeVar("T")


def function_name(function: Callable) -> str:
    """A module-level function's full name, its cache key; a lambda or a nested function has no name that says what
    it computes (its closure is not in the key), so it is refused: pass a functools.partial of a named one."""
    name = f"{function.__module__}.{function.__qualname__}"
    if "<" in name:
        raise TypeError(f"{name} cannot be a cache key: use a module-level function or a functools.partial of one")
    return name


def frame_key(frame: pd.DataFrame) -> bytes:
    """A frame's cache key: its shape, labels and dtypes, and every column's values: numbers as their bytes, other
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


# Streamlit hashes numbers, texts, tuples, dicts and partials by value; frames and functions as here.
HASH_FUNCS: dict[type, Callable[[Any], Any]] = {types.FunctionType: function_name, pd.DataFrame: frame_key}


def cached_lesson(function: Callable[..., T], config: RunConfig, **options: object) -> T:
    """`function(config, **options)`, computed once per distinct call for all sessions, in a shared worker (with
    a progress bar while it runs, fed by the function's own `progress` argument if it has one) or from the warm
    store."""
    config = config.validated()
    return _lesson(function, dataclasses.astuple(config), options, LESSON_VERSION, config)


@st.cache_data(max_entries=128, show_spinner=False, hash_funcs=HASH_FUNCS)
def _lesson(function: Callable, key: tuple, options: Mapping, version: str, _config: RunConfig) -> object:
    full_key = ("lesson", function_name(function), key, tuple(sorted(options.items())), version)
    reports = "progress" in inspect.signature(function).parameters

    def compute(progress: Callable[[float], None]) -> object:
        return function(_config, **options, **({"progress": progress} if reports else {}))

    # Created here, inside the cached function, as cached_train's: on a cache hit nothing runs and no bar shows.
    with progress_bar(computing_text(function)) as show:
        return warm.stored(full_key, lambda: shared(full_key, compute, show))


def computing_text(function: Callable) -> str:
    """What a progress bar says is being computed, in the page's language (a general text for a function with none)."""
    from core.ui.page import current_language  # the page frame imports this module's callers

    lang = current_language()
    key = f"common.computing.{function.__name__}"
    return t(key if key in keys(lang) else "common.computing.default", lang)


def cached_maths(function: Callable[..., T], *args: object, **options: object) -> T:
    """`function(*args, **options)`, computed once per distinct call for all sessions, here: the light maths a page
    needs on every view, so that a warm view only looks them up."""
    return _maths(function, args, options, LESSON_VERSION)


@st.cache_data(max_entries=512, show_spinner=False, hash_funcs=HASH_FUNCS)
def _maths(function: Callable, args: tuple, options: Mapping, version: str) -> Any:
    return function(*args, **options)

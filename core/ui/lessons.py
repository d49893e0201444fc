"""One cached wrapper for the lesson maths that take a RunConfig (first epoch, class mix, range tests, sharpness)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from core import warm
from core.config import RunConfig
from core.ui.runs import shared

LESSON_VERSION = "1"  # part of every cache key: bump it when a lesson function's results change
T = TypeVar("T")


def cached_lesson(function: Callable[..., T], config: RunConfig, **options: object) -> T:
    """`function(config, **options)`, computed once per distinct call for all sessions."""
    config = config.validated()
    name = f"{function.__module__}.{function.__qualname__}"
    return _lesson(name, dataclasses.astuple(config), tuple(sorted(options.items())), LESSON_VERSION, function, config)


@st.cache_data(max_entries=128, show_spinner=False)
def _lesson(name: str, key: tuple, options: tuple, version: str, _function: Callable, _config: RunConfig) -> object:
    full_key = ("lesson", name, key, options, version)
    return warm.stored(full_key, lambda: shared(full_key, lambda _progress: _function(_config, **dict(options))))

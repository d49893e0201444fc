"""Cached training and readable errors: the only place where pages reach the engine."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import streamlit as st

from core.config import ConfigError, RunConfig
from core.training import ENGINE_VERSION, Result, resolve_device, train

CACHE_ENTRIES = 256  # a lecture hall explores a few dozen settings; frames for one sweep are well under 1 MB
CACHE_TTL = timedelta(hours=12)


def cached_train(configs: tuple[RunConfig, ...], engine: str = "fast") -> Result:
    """Train `configs` once per distinct request for all sessions; raises ConfigError for a bad request."""
    configs = tuple(config.validated() for config in configs)
    # Every field explicitly (a changed default must not hit an old entry), plus the engine version and the device,
    # so a code change or a GPU never serves a stale or CPU-computed result.
    key = tuple(dataclasses.astuple(config) for config in configs)
    devices = tuple(resolve_device(config.device) for config in configs)
    return _train(key, engine, ENGINE_VERSION, devices, configs)


@st.cache_data(max_entries=CACHE_ENTRIES, ttl=CACHE_TTL, show_spinner=False)
def _train(
    key: tuple, engine: str, engine_version: str, devices: tuple[str, ...], _configs: tuple[RunConfig, ...]
) -> Result:
    # The progress bar is created here, inside the cached function: on a cache hit nothing trains and no bar shows.
    bar = st.progress(0.0)
    shown = [0]

    def progress(fraction: float) -> None:
        percent = int(100 * min(max(fraction, 0.0), 1.0))
        if percent > shown[0]:  # one message per percent, not one per optimizer step
            shown[0] = percent
            bar.progress(percent)

    try:
        return train(_configs, engine=engine, progress=progress)
    finally:
        bar.empty()


def show_config_error(err: ConfigError, lang: str) -> None:
    """The error as one translated sentence (never a traceback)."""
    st.error(err.message(lang), icon=":material/error:")

"""Shared fixtures: a clean Streamlit cache around every test, and one live app server for browser tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `core` and `tools` import the same way under plain `pytest`


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    """Every AppTest starts and ends with empty caches, so no test is served another test's result."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` on a free port for the whole session, with an empty warm store and the log of the
    trainings it starts (benchmarks/loadhook); yields (URL, log) and stops it at the end."""
    from benchmarks.load import counted_app

    with counted_app(tmp_path_factory.mktemp("app_server")) as server:
        yield server


@pytest.fixture(scope="session")
def app_url(app_server: tuple[str, Path]) -> str:
    """The session's app server."""
    return app_server[0]

"""Browser fixtures: one Chromium per test process and one tab reused by every test (a `goto` starts a new session)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tools.appserver import CHROMIUM, CHROMIUM_ARGS

VIEWPORT = {"width": 1280, "height": 720}  # a lecture-hall projector


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, launched once per test process."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def page(browser: object) -> Iterator[object]:
    """One tab for the whole process: every test opens its own address, which gives it a fresh Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context.new_page()
    context.close()


@pytest.fixture
def fresh_page(browser: object) -> Iterator[Callable[[], object]]:
    """A tab in a new browser context (no cookies, no storage), as a student who opens a shared link."""
    contexts = []

    def open_tab() -> object:
        contexts.append(browser.new_context(viewport=VIEWPORT))
        return contexts[-1].new_page()

    yield open_tab
    for context in contexts:
        context.close()

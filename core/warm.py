"""The warm store: results computed before a lecture (`python -m core warm`), kept on disk for the server to find.

Streamlit's cache lives in the server's memory, so another process cannot fill it; this folder can. The server
reads it before training and never writes it: only the warm command does, so what lands here is exactly the
scenarios' results. Entries are keyed like the in-memory cache (every config field, engine and lesson versions,
device), so a code change or another device never reads an old entry. Uploaded data never comes here.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIR_VARIABLE = "TRAINING_LOOP_WARM_DIR"  # where the store lives (default: .warm/ beside app.py)
WRITE_VARIABLE = "TRAINING_LOOP_WARM_WRITE"  # set by `python -m core warm` while it runs the scenarios


def folder() -> Path:
    """The store's folder."""
    return Path(os.environ.get(DIR_VARIABLE) or ROOT / ".warm")


def writing() -> bool:
    """Whether this process fills the store (only the warm command does)."""
    return os.environ.get(WRITE_VARIABLE) == "1"


def _path(key: tuple) -> Path:
    return folder() / (hashlib.sha256(repr(key).encode()).hexdigest() + ".pickle")


def read(key: tuple) -> object | None:
    """The stored result for `key`, or None (also for an unreadable entry: it is simply computed again)."""
    path = _path(key)
    if not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            return pickle.load(file)  # written by this project's own warm command, on this machine
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def write(key: tuple, value: object) -> None:
    """Store `value` under `key` when this process is warming; otherwise do nothing."""
    if not writing():
        return
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # a reader never sees half a file


def stored(key: tuple, compute: object) -> object:
    """The stored result for `key`, or `compute()` (stored when warming)."""
    found = read(key)
    if found is not None:
        return found
    value = compute()  # type: ignore[operator]
    write(key, value)
    return value


def warm_list(only: tuple[str, ...] = ()) -> list[tuple[str, str, dict]]:
    """(page path, scenario id or "", URL params): every page as it opens, then every scenario; `only` picks ids."""
    from core.lecture import SCENARIOS, url_params
    from core.ui.page import existing_pages

    paths = {nav_key: path for path, nav_key, _ in existing_pages()}
    todo = [(path, "", {}) for path in paths.values()] if not only else []
    todo += [(paths[s.page], s.id, url_params(s)) for s in SCENARIOS if not only or s.id in only]
    return todo


def warm(todo: list[tuple[str, str, dict]]) -> Iterator[tuple[str, str, float, list[str]]]:
    """Open each page with its params through Streamlit's AppTest, filling the store with what the page computes.

    The configs come from the pages themselves, so the store holds exactly what a visitor's first click asks for.
    Yields (path, scenario id, seconds, exception messages) per page opened."""
    from streamlit.testing.v1 import AppTest

    before = os.environ.get(WRITE_VARIABLE)
    os.environ[WRITE_VARIABLE] = "1"
    try:
        for path, scenario, params in todo:
            start = time.perf_counter()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.query_params.update({"lang": "en", **params})
            at.run()
            if path != "app.py":
                at.switch_page(path).run()
            yield path, scenario, time.perf_counter() - start, [error.value for error in at.exception]
    finally:
        if before is None:
            os.environ.pop(WRITE_VARIABLE, None)
        else:
            os.environ[WRITE_VARIABLE] = before


def scenario_ids() -> tuple[str, ...]:
    """Every scenario's id (for the command line's choices)."""
    from core.lecture import SCENARIOS

    return tuple(scenario.id for scenario in SCENARIOS)

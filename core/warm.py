"""The warm store: results computed before a lecture (`python -m core warm`), kept on disk for the server to find.

Streamlit's cache lives in the server's memory, so another process cannot fill it; this folder can. The server
reads it before training and never writes it: only the warm command does, so what lands here is exactly the
scenarios' results. Entries are keyed like the in-memory cache (every config field, engine and lesson versions,
device), so a code change or another device never reads an old entry. Uploaded data never comes here.

An entry is data only, never code: a first line naming the format, a JSON header (the entry's whole key, what it
holds, the sizes of its parts and the SHA-256 of the payload), then the payload: frames as Arrow IPC streams (their
dtypes included), a number as its exact decimal text, a whole number or nothing (None) as JSON, and a lesson's small
record (`RECORDS`: named fields of such values) as JSON naming its type. Whatever does not parse, is for another key
or fails its checksum counts as absent and is computed again; reading never raises.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa

from core.lessons.autopsy import AfterTraining
from core.pages import HOME, PAGES, page
from core.training import Result

ROOT = Path(__file__).resolve().parents[1]
DIR_VARIABLE = "TRAINING_LOOP_WARM_DIR"  # where the store lives (default: .warm/ beside app.py)
WRITE_VARIABLE = "TRAINING_LOOP_WARM_WRITE"  # set by `python -m core warm` while it runs the scenarios
FORMAT = b"training-loop-lab warm 2\n"  # format 1 was a pickle, under another suffix: never read again
SUFFIX = ".warm"
MAX_HEADER_BYTES = 1 << 20
MAX_PAYLOAD_BYTES = 256 << 20  # the in-memory cache's whole bound (core/ui/runs.py): no entry is larger
# The lessons' small records the store holds, by name: a name read from disk picks one of these, never any other type.
RECORDS: dict[str, type] = {"AfterTraining": AfterTraining}
_ABSENT = object()
_unwritten: list[OSError] = []  # what this process could not write (a full disk), reported by the warm command


def folder() -> Path:
    """The store's folder."""
    return Path(os.environ.get(DIR_VARIABLE) or ROOT / ".warm")


def writing() -> bool:
    """Whether this process fills the store (only the warm command does)."""
    return os.environ.get(WRITE_VARIABLE) == "1"


def _path(key: tuple) -> Path:
    return folder() / (hashlib.sha256(repr(key).encode()).hexdigest() + SUFFIX)


def encode(key: tuple, value: object) -> bytes:
    """An entry's bytes; TypeError for a value the store does not hold or could not give back exactly."""
    if isinstance(value, Result):
        kind, parts = "result", [_frame_bytes(frame) for frame in (value.epochs, value.steps, value.runs)]
    elif isinstance(value, pd.DataFrame):
        kind, parts = "frame", [_frame_bytes(value)]
    elif isinstance(value, float):
        kind, parts = "float", [repr(float(value)).encode()]
    elif _plain(value):
        kind, parts = "json", [json.dumps(value).encode()]
    elif type(value) in RECORDS.values() and all(_plain(v) for v in vars(value).values()):
        kind, parts = "record", [json.dumps({"type": type(value).__name__, "fields": vars(value)}).encode()]
    else:
        raise TypeError(f"the warm store holds results, frames, numbers and lesson records, not {type(value).__name__}")
    payload = b"".join(parts)
    header = {
        "key": repr(key),
        "kind": kind,
        "sizes": [len(part) for part in parts],
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return FORMAT + json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload


def _plain(value: object) -> bool:
    """A value JSON gives back exactly: None, a whole number, a float (Python writes its shortest exact text)."""
    return value is None or type(value) in (int, float)


def _record(text: bytes) -> object:
    data = json.loads(text)
    kind, fields = RECORDS[data["type"]], data["fields"]  # an unknown type name is a KeyError: not there
    if not all(_plain(value) for value in fields.values()):
        raise TypeError("not a record of plain values")
    return kind(**fields)


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    try:
        table = pa.Table.from_pandas(frame)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as stream:
            stream.write_table(table)
        data = sink.getvalue().to_pybytes()
        exact = frame.equals(_frame(data))  # mixed object columns, labels that are no strings: changed on the way
    except (pa.ArrowException, ValueError, TypeError) as err:
        raise TypeError(f"the warm store cannot hold this frame: {err}") from None
    if not exact:
        raise TypeError("the warm store cannot give this frame back exactly")
    return data


def _frame(data: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(data).read_all()
    table.validate(full=True)
    return table.to_pandas()


def decode(key: tuple, data: bytes) -> object | None:
    """The value in an entry's bytes, or None unless they are whole, of this format and for exactly this key."""
    value = _decoded(key, data)
    return None if value is _ABSENT else value


def _decoded(key: tuple, data: bytes) -> object:
    if not data.startswith(FORMAT):
        return _ABSENT
    header_line, _, payload = data[len(FORMAT) :].partition(b"\n")
    try:
        return _value(key, json.loads(header_line), payload)
    except Exception:  # bytes from disk: whatever fails to parse (Arrow, JSON, text) is simply not there
        return _ABSENT


def _value(key: tuple, header: object, payload: bytes) -> object:
    if not isinstance(header, dict) or header.get("key") != repr(key):
        return _ABSENT  # another entry's file, or not a header at all
    sizes = header.get("sizes")
    if not isinstance(sizes, list) or not all(type(size) is int and size >= 0 for size in sizes):
        return _ABSENT
    if sum(sizes) != len(payload) or header.get("sha256") != hashlib.sha256(payload).hexdigest():
        return _ABSENT  # truncated, extended or changed
    parts, start = [], 0
    for size in sizes:
        parts.append(payload[start : start + size])
        start += size
    kind = header.get("kind")
    if kind == "result" and len(parts) == 3:
        return Result(*(_frame(part) for part in parts))
    if kind == "frame" and len(parts) == 1:
        return _frame(parts[0])
    if kind == "float" and len(parts) == 1:
        return float(parts[0].decode("ascii"))
    if kind == "json" and len(parts) == 1 and _plain(value := json.loads(parts[0])):
        return value
    if kind == "record" and len(parts) == 1:
        return _record(parts[0])
    return _ABSENT


def read(key: tuple) -> object | None:
    """The stored result for `key`, or None (also for a damaged or foreign entry: it is simply computed again)."""
    value = _lookup(key)
    return None if value is _ABSENT else value


def _lookup(key: tuple) -> object:
    """The stored value for `key` (None among them), or _ABSENT."""
    path = _path(key)
    if not path.is_file():  # also keeps a pipe or a device under this name from being opened
        return _ABSENT
    try:
        with path.open("rb") as file:
            if file.readline(len(FORMAT)) != FORMAT:  # an old pickle, an empty or foreign file: nothing more is read
                return _ABSENT
            data = FORMAT + file.readline(MAX_HEADER_BYTES) + file.read(MAX_PAYLOAD_BYTES + 1)
    except OSError:
        return _ABSENT
    return _decoded(key, data)


def write(key: tuple, value: object) -> None:
    """Store `value` under `key` when this process is warming; otherwise do nothing.

    TypeError for a value the store does not hold. A write that fails (a full disk) leaves no file behind and is
    kept in `unwritten()` for the warm command to report, so the page that computed the value still shows it."""
    if not writing():
        return
    data = encode(key, value)
    path = _path(key)
    partial = path.with_suffix(".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as file:
            file.write(data)
        partial.replace(path)  # a reader never sees half a file
    except OSError as err:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        _unwritten.append(OSError(err.errno, err.strerror, str(path)))


def unwritten() -> OSError | None:
    """The first write this process could not make, if any."""
    return _unwritten[0] if _unwritten else None


def stored(key: tuple, compute: Callable[[], object]) -> object:
    """The stored result for `key`, or `compute()` (stored when warming)."""
    found = _lookup(key)
    if found is not _ABSENT:
        return found
    value = compute()
    write(key, value)
    return value


def warm_list(only: tuple[str, ...] = ()) -> list[tuple[str, str, dict]]:
    """(page path, scenario id or "", URL params): every page as it opens, then every scenario; `only` picks ids."""
    from core.lecture import SCENARIOS, url_params

    todo = [(shown.path, "", {}) for shown in PAGES] if not only else []
    todo += [(page(s.page).path, s.id, url_params(s)) for s in SCENARIOS if not only or s.id in only]
    return todo


class Warmed(NamedTuple):
    """One page opened by `warm`: its path, scenario id ("" for none), seconds, exception texts, failed write."""

    path: str
    scenario: str
    seconds: float
    errors: list[str]
    unwritten: OSError | None


def warm(todo: list[tuple[str, str, dict]]) -> Iterator[Warmed]:
    """Open each page with its params through Streamlit's AppTest, filling the store with what the page computes.

    The configs come from the pages themselves, so the store holds exactly what a visitor's first click asks for."""
    from streamlit.testing.v1 import AppTest

    before = os.environ.get(WRITE_VARIABLE)
    os.environ[WRITE_VARIABLE] = "1"
    _unwritten.clear()
    try:
        for path, scenario, params in todo:
            start = time.perf_counter()
            at = AppTest.from_file(str(ROOT / HOME.path), default_timeout=300)
            at.query_params["lang"] = "en"
            if path != HOME.path:
                at.run()  # AppTest starts at app.py; the page then opens with its own link, as a browser opens it
                at.switch_page(path)
            at.query_params.update(params)
            at.run()
            errors = [error.value for error in at.exception]
            yield Warmed(path, scenario, time.perf_counter() - start, errors, unwritten())
    finally:
        if before is None:
            os.environ.pop(WRITE_VARIABLE, None)
        else:
            os.environ[WRITE_VARIABLE] = before


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Logging silenced below CRITICAL: Streamlit's start-up warnings and a page's traceback stay off the terminal."""
    before = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(before)


def scenario_ids() -> tuple[str, ...]:
    """Every scenario's id (for the command line's choices)."""
    from core.lecture import SCENARIOS

    return tuple(scenario.id for scenario in SCENARIOS)

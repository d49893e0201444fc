"""The warm store: data only, one key per entry, a checksum; whatever is damaged is computed again, never served."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import pickle
import re
import typing
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import warm
from core.config import RunConfig
from core.lab import confusion
from core.lessons import batches, lr_finder
from core.lessons.autopsy import AfterTraining, after_training, final_sharpness, initial_sharpness
from core.sensitivity import parting_epoch
from core.training import Result, train
from core.ui.runs import compact
from tests.test_cli import assert_one_line_error, run_main

ROOT = Path(__file__).resolve().parents[1]
# Every function a page or its sections in core/ui hand to cached_lesson; a new one fails
# test_every_lesson_value_is_a_kind_the_store_holds.
LESSONS = (
    lr_finder.range_tests,
    initial_sharpness,
    final_sharpness,
    after_training,
    parting_epoch,
    batches.class_mix,
    batches.first_epoch,
    confusion,
)
KEY = ("lesson", "tests.value", (1, 2.5, "x", None, (3,)), (), "1")


def every_dtype() -> pd.DataFrame:
    """A frame with every column type the pages' frames have, NaN and missing values included."""
    return pd.DataFrame(
        {
            "run": np.array([0, 1, 2], dtype="int32"),
            "step": np.array([0, 2**40, -1], dtype="int64"),
            "lr": [0.1, 1e-300, 100.0],
            "loss": np.array([0.5, np.nan, np.inf], dtype="float32"),
            "diverged": [False, True, False],
            "reason": pd.array(["", "ended_above", "日本語"], dtype="str"),
            "stopped_step": pd.array([None, 4, None], dtype="Int64"),
        }
    )


@pytest.fixture(scope="module")
def trained() -> Result:
    """A real training result in the compact form the pages store: one stable run, one that diverges."""
    config = RunConfig(dataset="diabetes", model="linear", optimizer="sgd", epochs=3, batch_size="full")
    return compact(train([config, config.replace(lr=50.0)]))


@pytest.fixture
def store(monkeypatch, tmp_path) -> Path:
    """An empty store that this process fills, as the warm command does."""
    monkeypatch.setenv(warm.DIR_VARIABLE, str(tmp_path))
    monkeypatch.setenv(warm.WRITE_VARIABLE, "1")
    return tmp_path


def same(a: object, b: object) -> bool:
    """Exactly the same value: frames with the same labels, dtypes and values (NaN where NaN), floats bit for bit."""
    if isinstance(a, Result) and isinstance(b, Result):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(Result))
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        return a.equals(b) and list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    if isinstance(a, AfterTraining) and isinstance(b, AfterTraining):
        return same(a.sharpness, b.sharpness) and same(a.parting, b.parting)
    if type(a) is type(b) is float:
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) is type(b) and a == b  # whole numbers, None


def test_every_lesson_value_is_a_kind_the_store_holds():
    """The pages store what cached_train and cached_lesson compute: Result, and the lessons' frames and floats."""
    called = set()
    for page in [*(ROOT / "pages").glob("*.py"), *(ROOT / "core" / "ui").rglob("*.py")]:
        called |= {name.split(".")[-1] for name in re.findall(r"(?<!def )cached_lesson\(([\w.]+)", page.read_text())}
    assert called == {function.__name__ for function in LESSONS}
    for function in LESSONS:
        assert typing.get_type_hints(function)["return"] in (pd.DataFrame, float, int | None, AfterTraining)


@pytest.mark.parametrize(
    "kind",
    ["result", "frame", "empty frame", "float", "nan", "-0.0", "numpy float", "int", "none", "record", "record nan"],
)
def test_each_kind_comes_back_exactly(kind, trained, store):
    value = {
        "result": trained,
        "frame": every_dtype(),
        "empty frame": pd.DataFrame(columns=["step", "epoch", "label", "count"]),
        "float": 8.147023802762778,
        "nan": float("nan"),
        "-0.0": -0.0,
        "numpy float": np.float64(1 / 3),
        "int": 2**70,
        "none": None,
        "record": AfterTraining(sharpness=5.623456789012345, parting=7),
        "record nan": AfterTraining(sharpness=float("nan"), parting=None),
    }[kind]
    assert warm.stored(KEY, lambda: value) is value  # computed, then written
    back = warm.stored(KEY, lambda: pytest.fail("served from the store, not computed again"))
    assert same(back, float(value) if isinstance(value, float) else value)
    assert [path.suffix for path in store.iterdir()] == [".warm"]  # nothing half-written is left


@pytest.mark.parametrize(
    "value",
    [
        {"lr": 0.1},
        "text",
        True,
        Path("x"),
        (pd.DataFrame(),),
        pd.DataFrame({"mixed": [1, "a"]}),  # an object column Arrow cannot hold
        pd.DataFrame([[1.0, 2.0]], columns=["x", "x"]),
        pd.DataFrame({"sets": [{1}, {2}]}),
    ],
    ids=["dict", "str", "bool", "path", "tuple", "mixed column", "repeated label", "sets"],
)
def test_a_value_the_store_cannot_give_back_exactly_is_refused(value, store):
    with pytest.raises(TypeError):
        warm.write(KEY, value)
    assert not any(store.iterdir())


def test_nothing_is_written_outside_the_warm_command(store, monkeypatch):
    monkeypatch.delenv(warm.WRITE_VARIABLE)
    assert warm.stored(KEY, lambda: 1.5) == 1.5
    assert not any(store.iterdir())


def served(key: tuple, value: object) -> bool:
    """What the store gives for a possibly damaged entry: True when it was computed again, False when read back.

    Either way the page gets exactly `value`, and nothing raises."""
    computed = []
    found = warm.stored(key, lambda: computed.append(value) or value)
    assert same(found, value)
    return bool(computed)


# Where a byte is damaged: anywhere in the entry, and often in its first lines (format, key, sizes, checksum).
PLACES = st.integers(0, 700) | st.integers(0, 2**31)
DAMAGE = st.one_of(
    st.lists(st.tuples(PLACES, st.integers(1, 255)), min_size=1, max_size=3).map(lambda flips: ("flip", flips)),
    PLACES.map(lambda place: ("cut", place)),
)


@pytest.fixture(scope="module")
def entries(trained) -> list[tuple[tuple, object, bytes]]:
    """(key, value, the entry's bytes) of three real entries: a training result, a lesson's frame and number."""
    values = [(("train", 1), trained), (("lesson", 2), every_dtype()), (("lesson", 3), 0.125)]
    return [(key, value, warm.encode(key, value)) for key, value in values]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(damages=st.lists(st.tuples(st.integers(0, 2), DAMAGE), min_size=4, max_size=4))
def test_a_flipped_or_truncated_entry_is_computed_again(damages, entries, store, monkeypatch):
    """600 damaged entries in all (four per example, each on a fresh copy of a real entry)."""
    monkeypatch.delenv(warm.WRITE_VARIABLE, raising=False)  # the server, which reads what the warm command wrote
    for kind, (how, where) in damages:
        key, value, whole = entries[kind]
        data = bytearray(whole)
        if how == "flip":
            for place, mask in where:
                data[place % len(data)] ^= mask
        else:
            del data[where % len(data) :]
        warm._path(key).write_bytes(data)
        assert served(key, value) == (data != whole)  # (two flips of one byte may undo each other)


def test_a_damaged_entry_is_written_again_whole_by_the_warm_command(entries, store):
    key, value, whole = entries[0]
    warm._path(key).write_bytes(whole[:-1])
    assert served(key, value)
    assert warm._path(key).read_bytes() == whole


class Command:
    """Unpickled, it runs a shell command: what a replaced entry did to the server."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch '{self.marker}'",)


def crafted(key: tuple, kind: str, payload: bytes, **header: object) -> bytes:
    """A file in the store's format with a true checksum, as someone who knows the format could write it."""
    fields = {"key": repr(key), "kind": kind, "sizes": [len(payload)], "sha256": hashlib.sha256(payload).hexdigest()}
    return warm.FORMAT + json.dumps({**fields, **header}).encode() + b"\n" + payload


REPLACED = {
    "pickle that runs a command": lambda marker: pickle.dumps(Command(marker)),
    "format 1 pickle of a value": lambda _: pickle.dumps(0.5),
    "another key's entry": lambda _: warm.encode(("lesson", 99), 0.125),
    "empty": lambda _: b"",
    "format line only": lambda _: warm.FORMAT,
    "no header": lambda _: warm.FORMAT + b"\n" + b"1.0",
    "header is a list": lambda _: warm.FORMAT + b"[1, 2]\n",
    "deeply nested header": lambda _: warm.FORMAT + b"[" * 100_000 + b"\n",
    "header not UTF-8": lambda _: warm.FORMAT + b"\xff\xfe\n",
    "header of 2 MB": lambda _: warm.FORMAT + b"{" + b" " * (2 << 20) + b"}\n",
    "frame that is no Arrow": lambda _: crafted(("lesson", 3), "frame", b"not arrow"),
    "float that is no number": lambda _: crafted(("lesson", 3), "float", b"0.1\x00"),
    "float in another kind": lambda _: crafted(("lesson", 3), "result", b"0.1"),
    "unknown kind": lambda _: crafted(("lesson", 3), "pickle", pickle.dumps(0.5)),
    "negative size": lambda _: crafted(("lesson", 3), "float", b"0.1", sizes=[-1, 4]),
    "size that is true": lambda _: crafted(("lesson", 3), "float", b"0", sizes=[True]),
    "checksum in capitals": lambda _: crafted(("lesson", 3), "float", b"0.1", sha256="A" * 64),
}


@pytest.mark.parametrize("name", REPLACED)
def test_a_replaced_entry_is_computed_again_and_never_run(name, entries, store, tmp_path):
    key, value, _ = entries[2]
    marker = tmp_path / "ran"
    warm._path(key).write_bytes(REPLACED[name](marker))
    assert served(key, value)
    assert not marker.exists()  # the command in the pickle did not run


@pytest.mark.parametrize("thing", ["folder", "link to /dev/zero", "pipe"])
def test_what_is_no_file_is_computed_again(thing, entries, store):
    key, value, _ = entries[2]
    path = warm._path(key)
    if thing == "folder":
        path.mkdir()
    elif thing == "pipe":
        os.mkfifo(path)  # opening it would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(warm.WRITE_VARIABLE)  # the server: it reads and computes, and never writes
        assert served(key, value)


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=2000), formatted=st.booleans())
def test_random_bytes_are_computed_again(data, formatted, entries, store):
    key, value, _ = entries[2]
    warm._path(key).write_bytes(warm.FORMAT + data if formatted else data)
    assert served(key, value)


@pytest.fixture
def full_partial(store, monkeypatch) -> Iterator[Path]:
    """Every entry under one name whose half-written file is /dev/full: the disk fills on the first write."""
    monkeypatch.setattr(warm, "_path", lambda key: store / "entry.warm")
    monkeypatch.setattr(warm, "_unwritten", [])
    (store / "entry.partial").symlink_to("/dev/full")
    yield store / "entry.warm"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_leaves_nothing_and_is_reported(full_partial, store):
    assert warm.stored(KEY, lambda: 0.5) == 0.5  # the page that computed it still shows it
    assert not any(store.iterdir())  # neither the entry nor its half
    failure = warm.unwritten()
    assert failure.errno == errno.ENOSPC and failure.filename == str(full_partial)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_warm_on_a_full_disk_ends_in_one_line_and_exit_2(full_partial, store):
    code, out, err = run_main(["warm", "--scenario", "too_small"])
    assert_one_line_error(code, err)
    assert str(full_partial) in err and os.strerror(errno.ENOSPC) in err and out == ""
    assert not list(store.glob("*.partial"))  # (a later write of the page found room: its entry is whole)

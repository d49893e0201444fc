"""A user's own CSV: malformed files get a clear message in both languages; a good one trains like a bundled set."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import RunConfig
from core.data import load_split, raw, split
from core.i18n import LANGUAGES
from core.training import train
from core.upload import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, MIN_ROWS, UploadError, prepare, read_table, text_features


def table_bytes(columns: dict[str, list], sep: str = ",", encoding: str = "utf-8") -> bytes:
    """A CSV written by pandas (an independent writer) from plain columns."""
    return pd.DataFrame(columns).to_csv(index=False, sep=sep).encode(encoding)


def numbers(n: int = 40) -> dict[str, list]:
    """A small well-formed table: two numeric features and a 0/1 target."""
    return {"age": list(range(20, 20 + n)), "bmi": [20 + i % 7 for i in range(n)], "event": [i % 2 for i in range(n)]}


def breast_cancer_csv() -> bytes:
    """The bundled breast cancer set (features + target) as CSV bytes."""
    x, y, features = raw("breast_cancer")
    frame = pd.DataFrame(x, columns=list(features))
    frame["malignant"] = y
    return frame.to_csv(index=False).encode()


def with_cell(column: str, row: int, value: object) -> bytes:
    """The small table with one cell replaced."""
    columns = numbers()
    columns[column] = [str(v) for v in columns[column]]
    columns[column][row] = value
    return table_bytes(columns)


# (file bytes, target, task, the message key, a word the English message must contain)
MALFORMED = {
    "empty": (b"", None, None, "empty", "empty"),
    "blank lines": (b"  \r\n\n", None, None, "empty", "empty"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), None, None, "not_text", "not a text"),
    "xlsx renamed": (b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml", None, None, "not_text", "Excel"),
    "control characters": (b"a,b\n\x01\x02,3\n", None, None, "not_text", "not a text"),
    "latin-1": ("caf\u00e9,b\n1,2\n".encode("latin-1"), None, None, "undecodable", "UTF-8"),
    "too many bytes": (b"a,b\n" + b"1,2\n" * 600_000, None, None, "too_many_bytes", "2 MB"),
    "one column": (b"age\n1\n2\n3\n", None, None, "one_column", "one column"),
    "header only": (b"age,bmi,event\n", None, None, "header_only", "no data"),
    "duplicate columns": (b"age,age,event\n1,2,0\n", None, None, "duplicate_columns", "age"),
    "blank column name": (b"age,,event\n1,2,0\n", None, None, "blank_column_name", "Column 2"),
    "ragged": (b"age,bmi,event\n1,2,0\n3,4,5,6\n", None, None, "ragged", "Line 3"),
    "stray quote": (
        table_bytes(numbers()).replace(b"\n25,", b'\n"25,') + b"1,2,3\n" * 30_000,
        None,
        None,
        "csv_error",
        "line 7",
    ),
    "cell over 128 KB": (b"age,bmi,event\n1,2," + b"9" * 140_000 + b"\n", None, None, "csv_error", "line 2"),
    "too many rows": (table_bytes(numbers(MAX_ROWS + 1)), None, None, "too_many_rows", f"{MAX_ROWS}"),
    "too many columns": (
        table_bytes({f"c{i}": [1, 2] for i in range(MAX_COLUMNS + 1)}),
        None,
        None,
        "too_many_columns",
        f"{MAX_COLUMNS}",
    ),
    "missing values": (with_cell("bmi", 3, ""), "event", "binary", "missing", "bmi (1)"),
    "NA text": (with_cell("age", 5, "NA"), "event", "binary", "missing", "age (1)"),
    "inf": (with_cell("age", 5, "inf"), "event", "binary", "infinite", "age"),
    "constant target": (table_bytes({**numbers(), "event": [1] * 40}), "event", "binary", "constant_target", "one"),
    "40 classes": (table_bytes({**numbers(), "id": list(range(40))}), "id", "multiclass", "too_many_classes", "40"),
    "three values as binary": (
        table_bytes({**numbers(30), "grade": [i % 3 for i in range(30)]}),
        "grade",
        "binary",
        "not_binary",
        "3",
    ),
    "text target for regression": (
        table_bytes({**numbers(), "event": ["yes", "no"] * 20}),
        "event",
        "regression",
        "target_not_numeric",
        "not numeric",
    ),
    "too few rows": (table_bytes(numbers(MIN_ROWS - 1)), "event", "binary", "too_few_rows", f"{MIN_ROWS}"),
    "only text features": (
        table_bytes({"sex": ["f", "m"] * 20, "event": [0, 1] * 20}),
        "event",
        "binary",
        "no_features",
        "numeric",
    ),
    "unknown target": (table_bytes(numbers()), "outcome", "binary", "no_target", "outcome"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_file_gets_a_clear_message_in_both_languages(case: str) -> None:
    data, target, task, key, word = MALFORMED[case]
    with pytest.raises(UploadError) as caught:
        table = read_table(data, "table.csv")
        prepare(table, target, task)
    assert caught.value.key == key
    messages = {lang: caught.value.message(lang) for lang in LANGUAGES}
    assert word in messages["en"]
    assert messages["ja"] != messages["en"] and all(len(m) > 15 and "{" not in m for m in messages.values())


def test_breast_cancer_as_csv_splits_and_trains_exactly_like_the_bundled_set() -> None:
    table = read_table(breast_cancer_csv(), "breast_cancer.csv")
    assert table.suggest_task("malignant") == "binary"
    data = prepare(table, "malignant", "binary")
    for order in ("random", "sorted"):
        mine, bundled = split(data, 0.2, order=order), load_split("breast_cancer", 0.2, order=order)
        for name in ("x_train", "y_train", "x_val", "y_val"):
            assert torch.equal(getattr(mine, name), getattr(bundled, name)), (order, name)
    config = RunConfig(dataset="diabetes", epochs=3, lr=0.01, batch_size=64)  # `dataset` is ignored with data
    for engine in ("fast", "reference"):
        uploaded = train([config], engine, data=data).epochs.drop(columns="seconds")
        builtin = train([config.replace(dataset="breast_cancer")], engine).epochs.drop(columns="seconds")
        pd.testing.assert_frame_equal(uploaded, builtin, check_exact=True)


def test_a_regression_upload_scales_its_target_with_training_statistics() -> None:
    x, y, features = raw("diabetes")
    frame = pd.DataFrame(x, columns=list(features)).assign(progression=y)
    data = prepare(read_table(frame.to_csv(index=False).encode(), "d.csv"), "progression", "regression")
    mine, bundled = split(data), load_split("diabetes")
    assert torch.equal(mine.y_train, bundled.y_train) and mine.target_std == bundled.target_std


def test_shift_jis_with_japanese_column_names_is_read() -> None:
    columns = {"年齢": list(range(30, 70)), "収縮期血圧": [110 + i for i in range(40)], "転帰": ["死亡", "生存"] * 20}
    table = read_table(table_bytes(columns, encoding="shift_jis"), "臨床.csv")
    assert table.columns == ("年齢", "収縮期血圧", "転帰")
    assert table.suggest_task("転帰") == "binary"
    data = prepare(table, "転帰", "binary")
    assert data.class_names == ("死亡", "生存")  # text labels in sorted order become 0, 1
    assert data.y.tolist() == [0, 1] * 20
    losses = train([RunConfig(epochs=2, batch_size="full")], data=data).epochs.train_loss
    assert losses.notna().all() and len(losses) == 3


@pytest.mark.parametrize(
    ("encoding", "sep"), [("utf-8-sig", ","), ("utf-8", ";"), ("utf-8", "\t"), ("utf-16", "\t"), ("cp932", ";")]
)
def test_bom_semicolons_tabs_and_utf16_are_read(encoding: str, sep: str) -> None:
    table = read_table(table_bytes(numbers(), sep=sep, encoding=encoding), "t.csv")
    assert table.columns == ("age", "bmi", "event")
    assert table.numbers["age"].tolist() == list(range(20, 60))


def test_text_features_are_named_and_left_out_constant_features_stay_finite() -> None:
    columns = {**numbers(), "sex": ["f", "m"] * 20, "ward": [3] * 40}
    table = read_table(table_bytes(columns), "t.csv")
    assert text_features(table, "event") == ("sex",)
    data = prepare(table, "event", "binary")
    assert data.feature_names == ("age", "bmi", "ward")
    scaled = split(data)
    assert torch.isfinite(scaled.x_train).all() and (scaled.x_train[:, 2] == 0).all()


@pytest.mark.parametrize(
    ("values", "task"),
    [([0, 1] * 20, "binary"), ([1, 2, 3, 4] * 10, "multiclass"), (["a", "b", "c"] * 13 + ["a"], "multiclass")],
)
def test_the_suggested_task_follows_the_target(values: list, task: str) -> None:
    table = read_table(table_bytes({**numbers(), "y": values}), "t.csv")
    assert table.suggest_task("y") == task
    assert table.suggest_task("age") == "regression"


def test_multiclass_labels_become_indices_with_their_names() -> None:
    grades = [3, 1, 2, 10] * 10
    data = prepare(read_table(table_bytes({**numbers(), "grade": grades}), "t.csv"), "grade", "multiclass")
    assert data.class_names == ("1", "2", "3", "10")  # numbers sort as numbers
    assert data.y.tolist() == [2, 0, 1, 3] * 10
    assert split(data).n_classes == 4 and np.array_equal(np.bincount(data.y), [10] * 4)


def uploader_page(lang: str) -> None:
    """A tiny page around the upload section: it trains what is uploaded twice and says what came back."""
    import streamlit as st

    from core.config import RunConfig
    from core.ui.upload import HISTORY, train_uploaded, upload_section

    dataset = upload_section(lang, "test")
    if dataset is not None:
        config = RunConfig(epochs=2, batch_size="full", hidden=(4,))
        first, again = train_uploaded([config], dataset), train_uploaded([config], dataset)
        st.text(f"epochs={len(first.epochs)} same={first is again} loss={first.epochs.train_loss.iloc[-1]:.6f}")
        if st.button("many seeds"):
            for seed in range(HISTORY + 2):
                train_uploaded([config.replace(seed=seed)], dataset)
            st.text(f"kept={len(st.session_state['upload_results'])}")


def shared_cache_entries() -> int:
    """Entries in every st.cache_data cache of this process (what other sessions could be served)."""
    from streamlit.runtime.caching.cache_data_api import get_data_cache_stats_provider

    return sum(stat.byte_length > 0 for stats in get_data_cache_stats_provider().get_stats().values() for stat in stats)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_upload_section_trains_in_the_session_and_never_in_the_shared_cache(lang: str) -> None:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(uploader_page, args=(lang,), default_timeout=60).run()
    app.file_uploader[0].set_value(("bc.csv", breast_cancer_csv(), "text/csv")).run()
    assert not app.exception and not app.error
    assert app.selectbox[0].value == "malignant" and app.selectbox[1].value == "binary"
    assert app.text[0].value.startswith("epochs=3 same=True")
    assert shared_cache_entries() == 0
    app.selectbox[1].set_value("multiclass").run()  # two classes also train as multiclass
    assert not app.exception and app.text[0].value.startswith("epochs=3")
    app.button[0].click().run()
    assert app.text[1].value == "kept=8"  # the session keeps only the last results


@pytest.mark.parametrize("lang", LANGUAGES)
def test_names_from_the_file_show_as_text_in_messages(lang: str) -> None:
    from streamlit.testing.v1 import AppTest

    evil = "![x](http://example.com/x.png)"
    data = f"<b>bold</b>,{evil},{evil},age\n1,2,3,4\n".encode()
    app = AppTest.from_function(uploader_page, args=(lang,), default_timeout=30).run()
    app.file_uploader[0].set_value(("<i>t</i>.csv", data, "text/csv")).run()
    assert not app.exception
    assert app.error[0].value == UploadError("duplicate_columns", columns=(f"`{evil}`",)).message(lang)
    with_html = table_bytes({"<b>sex</b>": ["f", "m"] * 20, **numbers()})
    app.file_uploader[0].set_value(("<i>t</i>.csv", with_html, "text/csv")).run()
    assert "`<b>sex</b>`" in app.info[0].value and "`<i>t</i>.csv`" in app.caption[0].value


def test_quoted_cells_and_decimal_commas_are_read_as_text_columns() -> None:
    quoted = table_bytes({"name": ["Smith, J", "line 1\nline 2"] * 20, **numbers()})
    assert text_features(read_table(quoted, "t.csv"), "event") == ("name",)
    european = table_bytes({**numbers(), "bmi": [f"{20 + i % 5},{i % 10}" for i in range(40)]}, sep=";")
    table = read_table(european, "t.csv")
    assert table.columns == ("age", "bmi", "event") and text_features(table, "event") == ("bmi",)


def test_the_server_refuses_uploads_past_the_largest_limit_and_keeps_those_it_takes_in_memory(monkeypatch) -> None:
    import asyncio
    import tempfile

    import streamlit as st
    from starlette.requests import Request

    import core.ui.upload  # noqa: F401  (sets how much of an upload the web server may hold in memory)
    from core.lab import SWEEP_MAX_BYTES

    limit = st.get_option("server.maxUploadSize") * 1024 * 1024  # from .streamlit/config.toml
    assert max(MAX_BYTES, SWEEP_MAX_BYTES) <= limit < 2 * max(MAX_BYTES, SWEEP_MAX_BYTES)

    def to_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("the upload was spooled to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", to_disk)  # where a spooled upload rolls over to the disk
    data = b"x" * limit
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\n\r\n' + data + b"\r\n--b--\r\n"
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def parse() -> bytes:
        scope = {"type": "http", "method": "PUT", "headers": [(b"content-type", b"multipart/form-data; boundary=b")]}
        request = Request(scope, lambda: asyncio.sleep(0, messages.pop(0)))
        form = await request.form()  # how Streamlit's upload route reads an upload (Starlette's multipart parser)
        return await form["file"].read()

    # In a thread of its own: a browser test earlier in this process may have left an event loop running here.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, parse()).result() == data

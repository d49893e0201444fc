"""The user's own CSV in the app: upload, pick target and task, train; kept in this session only.

An upload never enters st.cache_data (shared by every visitor) and is never written to disk: Streamlit keeps the
uploaded bytes in memory, and results on it live in st.session_state, bounded to the last HISTORY.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import streamlit as st
from starlette.formparsers import MultiPartParser

from core.config import RunConfig
from core.data import Dataset
from core.i18n import join, t
from core.training import Result, train
from core.ui.runs import compact, show_config_error
from core.ui.widgets import code_span, language_key
from core.upload import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    MIN_ROWS,
    TASKS,
    UploadError,
    prepare,
    read_table,
    text_features,
)

HISTORY = 8
# Streamlit's web server (Starlette) spools an upload of over 1 MB to a temporary file while it parses the request.
# .streamlit/config.toml caps every upload at server.maxUploadSize (3 MB, the largest of the app's limits), so the
# parser may hold that much in memory: uploads never reach the disk. This module is imported before any uploader of
# the app is drawn.
MultiPartParser.spool_max_size = st.get_option("server.maxUploadSize") * 1024 * 1024
_RESULTS = "upload_results"  # session_state key: {request fingerprint: Result}, oldest first


def upload_section(lang: str, key_prefix: str) -> Dataset | None:
    """File uploader, target and task selects and every message; the Dataset, or None until the table is usable."""
    limits = {"megabytes": MAX_BYTES // 1_000_000, "rows": MAX_ROWS, "columns": MAX_COLUMNS, "min_rows": MIN_ROWS}
    uploaded = st.file_uploader(
        t("upload.file", lang),
        type=["csv", "tsv", "txt"],
        max_upload_size=MAX_BYTES // 1_000_000,
        help=t("upload.help", lang, **limits),
        key=f"{key_prefix}_file",
    )
    if uploaded is None:
        return None
    try:
        table = read_table(uploaded.getvalue(), uploaded.name)
    except UploadError as err:
        show_config_error(err, lang)
        return None
    st.caption(t("upload.read", lang, name=code_span(table.name), rows=table.rows, columns=len(table.columns)))
    target = st.selectbox(
        t("upload.target", lang), table.columns, index=len(table.columns) - 1, key=f"{key_prefix}_target"
    )
    # One task select per target column (and language), so its default follows the target's suggestion.
    task = st.selectbox(
        t("upload.task", lang),
        TASKS,
        index=TASKS.index(table.suggest_task(target)),
        format_func=lambda task: t(f"upload.tasks.{task}", lang),
        key=language_key(f"{key_prefix}_task_{table.columns.index(target)}", lang),
    )
    dropped = text_features(table, target)
    if dropped:
        st.info(t("upload.dropped", lang, columns=join([code_span(c) for c in dropped], lang)))
    try:
        dataset = prepare(table, target, task)
    except UploadError as err:
        show_config_error(err, lang)
        return None
    st.caption(t("upload.ready", lang, features=len(dataset.feature_names), rows=len(dataset.y)))
    if dataset.class_names:
        st.caption(t("upload.classes", lang, classes=join([code_span(c) for c in dataset.class_names], lang)))
    return dataset


def train_uploaded(configs: Sequence[RunConfig], dataset: Dataset) -> Result:
    """Train `configs` on an upload outside the shared cache; this session keeps its last HISTORY results."""
    configs = tuple(config.validated() for config in configs)
    results: dict[str, Result] = st.session_state.setdefault(_RESULTS, {})
    key = fingerprint(configs, dataset)
    if key not in results:
        bar = st.progress(0.0)
        try:
            results[key] = compact(
                train(configs, progress=lambda fraction: bar.progress(min(fraction, 1.0)), data=dataset)
            )
        finally:
            bar.empty()
        while len(results) > HISTORY:
            del results[next(iter(results))]  # the oldest
    return results[key]


def fingerprint(configs: Sequence[RunConfig], dataset: Dataset) -> str:
    """A digest of the table's values and the request: the same upload and settings give the same key."""
    digest = hashlib.sha256()
    for part in (dataset.x.tobytes(), dataset.y.tobytes(), repr((dataset.feature_names, dataset.task)).encode()):
        digest.update(part)
    digest.update(repr([dataclasses.astuple(c) for c in configs]).encode())
    return digest.hexdigest()

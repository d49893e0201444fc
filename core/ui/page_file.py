"""Download this page: the page as its visitor sees it, as one HTML file that opens with no internet.

Every run of a page is recorded as it is sent to the browser (the elements of the main area at their places, later
ones replacing earlier ones, as the browser shows them). A click on the sidebar's button turns the last record into
one file: the page's title, its texts, tables and metrics, its expanders and columns, and its charts as Vega-Lite
specs with their data inline, drawn by the vega, vega-lite and vega-embed scripts inlined from vl-convert. Nothing
in the file asks the network for anything: the moment everyone opens the same thing, nobody needs the server.
"""

from __future__ import annotations

import datetime
import functools
import html
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import streamlit as st
import vl_convert
from markdown_it import MarkdownIt
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from core.i18n import t

MAIN = 0  # the first part of a delta path: the page's main area (1 is the sidebar)
RECORD_KEY = "page_file.record"  # the session's last record, for tests
STYLE = """
body { font-family: "Source Sans Pro", "Hiragino Sans", "Noto Sans JP", system-ui, sans-serif; color: #31333f;
  max-width: 1200px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.55; }
.row { display: flex; gap: 1.5rem; align-items: flex-start; } .col { min-width: 0; }
.caption { color: #6b6f7b; font-size: 0.88rem; }
.alert { border-radius: 0.5rem; padding: 0.8rem 1rem; margin: 0.6rem 0; }
.info { background: #e8f0fb; } .success { background: #e6f4ea; } .warning { background: #fff6dd; }
.error { background: #fde8e8; }
.metric { display: inline-block; margin: 0.4rem 1.5rem 0.4rem 0; } .metric .value { font-size: 1.7rem; }
pre { background: #f4f5f7; padding: 0.6rem 0.8rem; border-radius: 0.4rem; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6rem 0; } td, th { border: 1px solid #d6d8de; padding: 0.2rem 0.5rem; }
details { border: 1px solid #d6d8de; border-radius: 0.5rem; padding: 0.4rem 0.8rem; margin: 0.6rem 0; }
summary { cursor: pointer; } .chart { width: 100%; margin: 0.6rem 0; }
.link { color: #6b6f7b; font-size: 0.88rem; word-break: break-all; }
"""
ALERTS = {1: "error", 2: "warning", 3: "info", 4: "success"}  # Alert.Format


@dataclass
class PageRecord:
    """What one run of a page showed: its title, link and the main area's elements and blocks by delta path."""

    page_id: str
    lang: str
    query: str = ""
    title: str = ""
    parts: dict[tuple[int, ...], Any] = field(default_factory=dict)  # Element or Block protos, as last sent

    def note(self, message: ForwardMsg) -> None:
        """Keep what `message` puts on the page (called for every message this run sends)."""
        kind = message.WhichOneof("type")
        if kind == "page_config_changed" and message.page_config_changed.title:
            self.title = message.page_config_changed.title
        if kind != "delta" or not message.metadata.delta_path or message.metadata.delta_path[0] != MAIN:
            return
        kind = message.delta.WhichOneof("type")
        if kind not in ("new_element", "add_block"):
            return
        path = tuple(message.metadata.delta_path)
        if path in self.parts:  # what is sent to a place replaces what was there, with all it held (st.empty())
            self.parts = {at: part for at, part in self.parts.items() if at[: len(path)] != path}
        self.parts[path] = getattr(message.delta, kind)


class _Recorder:
    """The session's message queue with the current record noting every message on its way."""

    def __init__(self, enqueue: Callable[[ForwardMsg], None]) -> None:
        self.enqueue = enqueue
        self.record: PageRecord | None = None

    def __call__(self, message: ForwardMsg) -> None:
        if self.record is not None:
            self.record.note(message)
        self.enqueue(message)


def record_page(page_id: str, lang: str) -> PageRecord:
    """Record this run of the page from here on (its fragments' reruns too); returns the record."""
    record = PageRecord(page_id, lang)
    ctx = get_script_run_ctx()
    if ctx is not None:
        if not isinstance(ctx._enqueue, _Recorder):  # one recorder per session's script runner, kept across runs
            ctx._enqueue = _Recorder(ctx._enqueue)
        ctx._enqueue.record = record
        record.query = ctx.query_string
    st.session_state[RECORD_KEY] = record
    return record


def download_button(record: PageRecord, lang: str) -> None:
    """The sidebar's "Download this page" button: the file is made when clicked, from the page as it is then."""
    st.download_button(
        t("lecture.download", lang),
        data=functools.partial(page_html, record),
        file_name=f"{record.page_id}.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/download:",
        help=t("lecture.download_help", lang),
        key="page_file.download",
    )


def page_html(record: PageRecord) -> str:
    """The recorded page as one self-contained HTML document."""
    charts: list[dict] = []
    parts = dict(record.parts)  # as it is now: a fragment of the page may be running again meanwhile
    body = "".join(_children(parts, (MAIN,), charts))
    draws = "".join(
        f"vegaEmbed('#chart-{number}', {_script_json(spec)}, {{actions: false}});\n"
        for number, spec in enumerate(charts)
    )
    link = t("lecture.download_link", record.lang, link=f"?{record.query}") if record.query else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{record.lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(record.title)}</title>\n<style>{STYLE}</style>\n"
        f"<script>{_vega_scripts()}</script>\n</head>\n<body>\n"
        f'<p class="link">{html.escape(link)}</p>\n{body}\n<script>\n{draws}</script>\n</body>\n</html>\n'
    )


@functools.cache
def _vega_scripts() -> str:
    """vega, vega-lite and vega-embed in one script (vl-convert bundles them; ~0.9 MB, made once per process)."""
    return vl_convert.javascript_bundle().replace("</script", "<\\/script")


def _script_json(value: object) -> str:
    # Inside <script>: no "</script>" and no "<!--" can come from a text in the data.
    return json.dumps(value, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")


def _children(parts: dict[tuple[int, ...], Any], path: tuple[int, ...], charts: list[dict]) -> Iterator[str]:
    places = sorted(at for at in parts if len(at) == len(path) + 1 and at[: len(path)] == path)
    for at in places:
        yield _part(parts, at, charts)


def _part(parts: dict[tuple[int, ...], Any], at: tuple[int, ...], charts: list[dict]) -> str:
    part = parts[at]
    inner = "".join(_children(parts, at, charts))
    if part.DESCRIPTOR.name == "Block":
        return _block(part, inner)
    return _element(part, charts)


def _block(block: Any, inner: str) -> str:
    kind = block.WhichOneof("type")
    if kind == "expandable":
        return f"<details><summary>{_inline(block.expandable.label)}</summary>{inner}</details>"
    if kind == "horizontal" or (kind == "flex_container" and block.flex_container.direction == 2):
        return f'<div class="row">{inner}</div>'
    if kind == "column":
        return f'<div class="col" style="flex: {block.column.weight or 1}">{inner}</div>'
    if kind == "tab":
        return f"<section><h4>{_inline(block.tab.label)}</h4>{inner}</section>"
    return f"<div>{inner}</div>"


def _element(element: Any, charts: list[dict]) -> str:
    kind = element.WhichOneof("type")
    if kind == "markdown":
        return _markdown_element(element.markdown)
    if kind == "heading":
        tag = element.heading.tag if element.heading.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else "h2"
        return f"<{tag}>{_inline(element.heading.body)}</{tag}>"
    if kind == "alert":
        return f'<div class="alert {ALERTS.get(element.alert.format, "info")}">{_markdown(element.alert.body)}</div>'
    if kind == "metric":
        metric = element.metric
        delta = f'<div class="caption">{html.escape(metric.delta)}</div>' if metric.delta else ""
        label = f'<div class="caption">{_inline(metric.label)}</div>'
        return f'<div class="metric">{label}<div class="value">{html.escape(metric.body)}</div>{delta}</div>'
    if kind == "code":
        return f"<pre><code>{html.escape(element.code.code_text)}</code></pre>"
    if kind in ("table", "dataframe"):
        return _table_html(getattr(element, kind))
    if kind == "vega_lite_chart":
        charts.append(_inline_spec(element.vega_lite_chart))
        return f'<div class="chart" id="chart-{len(charts) - 1}"></div>'
    return ""  # widgets, buttons, progress bars, empty places: nothing to read in a file


def _table_html(table: Any) -> str:
    """A table as shown: its formatted values where a pandas Styler set them, its columns' labels where it has any."""
    arrow = table.arrow_data
    frame = _frame(arrow.styler.display_values or arrow.data)
    shown = json.loads(getattr(table, "columns", "") or "{}")  # st.dataframe's column_config
    labels = {
        name: config["label"] for name, config in shown.items() if isinstance(config, dict) and config.get("label")
    }
    return frame.rename(columns=labels).to_html(index=False, escape=True, na_rep="", border=0)


def _markdown_element(markdown: Any) -> str:
    body = markdown.body
    if markdown.element_type == 4:  # LATEX: shown as its source (no renderer offline), without st.latex's $$
        return f'<pre class="latex">{html.escape(body.strip().removeprefix("$$").removesuffix("$$").strip())}</pre>'
    if markdown.element_type == 5:  # DIVIDER
        return "<hr>"
    text = _markdown(body, markdown.allow_html)
    return f'<div class="caption">{text}</div>' if markdown.element_type == 2 else text  # 2: CAPTION


def _markdown(text: str, allow_html: bool = False) -> str:
    # Raw HTML only where the page allowed it (its own markup), as the browser shows it; elsewhere it stays text.
    return _parser(allow_html).render(text)


def _inline(text: str) -> str:
    return _parser(False).renderInline(text)


@functools.cache
def _parser(allow_html: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": allow_html, "breaks": True}).enable(["table", "strikethrough"])


def _table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(io.BytesIO(data)).read_all()


def _frame(data: bytes) -> Any:
    return _table(data).to_pandas()


def _records(data: bytes) -> list[dict]:
    """A chart's data set as rows, every number exact; NaN and ±inf as null, which the charts filter anyway."""
    table = _table(data)
    index = [name for name in (table.schema.pandas_metadata or {}).get("index_columns", []) if isinstance(name, str)]
    return [{name: _json_value(value) for name, value in row.items()} for row in table.drop(index).to_pylist()]


def _json_value(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _inline_spec(chart: Any) -> dict:
    """The chart's spec with its data sets inline (Streamlit sends them apart, as Arrow), sized to its place."""
    spec = json.loads(chart.spec)
    if chart.datasets:
        spec["datasets"] = {dataset.name: _records(dataset.data.data) for dataset in chart.datasets}
    if chart.data.data:
        spec["data"] = {"values": _records(chart.data.data)}
    if not any(key in spec for key in ("vconcat", "hconcat", "concat", "facet", "repeat")):
        spec.setdefault("width", "container")
    if "hconcat" not in spec:
        spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
    return spec

"""Download this page: one HTML file with the page's texts and every chart with its data, safe and offline."""

from __future__ import annotations

import io
import json
import re

import pyarrow as pa
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from core.i18n import t
from core.ui.page_file import RECORD_KEY, PageRecord, page_html
from tests.test_app_pages import chart_frames, charts, open_app

# What a browser would fetch from the markup: a script, style, image or frame source, a stylesheet link, a CSS url() or
# @import; and from a chart: data by URL.
FETCHED = re.compile(r"""(?:src|href)\s*=|url\(|@import""", re.I)
SCRIPTS = re.compile(r"<script>.*?</script>", re.S)
EMBED = re.compile(r"vegaEmbed\('#chart-(\d+)', (.*), \{actions: false\}\);")


def delta(path: tuple[int, ...], fill: object) -> ForwardMsg:
    """The message that puts an element or a block at `path`; `fill(delta)` sets it."""
    message = ForwardMsg()
    message.metadata.delta_path[:] = path
    fill(message.delta)
    return message


def markdown(text: str, **fields: object) -> object:
    def fill(into: object) -> None:
        into.new_element.markdown.body = text
        for name, value in fields.items():
            setattr(into.new_element.markdown, name, value)

    return fill


def arrow(frame: object) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame)
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    return sink.getvalue().to_pybytes()


def fetches_nothing(document: str) -> bool:
    """Whether opening `document` asks the network for nothing: no source or link in its markup (the inline scripts
    aside) and no chart data by URL."""
    return not FETCHED.search(SCRIPTS.sub("", document)) and '"url"' not in json.dumps(embedded(document))


def embedded(document: str) -> list[dict]:
    """The specs the file draws, in order."""
    found = EMBED.findall(document)
    assert [int(number) for number, _ in found] == list(range(len(found)))
    return [json.loads(spec) for _, spec in found]


def test_texts_stay_text_and_nothing_in_the_data_leaves_its_script():
    import pandas as pd

    record = PageRecord("demo", "en", query="lr=0.1&x=%3Cb%3E")
    title = ForwardMsg()
    title.page_config_changed.title = "A <title>"
    record.note(title)
    hostile = "</script><script>alert(1)</script>"
    spec = {
        "mark": "bar",
        "data": {"name": "d"},
        "encoding": {"x": {"field": "a", "type": "nominal", "title": hostile}},
    }

    def chart(into: object) -> None:
        into.new_element.vega_lite_chart.spec = json.dumps(spec)
        dataset = into.new_element.vega_lite_chart.datasets.add()
        dataset.name, dataset.data.data = "d", arrow(pd.DataFrame({"a": [hostile, "<img src=//x>"]}))

    record.note(delta((0, 0), markdown("**Bold** <script>alert(2)</script> `code`")))
    record.note(delta((0, 1), lambda into: into.add_block.expandable.SetInParent()))
    record.note(delta((0, 1, 0), chart))

    def table(into: object) -> None:
        into.new_element.dataframe.arrow_data.data = arrow(pd.DataFrame({"a": ["<i>x</i>"]}))
        into.new_element.dataframe.columns = json.dumps({"a": {"label": "<b>Label</b>"}})

    record.note(delta((0, 3), table))
    record.note(delta((0, 2), markdown("gone")))
    record.note(delta((0, 2), lambda into: into.new_element.empty.SetInParent()))  # an st.empty() cleared
    record.note(delta((1, 0), markdown("the sidebar")))
    document = page_html(record)
    assert "<strong>Bold</strong> &lt;script&gt;alert(2)&lt;/script&gt; <code>code</code>" in document
    assert "<title>A &lt;title&gt;</title>" in document and "?lr=0.1&amp;x=%3Cb%3E" in document
    assert "<details>" in document and "gone" not in document and "the sidebar" not in document
    assert "<th>&lt;b&gt;Label&lt;/b&gt;</th>" in document and "<td>&lt;i&gt;x&lt;/i&gt;</td>" in document
    assert "alert(1)" in document and "</script><script>alert(1)" not in document  # the data cannot close a script
    assert fetches_nothing(document)
    (drawn,) = embedded(document)
    assert drawn["encoding"]["x"]["title"] == hostile
    assert drawn["datasets"] == {"d": [{"a": hostile}, {"a": "<img src=//x>"}]}


def test_the_file_holds_every_chart_of_the_page_with_its_data_and_its_texts():
    at = open_app("ja", "pages/1_loss_functions.py")
    document = page_html(at.session_state[RECORD_KEY])
    drawn = embedded(document)
    shown = charts(at)
    assert len(drawn) == len(shown) == 5
    for chart, spec in zip(shown, drawn, strict=True):
        sent = json.loads(chart.spec)
        assert {key: spec[key] for key in sent} == sent  # everything the browser got, nothing changed
        frames = chart_frames(chart)
        assert [len(rows) for rows in spec["datasets"].values()] == [len(frame) for frame in frames]
        assert spec["datasets"][chart.datasets[0].name][0] == dict(frames[0].iloc[0])  # every number exact
    assert t("loss_functions.title", "ja") in document and t("loss_functions.mse.header", "ja") in document
    assert t("lecture.download", "ja") not in document  # the sidebar stays out
    assert fetches_nothing(document)
    assert io.StringIO(document).read().startswith("<!DOCTYPE html>")

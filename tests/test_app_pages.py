"""AppTest of the home page and the learning-rate page, entered through app.py as a visitor would."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core.charts import format_lr, needs_log_scale
from core.i18n import _texts, t
from core.lessons import presets
from core.pages import PAGES

APP = Path(__file__).resolve().parents[1] / "app.py"
LR_PAGE = "pages/3_learning_rate.py"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")
# Proto fields that hold ids, paths, data or styling rather than words a visitor reads.
NOT_TEXT = {"id", "form_id", "spec", "datasets", "data", "page_script_hash", "page", "query_string", "icon", "key"}
FOCUS = 0.03  # the learning-rate page's focus rate by default
OWN_TOPICS = ("common", "sidebar", "nav", "home", "learning_rate", "charts")


def open_app(lang: str | None = None, page: str | None = None, locale: str | None = None, **query: object) -> AppTest:
    """Run app.py (and then `page`), with `?lang=` and the page's other URL parameters, as the browser would send them
    (AppTest starts at app.py: the page's own link follows its first run)."""
    at = AppTest.from_file(APP, default_timeout=90)
    if lang:
        at.query_params["lang"] = lang
    if locale:
        at.context["locale"] = locale
    if page:
        at.run()
        assert not at.exception, at.exception
        at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def _strings(message: object) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.name in NOT_TEXT:
            continue
        repeated = (
            not isinstance(value, (str, bytes)) and not hasattr(value, "ListFields") and hasattr(value, "__iter__")
        )
        values = value if repeated else [value]
        for item in values:
            if isinstance(item, str):
                yield item
            elif hasattr(item, "ListFields"):
                yield from _strings(item)


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def charts(at: AppTest) -> list[object]:
    """The Vega-Lite chart protos on the page."""
    return [node.proto for node in _nodes(at._tree) if getattr(node, "type", None) == "vega_lite_chart"]


def chart_frames(chart: object) -> list[pd.DataFrame]:
    """Every data set a chart carries, decoded from Arrow."""
    return [pa.ipc.open_stream(io.BytesIO(data.data.data)).read_pandas() for data in chart.datasets]


def visible_texts(at: AppTest) -> list[str]:
    """Words a visitor can read: element texts, widget labels and options, chart titles and text data."""
    texts: list[str] = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            texts += [text for text in _strings(proto) if text.strip()]
    for chart in charts(at):
        spec = json.loads(chart.spec)
        texts += [match for match in re.findall(r'"title": "([^"]*)"', json.dumps(spec, ensure_ascii=False))]
        for frame in chart_frames(chart):
            words = [column for column in frame.columns if not pd.api.types.is_numeric_dtype(frame[column])]
            texts += [str(value) for column in words for value in frame[column].dropna()]
    return texts


def untranslated_english(texts: list[str]) -> set[str]:
    """English UI texts (of this page's topics) that show up unchanged on a Japanese page."""
    english, japanese = _texts("en"), _texts("ja")
    shared = set(japanese.values())
    candidates = {
        text
        for key, text in english.items()
        if key.split(".")[0] in OWN_TOPICS and "{" not in text and len(text) > 3 and text not in shared
    }
    # Short words ("Loss") also occur inside code samples, so they count only as a whole label.
    return {text for text in candidates if any(text == shown or (len(text) > 15 and text in shown) for shown in texts)}


def link_notices(at: AppTest, lang: str) -> list[str]:
    """The texts of the notice that names values ignored from the link (at most one per page)."""
    start = t("link.ignored", lang, items="")
    return [warning.value for warning in at.warning if warning.value.startswith(start)]


def sweep_charts(at: AppTest) -> list[object]:
    """The learning-rate page's sweep chart (the one whose lines are labelled by rate), if drawn."""
    return [chart for chart in charts(at) if any("lr_label" in frame.columns for frame in chart_frames(chart))]


def lr_chart_data(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The loss-curve data and the divergence-mark data of the learning-rate sweep chart."""
    (chart,) = sweep_charts(at)
    frames = chart_frames(chart)
    lines = next(frame for frame in frames if "loss" in frame.columns)
    marks = next((frame for frame in frames if "status" in frame.columns), pd.DataFrame(columns=["lr_label"]))
    return lines, marks


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_home_renders_in_both_languages(lang: str) -> None:
    at = open_app(lang)
    assert at.title[0].value == t("home.title", lang)
    links = [node for node in _nodes(at._tree) if getattr(node, "type", None) == "page_link"]
    lessons = len(PAGES) - 1
    assert len(links) == len(PAGES) + lessons  # sidebar navigation + one card per lesson
    texts = visible_texts(at)
    if lang == "en":
        assert [text for text in texts if JAPANESE.search(text)] == []
    else:
        assert untranslated_english(texts) == set()


@pytest.mark.parametrize(("locale", "lang"), [("ja-JP", "ja"), ("ja", "ja"), ("de-DE", "en"), (None, "en")])
def test_language_follows_browser_locale_without_lang_param(locale: str | None, lang: str) -> None:
    at = open_app(locale=locale)
    assert at.title[0].value == t("home.title", lang)


def test_lang_param_beats_browser_locale() -> None:
    at = open_app("en", locale="ja-JP")
    assert at.title[0].value == t("home.title", "en")


def test_language_switch_in_sidebar_changes_language_and_url() -> None:
    at = open_app("en", LR_PAGE)
    at.button_group(key="ui_lang").set_value("ja").run()
    assert not at.exception
    assert at.title[0].value == t("learning_rate.title", "ja")
    assert at.query_params["lang"] == "ja"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_lr_page_default_state(lang: str) -> None:
    at = open_app(lang, LR_PAGE)
    assert at.title[0].value == t("learning_rate.title", lang)
    assert at.multiselect(key="learning_rate.rates").value == [0.001, 0.03, 0.4, 1.0]
    assert at.select_slider(key="learning_rate.focus").value == FOCUS
    lines, marks = lr_chart_data(at)
    # The four chosen rates; the focus rate is one of them, so the card "Four learning rates" draws four curves.
    assert sorted(lines["lr_label"].unique(), key=float) == ["0.001", "0.03", "0.4", "1"]
    assert lines["loss"].notna().all() and (lines["loss"] > 0).all()
    # SGD at 1.0 on the blood-pressure data blows up: its curve stops and a divergence mark appears.
    assert list(marks["lr_label"]) == ["1"]
    assert lines.groupby("lr_label")["epoch"].max().to_dict()["0.03"] == 30
    assert any(t("learning_rate.verdicts.diverging.title", lang, rates="")[:4] in error.value for error in at.error)
    texts = visible_texts(at)
    if lang == "en":
        assert [text for text in texts if JAPANESE.search(text)] == []
    else:
        assert untranslated_english(texts) == set()


def test_lr_page_reads_its_state_from_the_url() -> None:
    query = {"lr": ["0.0001", "10", "0.5"], "batch_size": "full", "epochs": "12", "optimizer": "adam"}
    at = open_app("ja", LR_PAGE, dataset="diabetes", **query)
    assert at.multiselect(key="learning_rate.rates").value == [0.0001, 10.0, 0.5]
    assert at.select_slider(key="learning_rate.batch_size").value == "full"
    assert at.slider(key="learning_rate.epochs").value == 12
    assert at.selectbox(key="learning_rate.optimizer.ja").value == "adam"
    assert at.selectbox(key="learning_rate.dataset.ja").value == "diabetes"
    assert link_notices(at, "ja") == []
    lines, _ = lr_chart_data(at)
    assert set(lines["lr_label"]) <= {"0.0001", "0.5", "10", f"{FOCUS:g}"}
    assert lines["epoch"].max() == 12


def test_lr_page_writes_translated_choices_to_the_url_as_ids() -> None:
    at = open_app("ja", LR_PAGE)
    at.selectbox(key="learning_rate.optimizer.ja").set_value("momentum").run()
    assert not at.exception
    assert at.query_params["optimizer"] == "momentum"
    at.selectbox(key="learning_rate.optimizer.ja").set_value("sgd").run()
    assert "optimizer" not in at.query_params  # the default stays out of the link


@pytest.mark.parametrize(
    "changes",
    [
        {"lr": [0.0001, 10.0], "batch_size": 1, "epochs": 1},
        {"lr": [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3], "batch_size": "full", "epochs": 100},
        {"lr": [10.0], "batch_size": 128, "epochs": 100},
        {"lr": [3.0], "dataset": "digits", "optimizer": "adam", "batch_size": 128},
    ],
    ids=["smallest", "eight-rates-full-batch", "only-a-diverging-rate", "digits-adam"],
)
def test_lr_page_extreme_settings_run_cleanly(changes: dict) -> None:
    at = open_app("en", LR_PAGE)
    at.multiselect(key="learning_rate.rates").set_value(changes["lr"])
    at.select_slider(key="learning_rate.batch_size").set_value(changes["batch_size"])
    if "epochs" in changes:
        at.slider(key="learning_rate.epochs").set_value(changes["epochs"])
    for key in ("dataset", "optimizer"):
        if key in changes:
            at.selectbox(key=f"learning_rate.{key}.en").set_value(changes[key])
    at.run()
    assert not at.exception, at.exception
    lines, marks = lr_chart_data(at)
    shown = set(lines["lr_label"]) | set(marks["lr_label"])
    assert shown == {f"{lr:g}" for lr in changes["lr"]} | {f"{FOCUS:g}"}


def test_lr_page_too_large_request_shows_a_translated_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # AppTest runs the page in this process, so a tiny compute budget makes the default request "too large".
    monkeypatch.setattr("core.training.MAX_SECONDS", 0.01)
    at = open_app("ja", LR_PAGE)
    assert sweep_charts(at) == []
    assert [error.value for error in at.error] == [t("errors.too_big", "ja", seconds=at_cost(), limit=0.01)]
    assert "Traceback" not in " ".join(visible_texts(at))


def at_cost() -> float:
    """The estimated seconds of the page's default request (four rates, the focus rate among them, SGD, blood
    pressure, batch 32, 30 epochs)."""
    from core.config import RunConfig
    from core.training import estimated_seconds

    base = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32, epochs=30)
    return estimated_seconds([base.replace(lr=lr) for lr in (0.001, 0.03, 0.4, 1.0)])


def test_lr_page_ignores_text_that_is_no_rate_and_survives_an_empty_selection() -> None:
    at = open_app("en", LR_PAGE, lr=["abc", "0.05"])
    assert not at.exception
    (notice,) = link_notices(at, "en")
    assert "`abc`" in notice
    lines, _ = lr_chart_data(at)
    assert set(lines["lr_label"]) == {"0.05", f"{FOCUS:g}"}
    at.multiselect(key="learning_rate.rates").set_value([]).run()
    assert not at.exception
    assert sweep_charts(at) == []
    assert at.info[0].value == t("common.widgets.lr.empty", "en")


def page_toggles(at: AppTest) -> list[object]:
    """The page's own toggles (the sidebar has the lecture switches)."""
    return [toggle for toggle in at.toggle if not toggle.key.startswith("lecture.")]


def test_restyling_the_chart_keeps_the_runs() -> None:
    at = open_app("en", LR_PAGE)
    at.button_group(key="learning_rate.curve.en").set_value("val_loss")
    (log,) = page_toggles(at)
    log.set_value(True)
    at.run()
    assert not at.exception
    (chart,) = sweep_charts(at)
    assert '"log"' in chart.spec
    lines, _ = lr_chart_data(at)
    shown = sorted({*presets.DEFAULT_RATES, presets.FOCUS_DEFAULT})
    assert sorted(lines["lr_label"].unique(), key=float) == [format_lr(rate) for rate in shown]


def test_an_untouched_log_toggle_follows_the_data_and_stays_out_of_the_link() -> None:
    at = open_app("en", LR_PAGE, lr="0.1")
    shown = []
    for dataset in ("blood_pressure", "digits"):  # a regression loss in one decade, cross-entropy over several
        at.selectbox(key="learning_rate.dataset.en").set_value(dataset).run()
        lines, _ = lr_chart_data(at)
        (log,) = page_toggles(at)
        assert log.value == needs_log_scale(lines["loss"])
        assert "log" not in at.query_params
        shown.append(log.value)
    assert shown == [False, True]  # the two settings differ, so the toggle really followed
    (log,) = page_toggles(at)
    log.set_value(False).run()
    assert at.query_params["log"] == "0"  # a choice against the data's default is kept in the link


def test_untouched_rates_stay_out_of_the_link_when_another_setting_changes() -> None:
    """The opening rates include one off the list of choices (0.4): it is an option, so the untouched box still holds
    the default and writes nothing (typed text would have written every rate into the link)."""
    at = open_app("en", LR_PAGE)
    at.selectbox(key="learning_rate.optimizer.en").set_value("adam").run()
    assert not at.exception
    assert dict(at.query_params) == {"lang": "en", "optimizer": "adam"}
    assert at.multiselect(key="learning_rate.rates").value == list(presets.DEFAULT_RATES)

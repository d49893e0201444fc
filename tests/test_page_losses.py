"""The loss-functions page in AppTest: it runs in both languages and at the sliders' ends, and its charts carry
the lesson's numbers."""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from core.i18n import keys, t
from core.lessons import losses as lesson

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/1_loss_functions.py"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
SLIDERS = ("pressure", "p_malignant", "race_lr", "race_w", "race_b")


def open_page(lang: str, **params: str) -> AppTest:
    """The page as a visitor reaches it: through the app's entry point, with `?lang=` and any shared URL state."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list[tuple[dict, list[pd.DataFrame]]]:
    """Each Altair chart of the page as (vega-lite spec, its data sets as frames), in page order."""
    found = []
    for element in at.main.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        frames = [convert_arrow_bytes_to_pandas_df(data.data.data) for data in element.proto.datasets]
        found.append((spec, frames))
    return found


def frame_with(frames: list[pd.DataFrame], *columns: str) -> pd.DataFrame:
    """The one data set of a chart that has all `columns`."""
    matches = [frame for frame in frames if set(columns) <= set(frame.columns)]
    assert len(matches) == 1, [list(frame.columns) for frame in frames]
    return matches[0]


def metric_values(at: AppTest) -> dict[str, str]:
    """Metric label -> shown value."""
    return {metric.label: metric.value for metric in at.metric}


def strings_in(node: object) -> Iterator[str]:
    """Every string inside nested dicts and lists."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings_in(key)
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def page_texts(at: AppTest) -> list[str]:
    """All text of the page body: elements, widget labels, tables, chart specs and chart data."""
    texts: list[str] = []
    for element in at.main.get("vega_lite_chart"):
        texts.extend(strings_in(json.loads(element.proto.spec)))
        for data in element.proto.datasets:
            frame = convert_arrow_bytes_to_pandas_df(data.data.data)
            texts.extend(map(str, frame.columns))
            texts.extend(str(v) for column in frame.select_dtypes(exclude="number") for v in frame[column])
    for table in at.main.table:
        frame = table.value
        texts.extend(map(str, [*frame.columns, *frame.index, *frame.to_numpy().ravel()]))
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "metric", "slider")
    for kind in kinds:
        for element in at.main.get(kind):
            texts.extend(strings_in(MessageToDict(element.proto)))
    return texts


def english_only_phrases() -> list[str]:
    """Literal pieces of the English texts of this page that the Japanese texts do not share."""
    japanese = {t(key, "ja") for key in keys("ja") if key.startswith("loss_functions.")}
    phrases = []
    for key in sorted(k for k in keys("en") if k.startswith("loss_functions.")):
        text = t(key, "en")
        if text in japanese:
            continue
        pieces = [literal for literal, *_ in string.Formatter().parse(text) if literal]
        longest = max(pieces, key=len, default="").strip()
        if len(longest) >= 8 and re.search("[A-Za-z]{4}", longest) and not any(longest in ja for ja in japanese):
            phrases.append(longest)
    return phrases


def test_locales_have_the_same_keys_and_placeholders() -> None:
    ours = sorted(k for k in keys("en") if k.startswith("loss_functions."))
    assert ours == sorted(k for k in keys("ja") if k.startswith("loss_functions."))
    for key in ours:
        if t(key, "en") == t(key, "ja"):
            continue  # a formula or a name shared by both languages
        fields = [{name for _, name, *_ in string.Formatter().parse(t(key, lang)) if name} for lang in ("en", "ja")]
        assert fields[0] == fields[1], key


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_default_state_shows_the_lessons_numbers(lang: str) -> None:
    at = open_page(lang)
    assert at.title[0].value == t("loss_functions.title", lang)
    shown = metric_values(at)
    mse_epochs, _ = lesson.epochs_until("mse")
    bce_epochs, _ = lesson.epochs_until("bce")
    assert shown[t("loss_functions.race.epochs_mse", lang)] == str(mse_epochs)
    assert shown[t("loss_functions.race.epochs_bce", lang)] == str(bce_epochs)
    assert shown[t("loss_functions.mse.squared", lang)] == f"{(140 - lesson.TRUE_PRESSURE) ** 2:,.0f}"
    assert shown[t("loss_functions.ce.penalty", lang)] == f"{-math.log(0.6):.2f}"
    assert len(at.success) == 1  # "cross-entropy gets there ... times faster"

    penalty, cross_entropy, gradient, mse_curve, bce_curve = charts(at)
    curve = frame_with(penalty[1], "error", "penalty", "loss")
    squared = curve[curve["loss"] == "mse"]
    assert np.allclose(squared["penalty"], squared["error"] ** 2)
    marks = frame_with(penalty[1], "label").set_index("prediction")["penalty"]
    assert marks[122.0] == pytest.approx((122 - 120) ** 2)
    assert marks[140.0] == pytest.approx((140 - 120) ** 2)
    assert penalty[0]["params"][0]["bind"] == "legend"

    points = frame_with(cross_entropy[1], "label")
    assert np.allclose(points["penalty"], [-math.log(p) for p in points["probability"]])
    assert set(lesson.ARTICLE_PROBABILITIES) <= set(points["probability"].round(6))
    line = max(cross_entropy[1], key=len)
    assert np.allclose(line["penalty"], -np.log(line["probability"]))
    assert line["penalty"].max() > -math.log(min(lesson.ARTICLE_PROBABILITIES))  # the wall near p = 0 is drawn

    *_, starts, lines = sorted(gradient[1], key=len)  # the start marks, then the two curves
    for loss in lesson.COMPARED_LOSSES:
        line = lines[lines["loss"] == loss]
        assert np.allclose(line["gradient"], [abs(lesson.gradient_on_weight(loss, p)) for p in line["probability"]])
    assert gradient[0]["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"  # gradients span decades
    start = lesson.sigmoid(lesson.START_W * lesson.INPUT_X + lesson.START_B)
    assert np.allclose(starts["probability"], start)
    assert np.allclose(starts["gradient"], [lesson.gradient_on_weight(loss, start) for loss in starts["loss"]])

    for (spec, frames), epochs in ((mse_curve, mse_epochs), (bce_curve, bce_epochs)):
        path = frame_with(frames, "epoch", "value", "metric")
        outputs = path[path["metric"] == "output"].sort_values("epoch")
        assert outputs["epoch"].max() == epochs
        assert outputs["value"].iloc[-1] < lesson.THRESHOLD <= outputs["value"].iloc[-2]
        assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [0, mse_epochs]  # one shared x range
        assert str(epochs) in json.dumps(spec["title"], ensure_ascii=False)

    for spec, _ in charts(at):
        for layer in spec["layer"]:
            assert "tooltip" in layer["encoding"], layer["mark"]


@pytest.mark.parametrize(
    "ends",
    [
        {"pressure": "min", "p_malignant": "min", "race_lr": "min", "race_w": "min", "race_b": "min"},
        {"pressure": "max", "p_malignant": "max", "race_lr": "max", "race_w": "max", "race_b": "max"},
        {"pressure": "max", "p_malignant": "min", "race_lr": "max", "race_w": "min", "race_b": "max"},
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_extreme_slider_values_run_cleanly(lang: str, ends: dict[str, str]) -> None:
    at = open_page(lang)
    values = {}
    for key, end in ends.items():
        slider = at.slider(key=f"loss_functions.{key}")
        values[key] = slider.min if end == "min" else slider.max
        slider.set_value(values[key])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = metric_values(at)
    for loss, label in (("mse", "loss_functions.race.epochs_mse"), ("bce", "loss_functions.race.epochs_bce")):
        epochs, _ = lesson.epochs_until(loss, lr=values["race_lr"], w=values["race_w"], b=values["race_b"])
        expected = t("loss_functions.race.not_reached", lang, max=lesson.MAX_EPOCHS) if epochs is None else str(epochs)
        assert shown[t(label, lang)] == expected
    assert shown[t("loss_functions.ce.penalty", lang)] == f"{-math.log(values['p_malignant']):.2f}"
    assert shown[t("loss_functions.mse.squared", lang)] == f"{(values['pressure'] - lesson.TRUE_PRESSURE) ** 2:,.0f}"
    for spec, frames in charts(at):
        for frame in frames:
            numbers = frame.select_dtypes("number").to_numpy(dtype=float)
            assert np.isfinite(numbers).all(), spec.get("title")


def test_saturated_start_warns_that_mse_is_stuck() -> None:
    at = open_page("en", race_w="6.0", race_b="6.0")
    assert lesson.epochs_until("mse", w=6.0, b=6.0)[0] is None
    assert [w.value for w in at.warning] == [t("loss_functions.race.stuck", "en", max=lesson.MAX_EPOCHS)]


def test_shared_link_restores_the_sliders() -> None:
    at = open_page("en", pressure="122", p_malignant="0.01", race_lr="0.5")
    assert [at.slider(key=f"loss_functions.{key}").value for key in ("pressure", "p_malignant", "race_lr")] == [
        122,
        0.01,
        0.5,
    ]
    shown = metric_values(at)
    assert shown[t("loss_functions.mse.squared", "en")] == f"{(122 - 120) ** 2:,.0f}"
    assert shown[t("loss_functions.race.epochs_bce", "en")] == str(lesson.epochs_until("bce", lr=0.5)[0])


def test_english_page_has_no_japanese() -> None:
    texts = page_texts(open_page("en"))
    assert texts
    assert [text for text in texts if JAPANESE.search(text)] == []


def test_japanese_page_has_no_english_sentences() -> None:
    at = open_page("ja")
    texts = page_texts(at)
    phrases = english_only_phrases()
    assert len(phrases) > 20  # the check has teeth
    assert [(phrase, text) for phrase in phrases for text in texts if phrase in text] == []
    prose = [e.value for kind in ("header", "subheader", "markdown", "caption", "info") for e in at.main.get(kind)]
    assert prose
    assert [text for text in prose if not JAPANESE.search(text)] == []
    assert all(JAPANESE.search(slider.label) for slider in at.main.slider)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_already_right_start_says_so_and_draws_no_empty_curves(lang: str) -> None:
    at = open_page(lang, race_w="-3.0", race_b="-3.0")
    start = 1 / (1 + math.exp(6))  # σ(−3·1 − 3), below the threshold: a benign case called benign
    assert start < lesson.THRESHOLD
    talking = t("lecture.talking_point", lang)
    assert [i.value for i in at.info if "%" in i.value and talking not in i.value] == [
        t("loss_functions.race.already_right", lang, start=start, threshold=lesson.THRESHOLD)
    ]
    assert len(charts(at)) == 3  # penalty, cross-entropy and gradient; no training curves of zero epochs
    text = " ".join(m.value for m in at.markdown)
    assert "203" not in text and "×" not in text
    assert not any(t(f"loss_functions.race.{key}", lang)[:12] in text for key in ("why_confident", "why_unsure"))


def test_an_unsure_start_is_not_called_a_confident_mistake() -> None:
    at = open_page("en", race_w="0.0", race_b="0.0")  # σ(0) = 0.5: wrong, but not confidently
    text = " ".join(m.value for m in at.markdown)
    # BCE over MSE at σ = 0.5: (σ − y) / (2(σ − y)·σ(1 − σ)) = 1 / (2 · 0.25) = 2.
    assert t("loss_functions.race.why_unsure", "en", slope=0.25, ratio=2.0) in text
    assert "confidently wrong and hardly hears" not in text
    assert len(charts(at)) == 5

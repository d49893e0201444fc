"""The learning-rate, schedule and batch pages through app.py: both languages, charts drawn, no stray language,
and the defaults show what the texts promise."""

from __future__ import annotations

import json

import pytest

from core.i18n import _texts, t
from core.ui.widgets import code_span
from tests.test_app_pages import JAPANESE, chart_frames, charts, open_app, visible_texts

PAGES = {
    "pages/3_learning_rate.py": ("learning_rate", 5),
    "pages/4_lr_schedules.py": ("lr_schedules", 2),
    "pages/5_batch_and_epochs.py": ("batch_and_epochs", 5),
}


def english_left_over(texts: list[str], topic: str) -> set[str]:
    """English texts of `topic` (longer than a word) that appear unchanged on a Japanese page."""
    japanese = set(_texts("ja").values())
    english = {
        text
        for key, text in _texts("en").items()
        if key.startswith(f"{topic}.") and "{" not in text and len(text) > 12 and text not in japanese
    }
    return {text for text in english if any(text in shown for shown in texts)}


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_with_its_charts_in_one_language(page: str, lang: str) -> None:
    topic, least_charts = PAGES[page]
    at = open_app(lang, page)
    assert at.title[0].value == t(f"{topic}.title", lang)
    assert len(charts(at)) >= least_charts
    assert not at.error or page == "pages/3_learning_rate.py"  # the LR page shows its diverging run as an error box
    texts = visible_texts(at)
    if lang == "en":
        assert [text for text in texts if JAPANESE.search(text)] == []
    else:
        assert english_left_over(texts, topic) == set()


def test_learning_rate_defaults_show_all_four_regimes() -> None:
    at = open_app("en", "pages/3_learning_rate.py")
    titles = {
        "too_small": [box.value for box in at.info],
        "good": [box.value for box in at.success],
        "too_large": [box.value for box in at.warning],
        "diverging": [box.value for box in at.error],
    }
    for verdict, boxes in titles.items():
        heading = t(f"learning_rate.verdicts.{verdict}.title", "en", rates="")
        assert any(box.startswith(f"**{heading}") for box in boxes), verdict


def test_a_preset_moves_the_focus_rate_into_the_sweep() -> None:
    at = open_app("en", "pages/3_learning_rate.py")
    before = at.select_slider(key="learning_rate.focus").value
    at.button(key="learning_rate.preset.too_large").click().run()
    after = at.select_slider(key="learning_rate.focus").value
    assert after != before and at.query_params["focus_lr"] == f"{after:g}"
    assert not at.exception


def test_schedule_page_previews_without_training_and_compares_with_the_constant_rate() -> None:
    at = open_app("ja", "pages/4_lr_schedules.py")
    compared = [text for text in (m.value for m in at.markdown) if text.startswith("**") and "一定の学習率" in text]
    assert len(compared) == 3  # step decay, cosine and warmup + cosine against the constant rate
    at.button_group(key="lr_schedules.schedules.ja").set_value(["plateau"]).run()
    assert not at.exception
    assert any(t("lr_schedules.plateau_preview", "ja") == caption.value for caption in at.caption)
    assert any(t("lr_schedules.no_constant", "ja") == box.value for box in at.info)


def test_batch_page_counts_updates_and_switches_the_axis() -> None:
    at = open_app("en", "pages/5_batch_and_epochs.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("batch_and_epochs.batch.counter", "en", batch="1")] == "455"  # 455 training tumours, one at a time
    assert metrics[t("batch_and_epochs.batch.counter", "en", batch="32")] == "15"  # ⌈455 / 32⌉
    at.button_group(key="batch_and_epochs.x.en").set_value("updates").run()
    assert not at.exception and at.query_params["x"] == "updates"


def link_notices(at: object, lang: str) -> list[str]:
    """The page's notices of link values it did not use."""
    start = t("link.ignored", lang, items="")[:10]
    return [box.value for box in at.warning if box.value.startswith(start)]


def progress_curves(at: object) -> tuple[dict, object]:
    """The batch page's loss chart (the one whose data has updates and seconds): its spec and its data."""
    for chart in charts(at):
        for frame in chart_frames(chart):
            if {"updates", "seconds", "loss"} <= set(frame.columns):
                return json.loads(chart.spec), frame
    raise AssertionError("no loss chart with seconds on the batch page")


def test_batch_page_draws_the_loss_against_wall_clock_seconds_from_the_link() -> None:
    lang = "en"
    at = open_app(lang, "pages/5_batch_and_epochs.py", x="seconds")
    assert at.button_group(key=f"batch_and_epochs.x.{lang}").value == "seconds"
    spec, curves = progress_curves(at)
    assert spec["layer"][0]["encoding"]["x"]["field"] == "seconds"
    assert spec["layer"][0]["encoding"]["x"]["title"] == t("batch_and_epochs.batch.axes.seconds", lang)
    for _, run in curves.groupby("name"):
        run = run.sort_values("epoch")
        assert run["seconds"].iloc[0] == 0  # the clock starts when training starts
        assert run["seconds"].is_monotonic_increasing and run["seconds"].iloc[-1] > 0
    assert t("batch_and_epochs.batch.seconds_note", lang) in [caption.value for caption in at.caption]
    assert link_notices(at, lang) == []


def test_batch_page_falls_back_to_epochs_for_an_unknown_axis_and_says_so() -> None:
    at = open_app("ja", "pages/5_batch_and_epochs.py", x="minutes")
    assert at.button_group(key="batch_and_epochs.x.ja").value == "epoch"
    spec, _ = progress_curves(at)
    assert spec["layer"][0]["encoding"]["x"]["field"] == "epoch"
    (notice,) = link_notices(at, "ja")
    assert code_span("x") in notice and code_span("minutes") in notice
    assert t("batch_and_epochs.batch.seconds_note", "ja") not in [caption.value for caption in at.caption]

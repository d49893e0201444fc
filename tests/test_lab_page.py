"""AppTest of the lab page, entered through app.py: both languages, the run history and its link, A/B, the tabs."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.codegen import script
from core.config import RunConfig
from core.i18n import t
from core.lab import KNOB_NAMES, read_run
from core.training import train
from core.ui.widgets import code_span
from tests.test_app_pages import JAPANESE, chart_frames, charts, open_app, visible_texts
from tests.test_navigation import markup, notice

PAGE = "pages/6_lab.py"
# Small settings, so each run of the page trains in a moment; the grid is two cells.
SMALL = {"epochs": "3", "grid_lr": ["0.01", "0.1"], "grid_batch_size": "32"}


def open_lab(lang: str, **query: object) -> AppTest:
    """The lab page in `lang`, with the small settings and `query` in the link."""
    return open_app(lang, PAGE, **{**SMALL, **query})


def runs_in_link(at: AppTest) -> list[str]:
    value = at.query_params.get("run", [])
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_page_runs_in_both_languages_and_every_view_draws(lang: str) -> None:
    # history; seed band; grid; accuracy curve and confusion matrix
    for view, drawn in (("runs", 1), ("seeds", 1), ("grid", 1), ("classes", 2)):
        at = open_lab(lang, run=["epochs:3", "epochs:3;lr:0.01"], view=view)
        assert not at.exception and not at.error, view
        assert len(charts(at)) == drawn, view
    assert at.title[0].value == t("lab.title", lang)
    texts = visible_texts(at)
    if lang == "en":
        assert not [text for text in texts if JAPANESE.search(text)]
    else:
        assert JAPANESE.search(at.button(key="lab.add").label)


def test_add_hide_delete_and_the_link_reproduces_the_history() -> None:
    at = open_lab("en")
    at.button(key="lab.add").click().run()
    at.select_slider(key="lab.lr").set_value(0.01).run()
    at.button(key="lab.add").click().run()
    assert runs_in_link(at) == ["epochs:3", "lr:0.01;epochs:3"]
    at.checkbox(key="lab.show.1").uncheck().run()
    assert runs_in_link(at) == ["~epochs:3", "lr:0.01;epochs:3"]
    history = charts(at)[0]
    assert set(chart_frames(history)[0]["label"]) == {"#2"}  # the hidden run is not drawn
    link = {key: value for key, value in at.query_params.items() if key != "lang"}

    fresh = open_app("en", PAGE, **link)  # a new visitor with the link: the same runs, the same one hidden
    runs = fresh.session_state["lab.history"]
    assert [(run["config"], run["shown"]) for run in runs] == [
        (RunConfig(epochs=3), False),
        (RunConfig(epochs=3, lr=0.01), True),
    ]
    fresh.button(key="lab.delete.1").click().run()
    assert runs_in_link(fresh) == ["lr:0.01;epochs:3"]
    fresh.button(key="lab.add").click().run()
    assert [run["number"] for run in fresh.session_state["lab.history"]] == [2, 3]  # colours are not reused


def test_bad_history_entries_are_skipped_and_named() -> None:
    at = open_lab("en", run=["epochs:3", "lr:-1", "nonsense"])
    assert [run["config"] for run in at.session_state["lab.history"]] == [read_run("epochs:3")]
    notice = at.warning[0].value
    assert "lr:-1" in notice and "nonsense" in notice and not at.exception


def test_ab_pair_changes_one_knob_and_the_caption_names_it() -> None:
    at = open_lab("ja")
    assert "バッチサイズ (batch_size)" in at.selectbox(key="lab.ab_knob.ja").options  # words first, then the link name
    at.selectbox(key="lab.ab_knob.ja").select("batch_size").run()
    at.text_input(key="lab.ab_value").input("8").run()
    at.button(key="lab.ab").click().run()
    assert runs_in_link(at) == ["epochs:3", "batch_size:8;epochs:3"]
    caption = t("lab.ab_caption", "ja", a="#1", b="#2", knob="バッチサイズ (batch_size)", before="32", after="8")
    assert caption in [c.value for c in at.caption]


def test_ab_with_a_bad_value_says_why_in_one_line() -> None:
    at = open_lab("en")
    at.selectbox(key="lab.ab_knob.en").select("lr").run()
    at.text_input(key="lab.ab_value").input("fast").run()
    at.button(key="lab.ab").click().run()
    assert not at.exception and len(at.error) == 1 and "lr" in at.error[0].value
    assert runs_in_link(at) == []


def test_grid_frames_the_cell_with_the_lowest_final_loss() -> None:
    at = open_lab("en", view="grid")
    grid = next(chart for chart in charts(at) if "lr_text" in chart.spec)
    framed = [frame for frame in chart_frames(grid) if len(frame) == 1 and "best" in frame]
    assert len(framed) == 1
    configs = [RunConfig(epochs=3, lr=lr) for lr in (0.01, 0.1)]
    losses = [train([config]).epochs["val_loss"].iloc[-1] for config in configs]  # each run alone
    assert framed[0]["lr"].iloc[0] == configs[losses.index(min(losses))].lr


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_code_view_shows_the_script_of_the_current_settings(lang: str) -> None:
    at = open_lab(lang, view="code", lr="0.01", optimizer="momentum")
    assert not at.exception and not at.error
    (code,) = at.code
    config = RunConfig.from_params({**SMALL, "lr": "0.01", "optimizer": "momentum"})
    assert code.value == script(config, lang).rstrip("\n")  # `python -m core code` prints it; tests execute it


@pytest.mark.parametrize("typed", ["64,32", "16"])
def test_typed_hidden_sizes_reach_the_link_and_the_link_reopens_the_lab(typed: str) -> None:
    at = open_lab("en")
    at.text_input(key="lab.hidden").input(typed).run()
    assert at.query_params["hidden"] == typed
    fresh = open_lab("en", hidden=at.query_params["hidden"])  # a reload, or the link shared
    assert fresh.text_input(key="lab.hidden").value == typed and notice(fresh) == ""
    assert fresh.query_params["hidden"] == typed


EVIL = "**B**[click me](https://evil.example/a)![I](https://evil.example/i.png)$x^2$"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_markup_in_every_field_of_a_run_shows_as_code_in_the_one_notice(lang: str) -> None:
    entries = [f"{name}:{EVIL}" for name in KNOB_NAMES]
    at = open_lab(lang, run=entries)
    text = notice(at)
    assert all(code_span(entry) in text for entry in entries)
    assert markup(text) == [] and at.session_state["lab.history"] == []


def test_markup_typed_as_an_ab_value_shows_as_text() -> None:
    at = open_lab("en")
    at.text_input(key="lab.ab_value").input(EVIL).run()
    at.button(key="lab.ab").click().run()
    (error,) = at.error
    assert code_span(EVIL) in error.value and markup(error.value) == []

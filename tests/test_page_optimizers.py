"""The optimizer page through app.py: every language, defaults and extremes, and the numbers behind its charts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from core.charts import format_lr
from core.i18n import join, t
from core.lessons.surfaces import MAX_STEPS, RAVINE_CASES, SURFACE_OPTIMIZERS, SURFACES, sgd_at_the_limit, trajectory
from core.lessons.theory import (
    gd_stability_bound,
    least_squares_max_eigenvalue,
    momentum_stability_bound,
    nesterov_stability_bound,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/2_optimizers.py"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
DEFAULT_OPTIMIZERS = ["sgd", "momentum", "adam"]


def open_page(lang: str, **params: str | list[str]) -> AppTest:
    """The page as a visitor reaches it: app.py first, then the page, with `params` in the URL."""
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.query_params.update(params)  # the page's own link
    at.switch_page(PAGE)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def chart_frames(at: AppTest) -> list[list[pd.DataFrame]]:
    """Per chart on the page, the data sets it carries (read from the element's proto)."""
    return [
        [convert_arrow_bytes_to_pandas_df(d.data.data) for d in c.proto.datasets] for c in at.get("vega_lite_chart")
    ]


def paths_on_map(at: AppTest) -> pd.DataFrame:
    """The optimizer paths drawn on the landscape (the first chart's data set with the most path rows)."""
    frames = [f for f in chart_frames(at)[0] if {"optimizer", "step", "x", "y"} <= set(f.columns)]
    return max(frames, key=len)


def all_text(at: AppTest) -> list[str]:
    """Every visible string the page produced: texts, labels, help, options, chart titles and tooltips."""
    texts = [e.value for kind in ("markdown", "caption", "title", "header", "subheader") for e in getattr(at, kind)]
    texts += [e.value for kind in ("info", "success", "warning", "error") for e in getattr(at, kind)]
    texts += [m.label for m in at.metric]
    for kind in ("button", "number_input", "slider", "select_slider", "selectbox", "button_group"):
        for widget in at.get(kind):
            texts.append(widget.label)
            texts.append(getattr(widget.proto, "help", ""))
    for kind in ("selectbox", "select_slider"):
        texts += [str(option) for widget in at.get(kind) for option in widget.options]
    for widget in at.get("button_group"):
        texts += [o.content for o in widget.proto.options]
    for chart in at.get("vega_lite_chart"):
        texts.append(json.dumps(json.loads(chart.proto.spec), ensure_ascii=False))
        for frame in chart_frames_of(chart):
            texts += [str(v) for column in frame if frame[column].dtype.kind in "OUT" for v in frame[column].unique()]
    texts += [str(c) for frame in at.dataframe for c in frame.value.columns]
    texts += [str(v) for frame in at.dataframe for v in frame.value.iloc[:, 0]]
    return [text for text in texts if text]


def chart_frames_of(chart) -> list[pd.DataFrame]:
    return [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]


def english_texts() -> list[str]:
    """The page's own English sentences (long enough to be unmistakably English)."""
    path = ROOT / "core" / "locales" / "en" / "optimizers.json"

    def walk(node: dict) -> list[str]:
        return [s for v in node.values() for s in (walk(v) if isinstance(v, dict) else [v])]

    pieces = [max(re.split(r"\{[^}]*\}", text), key=len) for text in walk(json.loads(path.read_text(encoding="utf-8")))]
    return [piece for piece in pieces if len(piece) > 25]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_default_page_draws_the_paths_the_library_computes(lang: str) -> None:
    at = open_page(lang)
    no_exception(at)
    assert at.title[0].value == t("optimizers.title", lang)
    # landscape, loss per step, swing across the ravine, training and validation loss
    assert len(at.get("vega_lite_chart")) == 5
    shown = paths_on_map(at)
    assert sorted(shown["optimizer"].unique()) == sorted(DEFAULT_OPTIMIZERS)
    surface = SURFACES["ravine"]
    for name in DEFAULT_OPTIMIZERS:
        expected = trajectory("ravine", name, surface.lr, surface.start, 100, momentum=0.9)
        drawn = shown[shown["optimizer"] == name].sort_values("step").reset_index(drop=True)
        assert len(drawn) == 101
        assert np.allclose(drawn[["x", "y", "loss"]], expected[["x", "y", "loss"]])
    # The loss-per-step and swing charts carry the same walks (beside their dashed level); the real-data charts one
    # curve per optimizer.
    for frames in chart_frames(at)[1:3]:
        [steps_frame] = [frame for frame in frames if "optimizer" in frame]
        assert len(steps_frame) == len(shown)
    for frames in chart_frames(at)[3:]:
        [epochs] = frames
        assert sorted(epochs["optimizer"].unique()) == sorted(DEFAULT_OPTIMIZERS)
        assert np.isfinite(epochs["loss"]).all()
        assert epochs.groupby("optimizer")["epoch"].nunique().eq(epochs["epoch"].nunique()).all()
    assert len(at.dataframe[0].value) == len(DEFAULT_OPTIMIZERS)
    # The sentence under the charts names the optimizer the training-loss chart ends lowest (Adam, at 0.01).
    [train] = chart_frames(at)[3]
    final = train[train["epoch"] == train["epoch"].max()].set_index("optimizer")["loss"]
    assert final.idxmin() == "adam"
    name, loss = t("common.optimizers.adam", lang), f"{final.min():.3g}"
    assert t("optimizers.real.lowest", lang, name=name, loss=loss) in [m.value for m in at.markdown]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_curvature_facts_come_from_the_theory(lang: str) -> None:
    at = open_page(lang)
    lam = least_squares_max_eigenvalue(RAVINE_CASES, bias=False)
    values = [m.value for m in at.metric]
    assert values == [
        f"{lam:.4g}",
        f"{gd_stability_bound(lam):.4g}",
        f"{momentum_stability_bound(lam, 0.9):.4g}",
        f"{nesterov_stability_bound(lam, 0.9):.4g}",
    ]
    bound = gd_stability_bound(lam)
    explain = next(m.value for m in at.markdown if f"**{0.99 * bound:.3g}**" in m.value)
    assert f"**{1.05 * bound:.2g}**" in explain
    assert (f"{0.99 * bound:.3g}", f"{1.05 * bound:.2g}") == ("0.0198", "0.021")


def test_english_page_has_no_japanese() -> None:
    at = open_page("en")
    offending = [text for text in all_text(at) if JAPANESE.search(text)]
    assert not offending, offending[:5]


def test_japanese_page_has_no_english_sentences() -> None:
    at = open_page("ja")
    texts = all_text(at)
    offending = [sentence for sentence in english_texts() for text in texts if sentence in text]
    assert not offending, offending[:5]
    assert JAPANESE.search(at.title[0].value)
    assert all(JAPANESE.search(m.label) or m.label.startswith("λ") for m in at.metric)


def test_reset_next_and_play_move_the_shown_step() -> None:
    at = open_page("en")
    at.button(key="optimizers.walk_reset").click().run()
    no_exception(at)
    assert set(paths_on_map(at)["step"]) == {0}
    at.button(key="optimizers.walk_next_step").click().run()
    at.button(key="optimizers.walk_next_step").click().run()
    assert set(paths_on_map(at)["step"]) == {0, 1, 2}
    assert any(m.value == f"**{t('optimizers.controls.progress', 'en', shown=2, steps=100)}**" for m in at.markdown)
    at.button(key="optimizers.walk_play").click().run()
    no_exception(at)
    assert at.session_state["optimizers.walk_playing"]
    assert at.button(key="optimizers.walk_play").label == t("optimizers.controls.pause", "en")
    assert paths_on_map(at)["step"].max() > 2  # the first frame has already advanced
    at.button(key="optimizers.walk_play").click().run()
    assert not at.session_state["optimizers.walk_playing"]


def test_above_the_bound_sgd_diverges_and_is_reported() -> None:
    at = open_page("en", opts="sgd")
    at.number_input(key="optimizers.lr").set_value(0.021).run()
    no_exception(at)
    shown = paths_on_map(at)
    assert shown["diverged"].iloc[-1]
    assert any(t("optimizers.diverged", "en", names="SGD", step=int(shown["step"].max())) == e.value for e in at.error)
    assert at.warning[0].value == t("optimizers.facts.your_lr_unstable", "en", lr="0.021", bound="0.02")
    at.number_input(key="optimizers.lr").set_value(0.0198).run()
    assert not paths_on_map(at)["diverged"].any()
    assert not at.error


def test_scaling_the_loss_leaves_adam_on_the_page_unchanged() -> None:
    at = open_page("en", opts=["sgd", "adam"])
    before = paths_on_map(at)
    at.button_group(key="optimizers.scale").set_value(1000).run()
    no_exception(at)
    after = paths_on_map(at)
    adam_before, adam_after = (frame[frame["optimizer"] == "adam"][["x", "y"]] for frame in (before, after))
    assert np.allclose(adam_before, adam_after, rtol=1e-5, atol=1e-7)
    assert after[after["optimizer"] == "sgd"]["diverged"].any()
    assert any("1000" in i.value for i in at.info)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_at_the_extremes(surface: str) -> None:
    at = open_page("en", surface=surface, opts=list(SURFACE_OPTIMIZERS))
    no_exception(at)
    view = SURFACES[surface].view
    for lr, steps, corner in ((10.0, 1000, (view[1], view[3])), (1e-4, 10, (view[0], view[2]))):
        at.number_input(key="optimizers.lr").set_value(lr)
        at.slider(key="optimizers.steps").set_value(steps)
        at.slider(key="optimizers.x0").set_value(corner[0])
        at.slider(key="optimizers.y0").set_value(corner[1]).run()
        no_exception(at)
        shown = paths_on_map(at)
        assert sorted(shown["optimizer"].unique()) == sorted(SURFACE_OPTIMIZERS)
        assert np.isfinite(shown[["x", "y", "loss"]].to_numpy()).all()
        assert shown["step"].max() <= steps
        heat = max(chart_frames(at)[0], key=len)
        assert np.isfinite(heat["loss"]).all()
    if SURFACES[surface].noise:
        first = paths_on_map(at)
        at.number_input(key="optimizers.seed").set_value(5).run()
        assert not np.allclose(first[["x", "y"]], paths_on_map(at)[["x", "y"]])


def test_a_new_surface_brings_its_own_start_and_learning_rate() -> None:
    at = open_page("en")
    at.selectbox(key="optimizers.surface.en").set_value("rosenbrock").run()
    no_exception(at)
    rosenbrock = SURFACES["rosenbrock"]
    assert at.number_input(key="optimizers.lr").value == rosenbrock.lr
    assert (at.slider(key="optimizers.x0").value, at.slider(key="optimizers.y0").value) == rosenbrock.start
    assert at.query_params["surface"] == "rosenbrock"


def test_no_optimizer_chosen_shows_a_hint_instead_of_charts() -> None:
    at = open_page("ja")
    at.button_group(key="optimizers.opts.ja").set_value([]).run()
    no_exception(at)
    assert at.info[0].value == t("optimizers.controls.no_optimizer", "ja")
    assert not at.get("vega_lite_chart")
    assert at.query_params["opts"] == ""


def test_real_data_extremes_train_every_optimizer_with_matched_seeds() -> None:
    at = open_page("en", opts=list(SURFACE_OPTIMIZERS))
    at.select_slider(key="optimizers.data_lr").set_value(1.0)
    at.slider(key="optimizers.data_epochs").set_value(100).run()
    no_exception(at)
    for frames in chart_frames(at)[3:]:
        [epochs] = frames
        assert np.isfinite(epochs["loss"]).all() and (epochs["loss"] > 0).all()
    table = at.dataframe[0].value
    assert len(table) == len(SURFACE_OPTIMIZERS)
    # Matched seeds: before the first update every optimizer sees the same network, so the same epoch-0 loss.
    [train] = chart_frames(at)[3]
    before_training = train[train["epoch"] == 0]
    assert len(before_training) == len(SURFACE_OPTIMIZERS)
    assert np.allclose(before_training["loss"], before_training["loss"].iloc[0])


def test_optimizer_legends_sit_below_the_charts_in_rows() -> None:
    # Bug 3: a one-line legend above a half-width chart cut off RMSprop, Adam and AdamW at 1280 px (checked in
    # Chromium at 1280×720 and 1440×900); below the chart in two columns, six names take three rows.
    at = open_page("en", opts=list(SURFACE_OPTIMIZERS))
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        layers = [spec, *spec.get("layer", [])] + [
            inner for layer in spec.get("layer", []) for inner in layer.get("layer", [])
        ]
        legends = [
            layer["encoding"]["color"]["legend"]
            for layer in layers
            if layer.get("encoding", {}).get("color", {}).get("field") == "name"
        ]
        assert legends and all(legend["orient"] == "bottom" and legend["columns"] == 2 for legend in legends)


@pytest.mark.parametrize(
    ("opts", "drawn"),
    [("junk", DEFAULT_OPTIMIZERS), (["adam", "junk"], ["adam"]), (["junk", "rmsprop", "junk2"], ["rmsprop"])],
)
def test_a_bad_opts_value_falls_back_and_is_named(opts: str | list[str], drawn: list[str]) -> None:
    # Bug 6: an unknown optimizer id in the link, also as the last of repeated keys, emptied the page.
    at = open_page("en", opts=opts)
    no_exception(at)
    assert sorted(paths_on_map(at)["optimizer"].unique()) == sorted(drawn)
    [notice] = [w.value for w in at.warning if w.value.startswith(t("link.ignored", "en", items=""))]
    for junk in [value for value in ([opts] if isinstance(opts, str) else opts) if value.startswith("junk")]:
        assert f"`opts` = `{junk}`" in notice


@pytest.mark.parametrize("surface", list(SURFACES))
def test_each_landscape_states_only_what_sgd_does_on_it(surface: str) -> None:
    at = open_page("en", surface=surface)
    text = "\n".join(m.value for m in at.markdown)
    # The outcomes themselves are checked against plain torch loops in test_surfaces.py.
    for edge in sgd_at_the_limit(surface):
        gap = f"{edge.gap:.2g}"
        said = t(f"optimizers.facts.edge.{edge.outcome}", "en", lr=format_lr(edge.lr), step=edge.step, gap=gap)
        assert f"- {said}" in text.splitlines()
    assert t(f"optimizers.facts.edge_note.{surface}", "en", steps=MAX_STEPS) in text


def test_names_are_listed_in_each_languages_own_way() -> None:
    assert join(["SGD", "Adam", "AdamW"], "ja") == "SGD、Adam、AdamW"
    assert join(["SGD", "Adam", "AdamW"], "en") == "SGD, Adam, AdamW"

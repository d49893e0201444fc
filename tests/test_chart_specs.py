"""Charts as cached specs: the spec st.altair_chart sent, built once per distinct input and mode; the projector's
variant; smoothing in the chart; cached lesson maths; the schedules page's one chart per warm view."""

from __future__ import annotations

import dataclasses
import functools
import pickle

import altair as alt
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.charts import FAINT, PROJECTOR_FONT_SIZES, PROJECTOR_SCALE, for_projector
from core.charts.batches import batch_loss_chart
from core.config import RunConfig
from core.lessons import lr_finder
from core.lessons import schedules as schedule_lesson
from core.ui.cache import cached_maths, frame_key
from core.ui.charts import chart_spec
from core.ui.runs import cached_train, trained
from tests.test_app_pages import charts, open_app

BUILT: list[str] = []


def counted_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """A chart that notes every time it is built."""
    BUILT.append(title)
    return alt.Chart(frame).mark_line().encode(x="a:Q", y="b:Q").properties(title=title)


def counted_maths(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Maths that notes every time it runs."""
    BUILT.append(f"maths {factor}")
    return frame * factor


def steps_frame() -> pd.DataFrame:
    """Per-batch losses of a sorted and a shuffled run, as the batch page draws them."""
    losses = np.random.default_rng(0).uniform(0.2, 2.0, 120)
    return pd.DataFrame(
        {
            "step": list(range(60)) * 2,
            "loss": losses,
            "order": ["sorted"] * 60 + ["shuffled"] * 60,
            "name": ["Sorted"] * 60 + ["Shuffled"] * 60,
        }
    )


TITLES = {"step": "Batch", "loss": "Loss", "order": "Order"}


def test_a_spec_is_built_once_per_distinct_input():
    BUILT.clear()
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [3.0, 4.0, 5.0]})
    first = chart_spec(counted_chart, frame, "t")
    again = chart_spec(counted_chart, frame.copy(), "t")  # another object, the same content: no new build
    assert BUILT == ["t"] and again == first
    chart_spec(counted_chart, frame.assign(b=[3.0, 4.0, 6.0]), "t")  # one number changed
    chart_spec(counted_chart, frame, "u")
    assert BUILT == ["t", "t", "u"]


def test_lesson_maths_run_once_per_distinct_input_and_a_lambda_is_no_key():
    BUILT.clear()
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert cached_maths(counted_maths, frame, 2.0).equals(frame * 2.0)
    cached_maths(counted_maths, frame.copy(), 2.0)
    cached_maths(counted_maths, frame, 3.0)
    assert BUILT == ["maths 2.0", "maths 3.0"]
    with pytest.raises(Exception, match="cannot be a cache key"):
        cached_maths(lambda value: value, 1.0)  # its closure could hold anything: never a key


def test_a_frame_is_keyed_by_every_value_whatever_its_copy():
    big = pd.DataFrame({"step": np.arange(60_000), "loss": np.linspace(1, 0, 60_000), "name": ["a", "b"] * 30_000})
    assert frame_key(big) == frame_key(pickle.loads(pickle.dumps(big))) == frame_key(big.copy())
    one_row = big.copy()
    one_row.loc[12_345, "loss"] = 0.5  # Streamlit's own hash samples 10,000 rows of a frame this long
    renamed = big.copy()
    renamed.loc[7, "name"] = "c"
    keys = {frame_key(frame) for frame in (big, one_row, renamed, big.astype({"step": "int32"}), big.iloc[::-1])}
    assert len(keys) == 5


def both_ways(present: bool) -> None:
    """An app that draws one chart with st.altair_chart (as the pages did) and through show_chart."""
    import numpy as np
    import pandas as pd
    import streamlit as st

    from core.charts import loss_curves, style
    from core.charts.batches import batch_loss_chart
    from core.ui import show_chart

    if present:
        st.query_params["present"] = "1"
    epochs = pd.DataFrame(
        {
            "run": [0, 0, 1, 1],
            "lr": [0.1, 0.1, 10.0, 10.0],
            "epoch": [1, 2, 1, 2],
            "train_loss": [1.0, 0.5, 3.0, 90.0],
            "diverged": [False, False, True, True],
        }
    )
    losses = np.random.default_rng(0).uniform(0.2, 2.0, 40)
    steps = pd.DataFrame({"step": list(range(20)) * 2, "loss": losses, "order": ["sorted"] * 20 + ["shuffled"] * 20})
    steps = steps.assign(name=steps["order"].str.title())
    titles = {"step": "Batch", "loss": "Loss", "order": "Order"}
    st.altair_chart(style(loss_curves(epochs, "en")), width="stretch")
    show_chart(loss_curves, epochs, "en")
    st.altair_chart(style(batch_loss_chart(steps, titles, 5)), width="stretch")
    show_chart(batch_loss_chart, steps, titles, 5)


def chart_protos(at: AppTest) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Each chart's spec and its data sets (name, Arrow bytes), in page order."""
    return [(chart.spec, [(data.name, data.data.data) for data in chart.datasets]) for chart in charts(at)]


def test_show_chart_sends_what_st_altair_chart_sent_and_the_projector_gets_its_own_spec():
    at = AppTest.from_function(both_ways, args=(False,), default_timeout=60).run()
    for _ in range(2):  # the first run builds the specs, the second takes them from the cache
        assert not at.exception
        altair_curves, cached_curves, altair_batches, cached_batches = chart_protos(at)
        assert cached_curves == altair_curves and cached_batches == altair_batches
        at.run()
    projector = AppTest.from_function(both_ways, args=(True,), default_timeout=60).run()
    altair_curves, cached_curves, _, _ = chart_protos(projector)
    assert cached_curves[1] == altair_curves[1]  # the same data
    spec = cached_curves[0]
    assert spec != altair_curves[0]
    assert f'"labelFontSize": {PROJECTOR_FONT_SIZES["label"]}' in spec and '"orient": "right"' not in spec


def test_for_projector_moves_every_legend_on_top_and_grows_text_marks():
    data = {"data-1": b"arrow"}
    spec = {
        "config": {"legend": {"labelFontSize": 20, "orient": "top"}},
        "layer": [
            {"mark": {"type": "text", "fontSize": 15}, "encoding": {"color": {"legend": {"orient": "right"}}}},
            {"mark": "line", "encoding": {"color": {"legend": {"orient": "bottom", "labelFontSize": 13}}}},
            {"mark": "rule", "encoding": {"color": {"legend": None}}},
        ],
        "datasets": data,
    }
    made = for_projector(spec)
    layers = made["layer"]
    assert layers[0]["encoding"]["color"]["legend"] == {"orient": "top"}
    assert layers[1]["encoding"]["color"]["legend"] == {"orient": "top"}  # the builder's smaller size gives way
    assert layers[2]["encoding"]["color"]["legend"] is None
    assert layers[0]["mark"]["fontSize"] == round(15 * PROJECTOR_SCALE) > 15
    assert made["config"] == spec["config"] and made["datasets"] is data
    assert spec["layer"][0]["encoding"]["color"]["legend"] == {"orient": "right"}  # the cached screen spec untouched


def test_smoothing_draws_the_rolling_mean_over_the_faint_raw_line():
    plain = batch_loss_chart(steps_frame(), TITLES).to_dict()
    assert "layer" not in plain and plain["mark"]["type"] == "line"
    faint, mean = batch_loss_chart(steps_frame(), TITLES, 20).to_dict()["layer"]
    assert faint["encoding"]["opacity"] == {"value": FAINT}
    assert faint["encoding"]["color"]["legend"]["symbolOpacity"] == 1  # the legend keeps full colour
    window = mean["transform"][-1]
    assert window["window"] == [{"op": "mean", "field": "raw", "as": "loss"}]
    assert window["frame"] == [-19, 0] and window["groupby"] == ["name"] and window["sort"] == [{"field": "step"}]
    assert mean["transform"][0] == {"calculate": "datum['loss']", "as": "raw"}


def test_trained_says_whether_the_result_is_at_hand():
    config = RunConfig(dataset="diabetes", model="linear", optimizer="sgd", epochs=1, batch_size="full")
    assert not trained((config,))
    cached_train((config,))
    assert trained((config,))
    assert not trained((config.replace(lr=0.2),))
    assert not trained((dataclasses.replace(config, lr=-1.0),))  # never at hand: its page shows the error


def test_range_tests_report_their_progress_per_seed():
    heard: list[float] = []
    config = RunConfig(dataset="blood_pressure", optimizer="sgd", batch_size=32)
    lr_finder.range_tests(config, seeds=(0, 1), progress=heard.append, steps=12)
    assert heard == [0.5, 1.0]


def test_a_warm_schedules_page_draws_its_chart_once_and_keeps_the_smoothing_in_the_link(monkeypatch):
    previews = []
    real = schedule_lesson.schedule_preview
    monkeypatch.setattr(schedule_lesson, "schedule_preview", lambda configs: previews.append(1) or real(configs))
    link = {"epochs": "2", "scheduler": ["none", "step"], "smooth": "20"}
    at = open_app("en", "pages/4_lr_schedules.py", **link)
    assert previews == [1]  # cold: the rates drawn first, while it trained
    at.run()
    assert not at.exception
    assert previews == [1]  # warm: only the trained chart
    spec = charts(at)[0].spec
    assert '"frame": [-19, 0]' in spec and at.query_params["smooth"] == "20"


@pytest.mark.parametrize("page", ["pages/3_learning_rate.py", "pages/5_batch_and_epochs.py"])
def test_a_warm_view_builds_no_chart(page, monkeypatch):
    import core.ui.charts

    built = []
    real = core.ui.charts.style
    monkeypatch.setattr(core.ui.charts, "style", lambda chart, projector: built.append(1) or real(chart, projector))
    at = open_app("en", page)
    assert len(built) == len(charts(at)) >= 5
    at.run()
    assert not at.exception
    assert len(built) == len(charts(at))  # every spec, and every input to it, found in the cache


def test_a_chart_of_an_upload_never_enters_the_shared_cache(monkeypatch):
    import core.ui.charts
    from core.ui.lab.charts import show_lab_chart

    shared = []
    monkeypatch.setattr(core.ui.charts.SPECS, "get", lambda *args: shared.append(args) or {"mark": "point"})
    BUILT.clear()
    chart = functools.partial(counted_chart, pd.DataFrame({"a": [1], "b": [2]}), "uploaded")
    show_lab_chart(chart, uploaded=True)
    assert BUILT == ["uploaded"] and shared == []  # made for this view only
    show_lab_chart(chart, uploaded=False)
    assert len(shared) == 1

"""The home page's walk through the training loop: real PyTorch numbers, in order, reproducible, and on screen."""

from __future__ import annotations

import html
import json
import pickle
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from core.i18n import keys
from core.lessons.walkthrough import (
    BATCH_SIZE,
    CODE,
    LEARNING_RATE,
    LINES,
    PARAMETERS,
    Walkthrough,
    parameter_table,
    snapshot_after,
    steps_after_next_batch,
)
from core.ui.walkthrough import ACTIVE_LINE

ROOT = Path(__file__).resolve().parents[1]


def run_to_first_step(walk: Walkthrough) -> dict:
    """Five lines: one whole batch, ending right after optimizer.step()."""
    for _ in LINES:
        snapshot = walk.next_step()
    assert snapshot["line"] == "step"
    return snapshot


def as_vector(values: dict[str, float]) -> torch.Tensor:
    return torch.tensor([values[name] for name in PARAMETERS], dtype=torch.float64)


def test_the_update_shown_is_w_minus_lr_times_grad():
    walk = Walkthrough(seed=0)
    snapshot = run_to_first_step(walk)
    before, grad, after = (as_vector(snapshot[key]) for key in ("weights_before", "gradients", "weights"))
    assert torch.allclose(after, before - LEARNING_RATE * grad, atol=1e-6)

    table = parameter_table(snapshot)
    assert table["after"].tolist() == pytest.approx(
        (table["before"] - LEARNING_RATE * table["gradient"]).tolist(), abs=1e-6
    )
    assert table["change"].tolist() == pytest.approx((-LEARNING_RATE * table["gradient"]).tolist())


def test_gradients_match_a_fresh_model_and_the_closed_form():
    walk = Walkthrough(seed=3)
    for _ in range(7):
        walk.next_step()
    snapshot = walk.next_batch()  # finishes batch 2, then runs batch 3: weights are no longer the initial ones
    inputs, labels = walk.inputs, walk.labels

    fresh = nn.Linear(2, 1)
    with torch.no_grad():
        fresh.weight.copy_(torch.tensor([[snapshot["weights_before"]["w_age"], snapshot["weights_before"]["w_bmi"]]]))
        fresh.bias.fill_(snapshot["weights_before"]["bias"])
    outputs = fresh(inputs)
    loss = nn.MSELoss()(outputs, labels)
    loss.backward()
    assert loss.item() == pytest.approx(snapshot["loss"], rel=1e-6)
    autograd = torch.cat([fresh.weight.grad.flatten(), fresh.bias.grad]).double()
    assert torch.allclose(as_vector(snapshot["gradients"]), autograd, atol=1e-6)

    # MSE by hand: dL/dw = 2/B * sum((y_hat - y) * x), dL/db = 2/B * sum(y_hat - y)
    residual = (outputs.detach() - labels).flatten().double()
    by_hand = torch.cat([2 * (residual[:, None] * inputs.double()).mean(0), (2 * residual.mean())[None]])
    assert torch.allclose(as_vector(snapshot["gradients"]), by_hand, atol=1e-5)

    table = snapshot["batch_table"]
    assert snapshot["loss"] == pytest.approx(table["squared_error"].mean(), rel=1e-5)


def test_the_walk_follows_the_plain_loop_batch_for_batch():
    seed, batches = 5, 12
    walk = Walkthrough(seed=seed)
    for _ in range(batches):
        snapshot = walk.next_batch()

    # The article's loop written out once more, from the same seed: same batches, same weights.
    x, y = walk.x, walk.y
    model = nn.Linear(2, 1)
    with torch.no_grad():
        start = Walkthrough(seed=seed).weights()
        model.weight.copy_(torch.tensor([[start["w_age"], start["w_bmi"]]]))
        model.bias.fill_(start["bias"])
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    criterion = nn.MSELoss()
    loader = DataLoader(
        TensorDataset(x, y), batch_size=BATCH_SIZE, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    losses = []
    for _, (inputs, labels) in zip(range(batches), loader, strict=False):
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert snapshot["history"]["batch_loss"].tolist() == pytest.approx(losses, rel=1e-6)
    assert list(snapshot["weights"].values()) == pytest.approx(
        [*model.weight.flatten().tolist(), model.bias.item()], rel=1e-6
    )


def test_the_five_lines_come_in_order_and_clear_the_gradients():
    walk = Walkthrough()
    seen = []
    for _ in range(3 * len(LINES)):
        snapshot = walk.next_step()
        seen.append(snapshot["line"])
        if snapshot["line"] in ("zero_grad", "forward", "loss"):
            assert snapshot["gradients"] is None  # zero_grad sets them to None; backward fills them
        else:
            assert snapshot["gradients"] is not None
        if snapshot["line"] == "zero_grad":
            assert snapshot["loss"] is None and snapshot["batch_table"]["predicted_mmhg"].isna().all()
    assert seen == list(LINES) * 3
    assert [snapshot_after(i)["line_number"] for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_reset_restores_the_initial_weights_and_first_batch():
    walk = Walkthrough(seed=2)
    initial = walk.weights()
    first = walk.next_step()["batch_table"]
    for _ in range(4):
        walk.next_batch()
    assert walk.weights() != initial
    snapshot = walk.reset()
    assert snapshot["weights"] == initial and snapshot["steps"] == 0 and snapshot["history"].empty
    assert walk.next_step()["batch_table"].equals(first)


def test_same_seed_same_walk_other_seed_other_walk():
    a, b, c = Walkthrough(seed=7), Walkthrough(seed=7), Walkthrough(seed=8)
    for _ in range(3):
        a.next_batch(), b.next_batch(), c.next_batch()
    assert a.snapshot()["weights"] == b.snapshot()["weights"]
    assert a.snapshot()["history"].equals(b.snapshot()["history"])
    assert a.snapshot()["weights"] != c.snapshot()["weights"]
    # What a Streamlit session keeps is the step count: replaying it gives the same moment.
    assert snapshot_after(a.steps_taken, seed=7)["weights"] == a.snapshot()["weights"]


def test_the_loss_history_grows_by_one_per_completed_batch():
    walk = Walkthrough()
    for _ in range(12):
        snapshot = walk.next_step()
        assert len(snapshot["history"]) == snapshot["steps"] // len(LINES)
    assert walk.steps_taken == 12
    snapshot = walk.next_batch()  # finish batch 3, then run batch 4
    assert snapshot["steps"] == 20 and len(snapshot["history"]) == 4 and snapshot["line"] == "step"
    assert snapshot["history"]["batch"].tolist() == [1, 2, 3, 4]
    assert walk.next_batch()["steps"] == 25
    assert [steps_after_next_batch(s) for s in (0, 1, 4, 5, 6, 10)] == [5, 10, 10, 10, 15, 15]


def test_snapshots_are_plain_and_picklable():
    snapshot = snapshot_after(13)
    assert pickle.loads(pickle.dumps(snapshot))["weights"] == snapshot["weights"]
    assert not any(isinstance(value, (torch.Tensor, nn.Module)) for value in snapshot.values())


def test_texts_exist_in_both_languages_and_stay_in_their_language():
    loop_keys = {key for key in keys("en") if key.startswith("loop.")}
    assert loop_keys and loop_keys == {key for key in keys("ja") if key.startswith("loop.")}
    english = (ROOT / "core/locales/en/loop.json").read_text(encoding="utf-8")
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", english)
    japanese = json.loads((ROOT / "core/locales/ja/loop.json").read_text(encoding="utf-8"))
    assert re.search(r"[\u3040-\u30ff]", japanese["intro"])


# --- on screen -----------------------------------------------------------------------------------------------


def walkthrough_page(lang: str) -> None:
    """The walk on its own, as the home page draws it."""
    from core.ui.walkthrough import render_walkthrough

    render_walkthrough(lang)


def home_calls_the_walk() -> bool:
    app = ROOT / "app.py"
    return app.is_file() and "render_walkthrough(" in app.read_text(encoding="utf-8")


def open_page(lang: str) -> AppTest:
    if home_calls_the_walk():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["lang"] = lang
    else:
        at = AppTest.from_function(walkthrough_page, args=(lang,), default_timeout=60)
    return at.run()


def click(at: AppTest, key: str) -> AppTest:
    return at.button(key=key).click().run()


def chart_data(at: AppTest) -> pd.DataFrame:
    """The rows behind the loss chart, read from the element's Arrow data."""
    [chart] = at.get("vega_lite_chart")
    return convert_arrow_bytes_to_pandas_df(chart.proto.datasets[0].data.data)


def highlighted_code(at: AppTest) -> list[str]:
    """The code lines drawn with the active-line style, as a reader sees them."""
    found = []
    for block in at.markdown:
        for row in re.findall(rf'<div style="{re.escape(ACTIVE_LINE)}">(.*?)</div>', block.value):
            found.append(html.unescape(re.sub(r"<[^>]+>", "", row))[1:].strip())  # [1:] drops the step number
    return found


def shown_parameters(at: AppTest) -> pd.DataFrame:
    """The weights-and-gradients table exactly as printed (3 decimals, "—" where the loop has not got yet)."""
    return at.dataframe[-1].value


def printed(values) -> list[str]:
    return [f"{value:.3f}" for value in values]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_page_steps_through_a_batch_and_shows_the_real_update(lang):
    at = open_page(lang)
    assert not at.exception
    for line in LINES:
        at = click(at, "home.walk_next_step")
        assert not at.exception
        assert highlighted_code(at) == [CODE[line]]
    expected = snapshot_after(len(LINES))
    shown = shown_parameters(at)
    assert shown["after"].tolist() == printed(expected["weights"].values())
    assert shown["gradient"].tolist() == printed(expected["gradients"].values())
    # What a student can check on the screen: after = before − lr × gradient, up to the printed rounding.
    before, gradient, after = (shown[column].astype(float) for column in ("before", "gradient", "after"))
    assert after.tolist() == pytest.approx((before - LEARNING_RATE * gradient).tolist(), abs=1.5e-3)
    [formulas] = [block.value for block in at.code if "w_age" in block.value]
    for name, after in expected["weights"].items():
        before, grad = expected["weights_before"][name], expected["gradients"][name]
        assert f"{before:6.3f} - {LEARNING_RATE:g} × ({grad:6.3f}) = {after:6.3f}" in formulas
    assert f"{expected['loss']:.3f}" in [m.value for m in at.metric]

    at = click(at, "home.walk_next_batch")
    assert not at.exception and at.session_state["home.walk_steps"] == 10
    assert shown_parameters(at)["after"].tolist() == printed(snapshot_after(10)["weights"].values())
    curve = chart_data(at)
    history = snapshot_after(10)["history"]
    batch_losses = curve[curve["batch"] > 0].groupby("batch")["loss"].apply(sorted)
    assert len(batch_losses) == 2  # the curve has grown by one point per series per batch
    for row in history.itertuples():
        assert batch_losses[row.batch] == pytest.approx(sorted([row.batch_loss, row.train_loss]))

    at = click(at, "home.walk_reset")
    assert not at.exception and at.session_state["home.walk_steps"] == 0
    initial = Walkthrough().weights()
    assert shown_parameters(at)["before"].tolist() == printed(initial.values())
    assert set(shown_parameters(at)["after"]) == {"—"}
    text = " ".join(m.value for m in at.markdown)
    if lang == "en":
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)
    else:
        assert re.search(r"[\u3040-\u30ff]", text)


def test_the_walks_position_is_kept_in_the_link_and_a_link_reopens_it():
    at = click(click(open_page("en"), "home.walk_next_step"), "home.walk_next_batch")
    assert at.query_params["walk"] == "10"
    opened = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    opened.query_params.update({"lang": "en", "walk": "10"})
    opened.run()
    assert not opened.exception and opened.session_state["home.walk_steps"] == 10
    assert shown_parameters(opened)["after"].tolist() == shown_parameters(at)["after"].tolist()
    assert "walk" not in click(opened, "home.walk_reset").query_params  # the start is the default


def test_a_walk_position_beyond_the_link_bound_is_named_and_the_walk_starts():
    opened = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    opened.query_params.update({"lang": "en", "walk": "10000001"})
    opened.run()
    assert not opened.exception and opened.session_state["home.walk_steps"] == 0
    assert any("`walk` = `10000001`" in warning.value for warning in opened.warning)

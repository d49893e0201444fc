"""Real browser: clicking a cell of the lab's grid heat map adds that run to the history and to the link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from core import sweep
from core.i18n import t
from tools.appserver import CHROMIUM
from tools.screenshot import wait_until_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def lab_page(app_url: str, browser: object) -> Iterator[object]:
    """A browser tab of its own on the session's app server."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    tab.app_url = app_url
    yield tab
    context.close()


def test_clicking_a_grid_cell_adds_the_run_to_the_history_and_the_link(lab_page: object) -> None:
    # One learning rate and one batch size: the single cell fills the plot, so its middle is a click on it.
    lab_page.goto(f"{lab_page.app_url}/lab?lang=en&view=grid&epochs=2&grid_lr=0.1&grid_batch_size=32")
    wait_until_idle(lab_page)
    cell = lab_page.locator("[data-testid='stVegaLiteChart'] g.mark-rect path").first
    cell.click()
    lab_page.wait_for_function("() => new URL(location.href).searchParams.has('run')", timeout=60_000)
    wait_until_idle(lab_page)
    assert parse_qs(urlparse(lab_page.url).query)["run"] == ["lr:0.1;epochs:2"]
    assert lab_page.locator("[data-testid='stException']").count() == 0


def test_clicking_a_cell_of_an_uploaded_sweep_table_adds_that_run(lab_page: object, tmp_path: Path) -> None:
    table = sweep.sweep(sweep.grid_configs({"lr": ["0.3"], "epochs": ["2"], "dataset": ["diabetes"]}))
    sweep.write_table(table, str(tmp_path / "sweep.csv"))
    lab_page.goto(f"{lab_page.app_url}/lab?lang=en&view=grid&epochs=2&grid_lr=0.1&grid_batch_size=32")
    wait_until_idle(lab_page)
    lab_page.get_by_text(t("lab.sweep.title", "en")).click()
    lab_page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(tmp_path / "sweep.csv"))
    lab_page.get_by_text(t("lab.sweep.click", "en")).wait_for(timeout=60_000)
    wait_until_idle(lab_page)
    sweep_chart = lab_page.locator("[data-testid='stVegaLiteChart']").last
    sweep_chart.scroll_into_view_if_needed()
    sweep_chart.locator("g.mark-rect path").first.click()
    lab_page.wait_for_function("() => new URL(location.href).searchParams.has('run')", timeout=60_000)
    wait_until_idle(lab_page)
    assert parse_qs(urlparse(lab_page.url).query)["run"] == ["dataset:diabetes;lr:0.3;epochs:2"]
    assert lab_page.locator("[data-testid='stException']").count() == 0

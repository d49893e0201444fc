"""Presentation mode on a 1280x720 projector: every page's first chart starts in the upper part of the first screen,
with its legend; the learning-rate page's main chart takes the full width."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.i18n import t
from core.pages import PAGES
from tools.appserver import CHROMIUM
from tools.screenshot import page_url, wait_until_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]

WIDTH, HEIGHT = 1280, 720
ROOM = 200  # at least this much of the first screen is left for the chart below its top
CHART = "[data-testid='stMain'] [data-testid='stVegaLiteChart']"
LESSONS = [(shown.path, shown.id) for shown in PAGES if shown.id != "lab"]


@pytest.fixture(scope="module")
def projector(app_url: str, browser: object) -> Iterator[tuple[str, object]]:
    """The session's app server and one 1280x720 browser tab for the whole module."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    yield app_url, context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(("path", "nav_key"), LESSONS, ids=[nav_key for _, nav_key in LESSONS])
def test_the_first_chart_is_above_the_fold_in_presentation_mode(projector, path, nav_key, lang):
    base, page = projector
    page.goto(page_url(base, path, lang) + "&present=1")
    wait_until_idle(page)
    if shots := os.environ.get("PRESENTATION_SHOTS"):  # a folder to look at the first screens in
        page.screenshot(path=f"{shots}/{nav_key}_{lang}.png")
    # Home opens on the walk before its first batch: its chart's heading stands where the chart will draw.
    first = page.get_by_text(t("loop.chart.title", lang)) if nav_key == "home" else page.locator(CHART).first
    box = first.bounding_box()
    assert box is not None, nav_key
    assert box["y"] < HEIGHT - ROOM, (nav_key, lang, box)
    if nav_key == "home":
        return
    if first.locator("svg.marks").count():  # drawn in SVG (a large chart is a canvas, its legend no element)
        legend = first.locator("g.role-legend").first.bounding_box()
        assert legend["y"] + legend["height"] <= HEIGHT, (nav_key, lang, legend)  # on top: read with the chart
    if nav_key == "learning_rate":  # its main chart, beside the controls on a laptop, takes the projector's width
        main = page.locator("[data-testid='stMainBlockContainer']").bounding_box()
        assert box["width"] > 0.9 * main["width"], (box, main)

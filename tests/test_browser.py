"""Real browser: `streamlit run` driven by Debian's Chromium. Pages load, charts draw, URL state round-trips."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from core.i18n import t
from core.ui.page import existing_pages
from tools.appserver import CHROMIUM, CHROMIUM_ARGS
from tools.screenshot import page_url, wait_until_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def query(url: str) -> dict[str, list[str]]:
    """The URL's parameters, each as a list of values."""
    return parse_qs(urlparse(url).query)


def slider_value(page: object, label: str) -> str:
    """The value shown on the thumb of the slider labelled `label`."""
    slider = page.locator("[data-testid='stSlider']").filter(has=page.get_by_text(label, exact=True))
    return slider.locator("[data-testid='stSliderThumbValue']").inner_text()


def no_exception(page: object) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_page_loads_without_an_exception(app_url: str, page: object, lang: str) -> None:
    for path, nav_key, _ in existing_pages():
        page.goto(page_url(app_url, path, lang))
        wait_until_idle(page)
        no_exception(page)
        assert page.locator("[data-testid='stSidebar']").get_by_text(t(f"nav.{nav_key}", lang), exact=True).count()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_learning_rate_chart_draws(app_url: str, page: object, lang: str) -> None:
    page.goto(page_url(app_url, "pages/3_learning_rate.py", lang))
    wait_until_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text() == t("lr.title", lang)
    assert page.locator("[data-testid='stVegaLiteChart'] :is(svg.marks, canvas)").count() >= 1


def test_url_state_round_trips(app_url: str, page: object) -> None:
    params = "lang=ja&lr=0.0001&lr=3&epochs=12&batch=8&optimizer=adam&data=diabetes"
    page.goto(f"{app_url}/learning_rate?{params}")
    wait_until_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text() == t("lr.title", "ja")
    chips = page.locator("[data-testid='stMultiSelectTagsContainer'] [data-tag]").all_inner_texts()
    assert [chip.strip() for chip in chips] == ["0.0001", "3"]
    assert slider_value(page, t("common.widgets.epochs.label", "ja")) == "12"
    assert slider_value(page, t("common.widgets.batch.label", "ja")) == "8"
    assert page.get_by_role("combobox", name=t("common.widgets.optimizer.label", "ja")).input_value() == "Adam"
    data = page.get_by_role("combobox", name=t("common.widgets.dataset.label", "ja")).input_value()
    assert data == t("common.datasets.diabetes", "ja")
    # The URL still says exactly what the page shows, so it can be copied and shared.
    shown = query(page.url)
    assert shown["lr"] == ["0.0001", "3"] and shown["epochs"] == ["12"] and shown["batch"] == ["8"]
    assert shown["optimizer"] == ["adam"] and shown["data"] == ["diabetes"] and shown["lang"] == ["ja"]


def test_changes_reach_the_url_and_the_language_switch_keeps_state(app_url: str, page: object) -> None:
    page.goto(f"{app_url}/learning_rate?lang=en")
    wait_until_idle(page)
    batch = page.get_by_role("slider", name=t("common.widgets.batch.label", "en"))
    batch.focus()
    batch.press("ArrowRight")  # 32 -> 128
    page.wait_for_url(re.compile(r"batch=128"))
    wait_until_idle(page)
    page.get_by_role("radiogroup", name=t("sidebar.language", "en")).get_by_text(
        t("sidebar.languages.ja", "en"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"lang=ja"))
    wait_until_idle(page)
    page.locator("h1").get_by_text(t("lr.title", "ja")).wait_for()
    assert slider_value(page, t("common.widgets.batch.label", "ja")) == "128"
    assert query(page.url)["batch"] == ["128"]
    no_exception(page)


def test_navigation_keeps_the_language(app_url: str, page: object) -> None:
    page.goto(f"{app_url}/?lang=ja")
    wait_until_idle(page)
    page.locator("[data-testid='stSidebar']").get_by_text(t("nav.learning_rate", "ja"), exact=True).click()
    page.wait_for_url(re.compile(r"/learning_rate\?.*lang=ja"))
    wait_until_idle(page)
    page.locator("h1").get_by_text(t("lr.title", "ja")).wait_for()
    no_exception(page)

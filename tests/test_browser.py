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
    params = "lang=ja&lr=0.0001&lr=3&epochs=12&batch_size=8&optimizer=adam&dataset=diabetes"
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
    assert shown["lr"] == ["0.0001", "3"] and shown["epochs"] == ["12"] and shown["batch_size"] == ["8"]
    assert shown["optimizer"] == ["adam"] and shown["dataset"] == ["diabetes"] and shown["lang"] == ["ja"]


def test_changes_reach_the_url_and_the_language_switch_keeps_state(app_url: str, page: object) -> None:
    page.goto(f"{app_url}/learning_rate?lang=en")
    wait_until_idle(page)
    batch = page.get_by_role("slider", name=t("common.widgets.batch.label", "en"))
    batch.focus()
    batch.press("ArrowRight")  # 32 -> 128
    page.wait_for_url(re.compile(r"batch_size=128"))
    wait_until_idle(page)
    page.get_by_role("radiogroup", name=t("sidebar.language", "en")).get_by_text(
        t("sidebar.languages.ja", "en"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"lang=ja"))
    wait_until_idle(page)
    page.locator("h1").get_by_text(t("lr.title", "ja")).wait_for()
    assert slider_value(page, t("common.widgets.batch.label", "ja")) == "128"
    assert query(page.url)["batch_size"] == ["128"]
    no_exception(page)


def test_navigation_keeps_the_language(app_url: str, page: object) -> None:
    page.goto(f"{app_url}/?lang=ja")
    wait_until_idle(page)
    page.locator("[data-testid='stSidebar']").get_by_text(t("nav.learning_rate", "ja"), exact=True).click()
    page.wait_for_url(re.compile(r"/learning_rate\?.*lang=ja"))
    wait_until_idle(page)
    page.locator("h1").get_by_text(t("lr.title", "ja")).wait_for()
    no_exception(page)


def combobox_value(page: object, label: str) -> str:
    """What the select box labelled `label` shows."""
    return page.get_by_role("combobox", name=label).input_value()


def choose(page: object, label: str, option: str) -> None:
    """Open the select box labelled `label` and pick `option`, as a person does."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def open_from_sidebar(page: object, nav_key: str, lang: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text(t(f"nav.{nav_key}", lang), exact=True).click()
    wait_until_idle(page)


def test_optimizers_landscape_then_learning_rate_shows_no_exception(app_url: str, page: object) -> None:
    # Bug 1: a landscape change on the optimizers page, then the learning-rate page from the sidebar.
    page.goto(page_url(app_url, "pages/2_optimizers.py", "en"))
    wait_until_idle(page)
    choose(page, t("optimizers.controls.surface", "en"), t("optimizers.surfaces.rosenbrock", "en"))
    no_exception(page)
    open_from_sidebar(page, "learning_rate", "en")
    page.locator("h1").get_by_text(t("lr.title", "en")).wait_for()
    no_exception(page)
    assert query(page.url) == {"lang": ["en"]}


def test_language_switch_keeps_the_data_set_and_shows_it_in_the_new_language(app_url: str, page: object) -> None:
    # Bug 2: after a switch the select showed the old language, and the next change of another widget reset it.
    label = {lang: t("common.widgets.dataset.label", lang) for lang in ("en", "ja")}
    page.goto(page_url(app_url, "pages/3_learning_rate.py", "en"))
    wait_until_idle(page)
    choose(page, label["en"], t("common.datasets.diabetes", "en"))
    page.get_by_role("radiogroup", name=t("sidebar.language", "en")).get_by_text(
        t("sidebar.languages.ja", "en"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"lang=ja"))
    wait_until_idle(page)
    assert combobox_value(page, label["ja"]) == t("common.datasets.diabetes", "ja")
    epochs = page.get_by_role("slider", name=t("common.widgets.epochs.label", "ja"))
    epochs.focus()
    epochs.press("ArrowLeft")  # another widget changes: 30 -> 29
    page.wait_for_url(re.compile(r"epochs=29"))
    wait_until_idle(page)
    assert combobox_value(page, label["ja"]) == t("common.datasets.diabetes", "ja")
    assert query(page.url)["dataset"] == ["diabetes"]
    no_exception(page)


def test_a_copied_link_restores_the_page_in_a_fresh_browser(app_url: str, page: object, browser: object) -> None:
    page.goto(page_url(app_url, "pages/3_learning_rate.py", "en"))
    wait_until_idle(page)
    choose(page, t("common.widgets.optimizer.label", "en"), t("common.optimizers.adam", "en"))
    page.get_by_text(t("lr.log_axis", "en"), exact=True).click()  # the chart's log toggle is in the link too
    page.wait_for_url(re.compile(r"log="))
    wait_until_idle(page)
    copied, log_on = page.url, page.get_by_role("switch", name=t("lr.log_axis", "en")).is_checked()
    fresh = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        other = fresh.new_page()
        other.goto(copied)
        wait_until_idle(other)
        assert combobox_value(other, t("common.widgets.optimizer.label", "en")) == t("common.optimizers.adam", "en")
        assert other.get_by_role("switch", name=t("lr.log_axis", "en")).is_checked() == log_on
        assert query(other.url) == query(copied)
        no_exception(other)
    finally:
        fresh.close()


def test_a_link_payload_renders_as_text(app_url: str, page: object) -> None:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    payload = "lr=[Log in again](https://example.org/login)&epochs=![](http://host/track.png)&optimizer=<b>x</b>"
    page.goto(f"{app_url}/learning_rate?lang=en&{payload}")
    wait_until_idle(page)
    no_exception(page)
    alert = page.locator("[data-testid='stAlert']").filter(has_text=t("link.ignored", "en", items="")[:20])
    assert "[Log in again](https://example.org/login)" in alert.inner_text()
    assert page.locator("a[href*='example.org'], img[src*='track.png'], [data-testid='stMain'] b").count() == 0
    assert not [url for url in fetched if url.startswith("http://host")]

"""Real browser: `streamlit run` driven by Debian's Chromium. Every page in both languages loads and draws its charts,
a moved slider redraws a chart and reaches the URL, a shared link restores the page, a language switch keeps every
choice, and a walk over all pages after one change on each never shows an exception."""

from __future__ import annotations

import io
import os
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from core.i18n import LANGUAGES, t
from core.pages import PAGES
from tools.appserver import ROOT
from tools.screenshot import page_url, wait_until_idle

pytestmark = pytest.mark.browser

PATHS = {shown.id: shown.path for shown in PAGES}
CHART = "[data-testid='stMain'] [data-testid='stVegaLiteChart']"
SHOTS = ROOT / "docs" / "screenshots"
SHOT_PAGES = ("home", "learning_rate", "lr_schedules", "lab")  # the README's pictures
MOST_BYTES = 250_000
# Two or three non-default values per page that keeps state in the URL (the lab's runs are the lab's own tests).
LINKS = {
    "loss_functions": {"pressure": ["150"], "race_lr": ["0.5"]},
    "optimizers": {"surface": ["rosenbrock"], "data_epochs": ["40"]},
    "learning_rate": {"lr": ["0.01", "1"], "epochs": ["12"], "optimizer": ["adam"]},
    "lr_schedules": {"epochs": ["20"], "optimizer": ["adam"], "batch_size": ["8"]},
    "batch_and_epochs": {"batch_sizes": ["8", "full"], "epochs": ["12"], "dataset": ["diabetes"]},
    "lab": {"optimizer": ["sgd"], "epochs": ["20"]},
}
# The RunConfig knobs each lesson shows, set away from their defaults for the language switch.
CHOICES = {
    "learning_rate": {
        "lr": ["0.003", "0.3"],
        "batch_size": ["8"],
        "epochs": ["12"],
        "optimizer": ["adam"],
        "dataset": ["diabetes"],
    },
    "lr_schedules": {
        "lr": ["0.01"],
        "batch_size": ["128"],
        "epochs": ["20"],
        "optimizer": ["adam"],
        "dataset": ["breast_cancer"],
    },
    "batch_and_epochs": {"lr": ["0.1"], "epochs": ["12"], "optimizer": ["adam"], "dataset": ["diabetes"]},
}


def query(url: str) -> dict[str, list[str]]:
    """The URL's parameters, each as a list of values."""
    return parse_qs(urlparse(url).query)


def slider_value(page: object, label: str) -> str:
    """The value shown on the thumb of the slider labelled `label`."""
    slider = page.locator("[data-testid='stSlider']").filter(has=page.get_by_text(label, exact=True))
    return slider.first.locator("[data-testid='stSliderThumbValue']").inner_text()


def is_outside(url: str, app_url: str) -> bool:
    """A request to a server other than the app's (data: and blob: addresses stay in the browser)."""
    return urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).netloc != urlparse(app_url).netloc


def no_exception(page: object) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def chart_drawn(chart: object) -> bool:
    """Vega has drawn the chart: its svg or canvas is on the page with a visible size."""
    box = chart.locator("svg.marks, canvas").first.bounding_box()
    return box is not None and box["width"] > 50 and box["height"] > 20


def save_screenshot(page: object, name: str) -> None:
    """The first screen as a small PNG in docs/screenshots/ (palette of 256 colours: a fraction of the size)."""
    from PIL import Image

    page.wait_for_timeout(500)  # web fonts and the last chart settle; only for the picture, never for a test
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB").quantize(256)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SHOTS / f"{name}.png", optimize=True)
    assert (SHOTS / f"{name}.png").stat().st_size < MOST_BYTES


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("path", "nav_key"), [(shown.path, shown.id) for shown in PAGES], ids=list(PATHS))
def test_every_page_loads_and_draws_its_charts(app_url: str, page: object, path: str, nav_key: str, lang: str):
    """...and asks nothing of any other server: a lecture hall may have no internet (the tab's icon was fetched from
    Google's icon servers)."""
    outside = []
    page.on("request", lambda request: outside.append(request.url) if is_outside(request.url, app_url) else None)
    page.goto(page_url(app_url, path, lang))
    wait_until_idle(page)
    no_exception(page)
    assert outside == []
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.locator("a").get_by_text(t(f"nav.{nav_key}", lang), exact=True).count()
    charts = page.locator(CHART).all()
    if nav_key != "home":  # home draws its chart after the first "Next step"
        assert charts, nav_key
    assert all(chart_drawn(chart) for chart in charts), nav_key
    if os.environ.get("TRAINING_LOOP_SCREENSHOTS") == "1" and nav_key in SHOT_PAGES:
        save_screenshot(page, f"{nav_key}_{lang}")


def move_slider(page: object, label: str, key: str = "ArrowRight") -> None:
    """Move the first slider labelled `label` one step with the keyboard, as a person does."""
    slider = page.get_by_role("slider", name=label).first  # the lesson's own; a later section may reuse the label
    slider.focus()
    slider.press(key)


@pytest.mark.parametrize("nav_key", ["learning_rate", "lr_schedules", "batch_and_epochs"])
def test_a_moved_slider_redraws_the_chart_and_reaches_the_url(app_url: str, page: object, nav_key: str) -> None:
    page.goto(page_url(app_url, PATHS[nav_key], "en"))
    wait_until_idle(page)
    before = page.locator(CHART).first.screenshot()
    move_slider(page, t("lab.knobs.epochs", "en"))
    page.wait_for_url(re.compile(r"[?&]epochs=\d+"))
    wait_until_idle(page)
    no_exception(page)
    assert page.locator(CHART).first.screenshot() != before


def link(base: str, nav_key: str, lang: str, params: dict[str, list[str]]) -> str:
    """The address of a page with `params` in it (lists as repeated keys), as a lecturer copies it."""
    return page_url(base, PATHS[nav_key], lang) + "&" + urlencode(params, doseq=True)


@pytest.mark.parametrize("nav_key", list(LINKS))
def test_a_shared_link_restores_the_page_in_a_fresh_browser(app_url: str, fresh_page, nav_key: str) -> None:
    # The page writes every widget's value back to the URL and drops defaults: a value that survives the first
    # render is the value the widget holds.
    other = fresh_page()
    other.goto(link(app_url, nav_key, "ja", LINKS[nav_key]))
    wait_until_idle(other)
    no_exception(other)
    assert query(other.url) == {"lang": ["ja"], **LINKS[nav_key]}


@pytest.mark.parametrize("nav_key", list(CHOICES))
def test_a_language_switch_keeps_every_choice(app_url: str, page: object, nav_key: str) -> None:
    choices = CHOICES[nav_key]
    page.goto(link(app_url, nav_key, "en", choices))
    wait_until_idle(page)
    page.get_by_role("radiogroup", name=t("sidebar.language", "en")).get_by_text(
        t("sidebar.languages.ja", "en"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"lang=ja"))
    wait_until_idle(page)
    page.get_by_role("slider", name=t("lab.knobs.epochs", "ja")).first.wait_for()  # drawn in Japanese
    no_exception(page)
    assert query(page.url) == {"lang": ["ja"], **choices}
    assert slider_value(page, t("lab.knobs.epochs", "ja")) == choices["epochs"][0]
    dataset = t(f"common.datasets.{choices['dataset'][0]}", "ja")
    assert combobox_value(page, t("lab.knobs.dataset", "ja")) == dataset
    optimizer = t(f"common.optimizers.{choices['optimizer'][0]}", "ja")
    assert combobox_value(page, t("lab.knobs.optimizer", "ja")) == optimizer


def change_one_thing(page: object) -> None:
    """Move the page's first slider one step (down from its top end), or press its first button if it has none."""
    sliders = page.locator("[data-testid='stMain'] [role='slider']")
    if sliders.count():
        slider = sliders.first
        at_top = slider.get_attribute("aria-valuenow") == slider.get_attribute("aria-valuemax")
        slider.focus()
        slider.press("ArrowLeft" if at_top else "ArrowRight")
    else:
        page.locator("[data-testid='stMain'] button:not([kind='elementToolbar']):visible").first.click()
    wait_until_idle(page)


def test_a_walk_over_every_page_after_one_change_on_each(app_url: str, page: object) -> None:
    keys = list(PATHS)
    page.goto(page_url(app_url, PATHS[keys[0]], "en"))
    wait_until_idle(page)
    for nav_key in keys[1:] + keys[-2::-1]:  # to the last page and back again
        change_one_thing(page)
        no_exception(page)
        open_from_sidebar(page, nav_key, "en")
        page.locator("h1").first.wait_for()
        no_exception(page)


def test_url_state_round_trips(app_url: str, page: object) -> None:
    params = "lang=ja&lr=0.0001&lr=3&epochs=12&batch_size=8&optimizer=adam&dataset=diabetes"
    page.goto(f"{app_url}/learning_rate?{params}")
    wait_until_idle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text() == t("learning_rate.title", "ja")
    chips = page.locator("[data-testid='stMultiSelectTagsContainer'] [data-tag]").all_inner_texts()
    assert [chip.strip() for chip in chips] == ["0.0001", "3"]
    assert slider_value(page, t("lab.knobs.epochs", "ja")) == "12"
    assert slider_value(page, t("lab.knobs.batch_size", "ja")) == "8"
    assert page.get_by_role("combobox", name=t("lab.knobs.optimizer", "ja")).input_value() == "Adam"
    data = page.get_by_role("combobox", name=t("lab.knobs.dataset", "ja")).input_value()
    assert data == t("common.datasets.diabetes", "ja")
    # The URL still says exactly what the page shows, so it can be copied and shared.
    shown = query(page.url)
    assert shown["lr"] == ["0.0001", "3"] and shown["epochs"] == ["12"] and shown["batch_size"] == ["8"]
    assert shown["optimizer"] == ["adam"] and shown["dataset"] == ["diabetes"] and shown["lang"] == ["ja"]


def test_navigation_keeps_the_language(app_url: str, page: object) -> None:
    page.goto(f"{app_url}/?lang=ja")
    wait_until_idle(page)
    page.locator("[data-testid='stSidebar']").locator("a").get_by_text(t("nav.learning_rate", "ja"), exact=True).click()
    page.wait_for_url(re.compile(r"/learning_rate\?.*lang=ja"))
    wait_until_idle(page)
    page.locator("h1").get_by_text(t("learning_rate.title", "ja")).wait_for()
    no_exception(page)


def combobox_value(page: object, label: str) -> str:
    """What the select box labelled `label` shows."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def choose(page: object, label: str, option: str) -> None:
    """Open the select box labelled `label` and pick `option`, as a person does."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")  # room for the list to open below it
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def open_from_sidebar(page: object, nav_key: str, lang: str) -> None:
    page.locator("[data-testid='stSidebar']").locator("a").get_by_text(t(f"nav.{nav_key}", lang), exact=True).click()
    wait_until_idle(page)


def test_optimizers_landscape_then_learning_rate_shows_no_exception(app_url: str, page: object) -> None:
    # Bug 1: a landscape change on the optimizers page, then the learning-rate page from the sidebar.
    page.goto(page_url(app_url, "pages/2_optimizers.py", "en"))
    wait_until_idle(page)
    choose(page, t("optimizers.controls.surface", "en"), t("optimizers.surfaces.rosenbrock", "en"))
    no_exception(page)
    open_from_sidebar(page, "learning_rate", "en")
    page.locator("h1").get_by_text(t("learning_rate.title", "en")).wait_for()
    no_exception(page)
    assert query(page.url) == {"lang": ["en"]}


def test_language_switch_keeps_the_data_set_and_shows_it_in_the_new_language(app_url: str, page: object) -> None:
    # Bug 2: after a switch the select showed the old language, and the next change of another widget reset it.
    label = {lang: t("lab.knobs.dataset", lang) for lang in ("en", "ja")}
    page.goto(page_url(app_url, "pages/3_learning_rate.py", "en"))
    wait_until_idle(page)
    choose(page, label["en"], t("common.datasets.diabetes", "en"))
    page.get_by_role("radiogroup", name=t("sidebar.language", "en")).get_by_text(
        t("sidebar.languages.ja", "en"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"lang=ja"))
    wait_until_idle(page)
    assert combobox_value(page, label["ja"]) == t("common.datasets.diabetes", "ja")
    epochs = page.get_by_role("slider", name=t("lab.knobs.epochs", "ja"))
    epochs.focus()
    epochs.press("ArrowLeft")  # another widget changes: 30 -> 29
    page.wait_for_url(re.compile(r"epochs=29"))
    wait_until_idle(page)
    assert combobox_value(page, label["ja"]) == t("common.datasets.diabetes", "ja")
    assert query(page.url)["dataset"] == ["diabetes"]
    no_exception(page)


def test_a_copied_link_with_a_chart_toggle_restores_it_in_a_fresh_browser(app_url: str, page: object, fresh_page):
    page.goto(page_url(app_url, "pages/3_learning_rate.py", "en"))
    wait_until_idle(page)
    choose(page, t("lab.knobs.optimizer", "en"), t("common.optimizers.adam", "en"))
    page.get_by_text(t("learning_rate.log_axis", "en"), exact=True).click()  # the chart's log toggle is in the link too
    page.wait_for_url(re.compile(r"log="))
    wait_until_idle(page)
    copied, log_on = page.url, page.get_by_role("switch", name=t("learning_rate.log_axis", "en")).is_checked()
    other = fresh_page()
    other.goto(copied)
    wait_until_idle(other)
    assert combobox_value(other, t("lab.knobs.optimizer", "en")) == t("common.optimizers.adam", "en")
    assert other.get_by_role("switch", name=t("learning_rate.log_axis", "en")).is_checked() == log_on
    assert query(other.url) == query(copied)
    no_exception(other)


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

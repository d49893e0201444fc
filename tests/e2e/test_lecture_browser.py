"""A scenario card in Chromium: its click scrolls the page to the section the card changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.i18n import t
from core.lecture import SCENARIOS
from tools.appserver import CHROMIUM
from tools.screenshot import page_url, wait_until_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


def test_a_card_click_brings_its_section_into_view(app_url: str, page: object) -> None:
    """The walk's heading sits far below the first screen; after the click it stands at the top of the view."""
    scenario = next(s for s in SCENARIOS if s.id == "sgd_vs_adam")
    page.goto(page_url(app_url, "pages/2_optimizers.py", "en"))
    wait_until_idle(page)
    heading = page.locator(f"#{scenario.section}")
    assert heading.bounding_box()["y"] > page.viewport_size["height"]  # out of view before the click
    page.get_by_text(t("lecture.cards", "en")).click()
    page.get_by_role("button", name=t("lecture.scenarios.sgd_vs_adam.title", "en"), exact=True).click()
    wait_until_idle(page)
    page.wait_for_function(
        f"() => {{ const top = document.getElementById('{scenario.section}').getBoundingClientRect().top;"
        " return top >= 0 && top < 200; }",
        timeout=10_000,
    )
    assert "lr=0.0198" in page.url

"""The downloaded page in Chromium with the network cut: every chart draws, nothing is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.i18n import t
from tools.appserver import CHROMIUM
from tools.screenshot import page_url, wait_until_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]
CHART = "[data-testid='stMain'] [data-testid='stVegaLiteChart']"


def test_the_downloaded_page_draws_every_chart_with_no_network(app_url, browser, page, tmp_path):
    page.goto(page_url(app_url, "pages/1_loss_functions.py", "ja"))
    wait_until_idle(page)
    shown = page.locator(CHART).count()
    with page.expect_download() as download:
        page.get_by_role("button", name=t("lecture.download", "ja")).click()
    saved = tmp_path / "page.html"
    download.value.save_as(saved)

    offline = browser.new_context(offline=True)
    asked: list[str] = []

    def only_the_file(route: object) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # a request for anything else would be a fetch from the network
            asked.append(route.request.url)
            route.abort()

    offline.route("**/*", only_the_file)
    tab = offline.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(saved.as_uri())
    tab.locator(".chart svg.marks").nth(shown - 1).wait_for(state="attached", timeout=30_000)
    assert tab.locator(".chart svg.marks").count() == shown == 5
    assert tab.get_by_text(t("loss_functions.mse.header", "ja")).count() == 1
    assert asked == [] and errors == []
    offline.close()

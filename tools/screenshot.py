"""Screenshots of every page in both languages at projector sizes: python -m tools.screenshot [page id ...]."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from core.pages import PAGES
from tools.appserver import CHROMIUM, CHROMIUM_ARGS, ROOT, running_app

SIZES = ((1440, 900), (1280, 720))
LANGUAGES = ("ja", "en")
# Finished running, and the page has drawn at least one element of its own.
IDLE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return app !== null && app.dataset.testScriptState === "notRunning"
    && document.querySelector("[data-testid='stMain'] [data-testid='stElementContainer']") !== null;
}"""


def url_name(path: str) -> str:
    """The name Streamlit serves a file-based page under (pages/3_learning_rate.py -> learning_rate; app.py -> "")."""
    return "" if path == "app.py" else Path(path).stem.split("_", 1)[1]


def page_url(base: str, path: str, lang: str) -> str:
    """The address Streamlit serves a file-based page at (pages/3_learning_rate.py -> /learning_rate)."""
    return f"{base}/{url_name(path)}?lang={lang}"


def wait_until_idle(page: Page, timeout_ms: int = 90_000) -> None:
    """Wait until the script has run, stayed finished for a moment, and every chart on the page has drawn."""
    for _ in range(3):  # the state reads "notRunning" for an instant before a rerun starts: see it settle
        page.wait_for_function(IDLE, timeout=timeout_ms)
        page.wait_for_timeout(250)
    for chart in page.locator("[data-testid='stVegaLiteChart']").all():
        # The chart element is itself the .vega-embed; Vega draws into an svg (or canvas) inside it.
        chart.locator("svg.marks, canvas").first.wait_for(state="attached", timeout=timeout_ms)


def main(out_dir: Path, only: Sequence[str] = ()) -> list[Path]:
    """Save a first-screen and a whole-page PNG per page, language and size; `only` limits the pages (their ids)."""
    pages = [shown for shown in PAGES if not only or shown.id in only]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with running_app() as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            for shown in pages:
                for lang in LANGUAGES:
                    page.goto(page_url(base, shown.path, lang))
                    wait_until_idle(page)
                    page.wait_for_timeout(800)
                    # What the projector shows first, then the whole page (Streamlit scrolls inside stMain).
                    first = out_dir / f"{shown.id}_{lang}_{width}x{height}.png"
                    page.screenshot(path=str(first))
                    tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                    page.set_viewport_size({"width": width, "height": max(height, int(tall))})
                    page.wait_for_timeout(800)
                    whole = out_dir / f"{shown.id}_{lang}_{width}x{height}_full.png"
                    page.screenshot(path=str(whole))
                    page.set_viewport_size({"width": width, "height": height})
                    written += [first, whole]
            context.close()
        browser.close()
    return written


if __name__ == "__main__":
    for file in main(ROOT / "screenshots", only=sys.argv[1:]):
        print(file)

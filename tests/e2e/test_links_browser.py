"""Real browser: a link longer than Streamlit reads arrives empty, and the page says so (only the browser can tell)."""

from __future__ import annotations

import pytest

from core.i18n import t
from core.ui.widgets import LINK_LIMITS
from tools.screenshot import wait_until_idle

pytestmark = pytest.mark.browser


def test_a_link_with_more_values_than_streamlit_reads_is_named(page: object, app_url: str) -> None:
    query = "&".join(f"junk{i}=x" for i in range(1200))
    page.goto(f"{app_url}/?{query}")
    wait_until_idle(page)
    limits = {f"most_{name}": most for name, most in LINK_LIMITS.items()}
    said = t("link.too_long", "en", fields=1200, characters=len(query), **limits)  # the browser's locale: en-US
    page.locator("[data-testid='stAlertContentWarning']", has_text=said).wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0

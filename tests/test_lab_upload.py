"""The lab on the user's own CSV: trained in this session only, marked in the history, never carried by a link."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import t
from tests.test_app_pages import charts, open_app
from tests.test_lab_page import PAGE, open_lab, runs_in_link
from tests.test_upload import numbers, shared_cache_entries, table_bytes

EVIL = "[x](http://a) $x$ <b>.csv"


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    """Switch the data source to the user's own table and upload `data` as `name`."""
    at.toggle(key="lab.own_csv").set_value(True).run()
    at.file_uploader(key="lab.upload_file").set_value((name, data, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_a_run_on_an_upload_is_marked_and_every_view_works_on_it() -> None:
    lang = "en"  # Japanese: the next two tests
    at = open_lab(lang)
    shared = shared_cache_entries()  # the bundled set's curve drawn before the upload
    upload(at, "clinic.csv", table_bytes(numbers()))
    at.button(key="lab.add").click().run()
    assert not at.exception and not at.error
    (run,) = at.session_state["lab.history"]
    assert run["data"].name == "clinic.csv" and runs_in_link(at) == ["epochs:3;dataset:upload"]
    assert at.dataframe[0].value["dataset"].tolist() == [t("lab.uploaded", lang, name="clinic.csv")]
    for view, drawn in (("seeds", 1), ("grid", 1), ("classes", 2)):
        at.session_state[f"lab.view.{lang}"] = view
        at.run()
        assert not at.exception and not at.error and len(charts(at)) == drawn, view
    at.session_state[f"lab.view.{lang}"] = "code"
    at.run()
    assert t("lab.code.upload", lang, dataset="breast_cancer") in [info.value for info in at.info]
    assert shared_cache_entries() == shared  # nothing trained on the upload entered the cache every visitor shares


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_link_cannot_carry_an_upload_the_notice_says_which_run_and_why(lang: str) -> None:
    at = open_app(lang, PAGE, run=["epochs:3;dataset:upload", "epochs:3;lr:0.01"])
    assert [run["config"].lr for run in at.session_state["lab.history"]] == [0.01]
    assert t("lab.skipped.upload", lang, position=1) in at.warning[0].value


def test_a_malicious_file_name_and_a_loss_that_does_not_fit_are_shown_as_text() -> None:
    pressures = {**numbers(), "sbp": [110.5 + i for i in range(40)]}  # the last column, a number: regression
    at = upload(open_lab("ja", loss="bce"), EVIL, table_bytes(pressures))
    (error,) = at.error
    assert f"`{EVIL}`" in error.value and f"`{EVIL}`" in at.caption[0].value

"""Lecture mode: every scenario opens its page in the stated state; cards, predict-then-reveal, presentation, warm."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.claims import CLAIMS
from core.i18n import t
from core.lecture import SCENARIOS, url_params
from core.pages import PAGES
from tests.test_app_pages import charts
from tests.test_navigation import APP, change, change_everything, notice, open_page, widgets

PATHS = {shown.id: shown.path for shown in PAGES}


def test_every_scenario_names_a_page_and_has_texts_in_both_languages():
    assert len({scenario.id for scenario in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        assert scenario.page in PATHS  # a declared page
        for lang in ("ja", "en"):
            for part in ("title", "question"):
                assert t(f"lecture.scenarios.{scenario.id}.{part}", lang)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_a_scenario_link_opens_its_page_in_the_stated_state(scenario, lang):
    """Every parameter is taken as stated: none is named as ignored, and the page keeps each one in its link."""
    at = open_page(PATHS[scenario.page], lang, **url_params(scenario))
    assert notice(at) == ""
    kept = as_lists({key: value for key, value in at.query_params.items() if key != "lang"})
    assert kept == as_lists(url_params(scenario))
    assert charts(at)
    assert scenario.section in anchors(at)  # the heading a click on its card scrolls to
    assert t("glossary.title", lang) in [expander.label for expander in at.sidebar.expander]


def anchors(at) -> set[str]:
    """The anchors of the page's headings."""
    return {heading.proto.anchor for kind in ("title", "header", "subheader") for heading in getattr(at, kind)}


def as_lists(query: dict) -> dict[str, list[str]]:
    """AppTest's query: a plain dict whose repeated parameters are lists."""
    return {key: value if isinstance(value, list) else [value] for key, value in query.items()}


def card(at, scenario_id):
    (button,) = [b for b in at.button if b.key == f"lecture.card.{scenario_id}"]
    return button


def test_a_card_sets_its_page_even_after_the_widgets_changed():
    at = open_page(PATHS["lr_schedules"], "en")
    at.slider(key="lr_schedules.epochs").set_value(20).run()
    card(at, "warmup_high_lr").click().run()
    assert not at.exception
    assert at.slider(key="lr_schedules.epochs").value == 10  # the card's state: the page's default epochs
    assert as_lists(at.query_params)["scheduler"] == ["none", "cosine", "warmup-cosine"]
    assert at.query_params["optimizer"] == "rmsprop" and at.query_params["lr"] == "0.1"
    assert "epochs" not in at.query_params


def test_predict_mode_asks_first_and_shows_the_result_on_reveal():
    scenario = next(s for s in SCENARIOS if s.id == "decay_ends_lower")
    at = open_page(PATHS["lr_schedules"], "ja", predict="1", **url_params(scenario))
    question = t("lecture.scenarios.decay_ends_lower.question", "ja")
    assert question in [block.value for block in at.markdown]
    assert not charts(at)
    (reveal,) = [b for b in at.button if b.key == "lecture.reveal.lr_schedules"]
    reveal.click().run()
    assert charts(at) and not at.exception
    assert question not in [block.value for block in at.markdown]


def reveal(at, page_id):
    (button,) = [b for b in at.button if b.key == f"lecture.reveal.{page_id}"]
    return button.click().run()


def scroll_targets(at) -> list[str]:
    """The sections this run's scroll scripts ask the browser to scroll to."""
    return [element.proto.body.split('"')[1] for element in at.get("html") if "scrollIntoView" in element.proto.body]


def test_a_card_click_scrolls_to_its_section_once_the_result_shows():
    """Once per click: in predict mode not before the Reveal (the section is not drawn yet), then on the reveal."""
    at = open_page(PATHS["optimizers"], "en")
    card(at, "momentum_ravine").click().run()
    assert scroll_targets(at) == ["optimizers-walk"]
    assert scroll_targets(at.run()) == []
    at = open_page(PATHS["loss_functions"], "en", predict="1")
    card(at, "far_off").click().run()
    assert scroll_targets(at) == [] and not charts(at)
    assert scroll_targets(reveal(at, "loss_functions")) == ["losses-mse"]
    assert scroll_targets(at.run()) == []


OWN_PAGES = ("loss_functions", "optimizers")  # the pages whose every outcome is measured (core/claims.py)


def texts(at) -> list[str]:
    """What the main area says in text: prose, callouts, captions, headings, metrics."""
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "title", "header", "subheader")
    return [element.value for kind in kinds for element in at.main.get(kind)] + [m.value for m in at.main.metric]


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.page in OWN_PAGES], ids=lambda s: s.id)
def test_before_the_reveal_nothing_gives_the_answer_and_after_it_a_talking_point_does(scenario):
    """In predict mode no chart, number, callout or sentence that states the outcome shows before Reveal; after it,
    one talking point says the outcome from this run's numbers, as the card's claim picks it."""
    at = open_page(PATHS[scenario.page], "en", predict="1", **url_params(scenario))
    before = texts(at)
    assert not charts(at) and not at.main.metric and not at.main.dataframe
    assert not [text for kind in ("info", "success", "warning", "error") for text in at.main.get(kind)]
    reveal(at, scenario.page)
    label = f"**{t('lecture.talking_point', 'en')}** "
    [point] = [text.removeprefix(label) for text in texts(at) if text.startswith(label)]
    claims = [claim for claim in CLAIMS if claim.scenario == scenario.id]
    said = [t(f"{claim.text}.holds", "en").split("{")[0] for claim in claims]  # each claim's words, up to a number
    answers = [point] + [words for words in said if len(words) >= 20]
    assert all(any(answer in text for text in texts(at)) for answer in answers)  # said after the reveal ...
    assert not [text for text in before for answer in answers if answer in text]  # ... and not a word before


def test_a_changed_setting_hides_the_result_and_asks_again():
    """The reveal belongs to the question asked: a moved slider or another scenario asks before it shows."""
    scenario = next(s for s in SCENARIOS if s.id == "decay_ends_lower")
    at = open_page(PATHS["lr_schedules"], "en", predict="1", **url_params(scenario))
    assert charts(reveal(at, "lr_schedules")) and not at.exception
    at.slider(key="lr_schedules.epochs").set_value(12).run()
    assert not charts(at) and not at.exception
    assert t("lecture.ask", "en") in [block.value for block in at.markdown]  # this setting is no scenario's
    assert charts(reveal(at, "lr_schedules"))
    card(at, "warmup_high_lr").click().run()
    assert not charts(at)
    assert t("lecture.scenarios.warmup_high_lr.question", "en") in [block.value for block in at.markdown]
    assert charts(reveal(at, "lr_schedules"))
    at.run()  # a rerun that changes nothing keeps the result shown
    assert charts(at)


@pytest.mark.parametrize(
    ("page_id", "key", "value"),
    [("loss_functions", "loss_functions.race_w", 1.0), ("batch_and_epochs", "batch_and_epochs.fit_epochs", 40)],
)
def test_a_setting_drawn_below_the_question_hides_the_result_at_once(page_id: str, key: str, value: object):
    """A widget drawn only while the result shows: its first change asks again on that same rerun, and the next
    reveal shows the changed value (the widget was not drawn in between)."""
    at = reveal(open_page(PATHS[page_id], "en", predict="1"), page_id)
    assert charts(at) and not at.exception
    at.slider(key=key).set_value(value).run()
    assert not charts(at) and not at.exception
    assert t("lecture.ask", "en") in [block.value for block in at.markdown]
    assert charts(reveal(at, page_id)) and at.slider(key=key).value == value  # the change is kept, not lost


def test_predict_mode_without_a_scenario_asks_the_general_question():
    at = open_page(PATHS["loss_functions"], "en", predict="1", pressure="130")
    assert t("lecture.ask", "en") in [block.value for block in at.markdown]
    assert not charts(at)


def test_presentation_mode_styles_the_page_and_every_link_keeps_the_flags():
    at = open_page(PATHS["lr_schedules"], "en", present="1", predict="1")
    assert at.toggle(key="lecture.present").value and at.toggle(key="lecture.predict").value
    assert any("stCaptionContainer" in str(node.proto) for node in at.sidebar if node.type == "html") or any(
        "stCaptionContainer" in element.proto.body for element in at.get("html")
    )
    for link in at.sidebar.get("page_link"):
        assert "present=1" in link.proto.query_string and "predict=1" in link.proto.query_string


def test_a_bad_lecture_flag_is_named_and_ignored():
    at = open_page("app.py", "en", present="banana")  # a link is read by the page it opens
    assert "present" in notice(at) and "banana" in notice(at)
    assert not at.toggle(key="lecture.present").value


def test_after_warm_a_scenario_opens_without_training(tmp_path, monkeypatch):
    import streamlit as st

    import core.ui.runs as runs
    from core.__main__ import main
    from core.warm import DIR_VARIABLE

    scenario = next(s for s in SCENARIOS if s.id == "warmup_high_lr")

    def refuse(*args, **kwargs):
        raise AssertionError("trained although warmed")

    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path / "cold"))
    monkeypatch.setattr(runs, "train", refuse)
    cold = AppTest.from_file(APP, default_timeout=90)
    cold.query_params["lang"] = "en"
    cold.run()
    cold.query_params.update(url_params(scenario))
    cold.switch_page(PATHS["lr_schedules"]).run()
    assert cold.exception  # with an empty store the page has to train: the refusal shows (this test can fail)
    monkeypatch.undo()

    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path / "warm"))
    assert main(["warm", "--scenario", scenario.id]) == 0
    assert any((tmp_path / "warm").iterdir())
    st.cache_data.clear()  # a server started after the warm command: an empty memory cache
    monkeypatch.setattr(runs, "train", refuse)
    at = open_page(PATHS["lr_schedules"], "en", **url_params(scenario))
    assert charts(at)


# Where a page is opened for the round trip: the lab's history widgets are drawn once it has runs, and its hidden
# sizes box once the model is the MLP (changing every widget turns the linear model into the MLP).
START = {"pages/6_lab.py": {"run": ["epochs:3", "lr:0.01;epochs:3"], "model": "linear"}}
NOT_IN_LINK = {"lab.ab_value"}  # the A/B value box: typed for the next pair, not a setting the link keeps


@pytest.mark.parametrize("path", list(PATHS.values()))
def test_every_widget_of_every_page_round_trips_through_its_link(path):
    """Change every widget (text typed into text boxes), then every widget those changes drew, and open the page's
    link afresh: every widget holds the same value, nothing is named as ignored, and the link reopens to itself."""
    at = open_page(path, "en", **START.get(path, {}))
    changed = {widget.key for widget in widgets(at)}
    change_everything(at)
    assert notice(at) == ""  # the page writes nothing into its link that it then drops as not a setting
    if appeared := [widget for widget in widgets(at) if widget.key not in changed]:
        for widget in appeared:
            change(widget)
        at.run()
        assert not at.exception, [error.value for error in at.exception]
        assert notice(at) == ""
    link = {key: value for key, value in at.query_params.items() if key != "lang"}
    assert link or not values(at)  # the changes reached the link (home has no setting widgets)
    fresh = open_page(path, "en", **link)
    assert notice(fresh) == ""
    assert values(fresh) == values(at)
    assert as_lists(fresh.query_params) == as_lists(at.query_params)


def values(at) -> dict[str, object]:
    return {widget.key: widget.value for widget in widgets(at) if widget.key not in NOT_IN_LINK}

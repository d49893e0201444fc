"""The URL-state mechanism of core/ui/widgets.py on a small script: seeding, writing back, checking, escaping."""

from __future__ import annotations

import string
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

import core.ui.widgets as widgets
from core.config import KNOBS, ConfigError
from core.i18n import keys, t
from core.lab import SweepTableError
from core.sweep import SweepError
from core.ui.widgets import MOST_NAMED, Allowed, _Notice, code_span, error_message, url_text
from core.upload import UploadError
from tests.test_navigation import markup

PAYLOADS = {
    "link": "[Log in again](https://example.org/login)",
    "image": "![](http://host/track.png)",
    "html": "<img src=x onerror=alert(1)><b>bold</b>",
    "latex": "$\\frac{1}{0}$",
    "backticks": "``[x](http://e.org)``",
}


def demo() -> None:
    """A page with one widget of each kind, all kept in the URL."""
    import streamlit as st

    from core.ui.widgets import Allowed, drop_unknown, language_key, linked, start_notice

    lang = st.query_params.get("lang", "en")
    start_notice(lang)
    drop_unknown(frozenset({"lang", "epochs", "lr", "dataset", "batch_size"}))  # the settings this page keeps
    linked(
        st.slider,
        "demo.epochs",
        "epochs",
        30,
        Allowed(low=1, high=100, whole=True),
        label="Epochs",
        min_value=1,
        max_value=100,
    )
    linked(
        st.multiselect,
        "demo.rates",
        "lr",
        [0.01],
        Allowed(low=0, high=10, above_low=True, most=3),
        label="Rates",
        options=[0.001, 0.01, 0.1],
    )
    linked(
        st.selectbox,
        language_key("demo.data", lang),
        "dataset",
        "diabetes",
        Allowed(options=("diabetes", "digits", "blood_pressure")),
        label="Data",
        options=["diabetes", "digits", "blood_pressure"],
        format_func=lambda name: f"{lang}:{name}",
    )
    linked(
        st.select_slider,
        "demo.batch",
        "batch_size",
        32,
        Allowed(options=(1, 8, 32, "full")),
        label="Batch",
        options=[1, 8, 32, "full"],
    )


def open_demo(**query: object) -> AppTest:
    at = AppTest.from_function(demo, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_defaults_stay_out_of_the_link() -> None:
    at = open_demo()
    assert at.slider(key="demo.epochs").value == 30
    assert at.multiselect(key="demo.rates").value == [0.01]
    assert at.selectbox(key="demo.data.en").value == "diabetes"
    assert at.select_slider(key="demo.batch").value == 32
    assert dict(at.query_params) == {}
    assert at.warning == []


def test_the_link_seeds_every_widget() -> None:
    at = open_demo(epochs="12", lr=["0.1", "0.001"], dataset="digits", batch_size="full")
    assert at.slider(key="demo.epochs").value == 12
    assert at.multiselect(key="demo.rates").value == [0.1, 0.001]
    assert at.selectbox(key="demo.data.en").value == "digits"
    assert at.select_slider(key="demo.batch").value == "full"
    assert at.warning == []


def test_changes_go_to_the_link_and_a_default_leaves_it() -> None:
    at = open_demo()
    at.slider(key="demo.epochs").set_value(7)
    at.multiselect(key="demo.rates").set_value([0.001, 0.1])
    at.select_slider(key="demo.batch").set_value(8)
    at.run()
    assert at.query_params == {"epochs": "7", "lr": ["0.001", "0.1"], "batch_size": "8"}  # repeated keys for lists
    at.slider(key="demo.epochs").set_value(30).run()
    assert "epochs" not in at.query_params
    at.multiselect(key="demo.rates").set_value([]).run()
    assert at.query_params["lr"] == ""  # an empty choice is kept, so the link does not bring the default back
    assert open_demo(lr="").multiselect(key="demo.rates").value == []


def test_the_link_decides_only_on_the_first_draw() -> None:
    at = open_demo(epochs="12")
    at.slider(key="demo.epochs").set_value(40).run()
    at.run()
    assert at.slider(key="demo.epochs").value == 40
    assert at.query_params["epochs"] == "40"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_bad_values_fall_back_and_are_named_in_one_notice(lang: str) -> None:
    at = open_demo(lang=lang, epochs="-5", lr=["0.1", "junk", "0"], dataset="xx", batch_size="0")
    assert at.slider(key="demo.epochs").value == 30
    assert at.multiselect(key="demo.rates").value == [0.1]  # the good one of the repeated keys stays
    assert at.selectbox(key=f"demo.data.{lang}").value == "diabetes"
    assert at.select_slider(key="demo.batch").value == 32
    (notice,) = at.warning
    text = notice.value
    assert text.startswith(t("link.ignored", lang, items="")[:10])
    for name, value, allowed in (
        ("epochs", "-5", Allowed(low=1, high=100, whole=True)),
        ("lr", "junk", Allowed(low=0, high=10, above_low=True)),
        ("lr", "0", Allowed(low=0, high=10, above_low=True)),
        ("dataset", "xx", Allowed(options=("diabetes", "digits", "blood_pressure"))),
        ("batch_size", "0", Allowed(options=(1, 8, 32, "full"))),
    ):
        item = t("link.item", lang, name=code_span(name), value=code_span(value), reason=allowed.describe(lang))
        assert item in text


def test_repeated_keys_whose_last_value_is_junk() -> None:
    at = open_demo(epochs=["12", "junk"], lr=["junk", "nope"])
    assert at.slider(key="demo.epochs").value == 30  # a single value is the last one: junk, so the default
    assert at.multiselect(key="demo.rates").value == [0.01]  # nothing usable: the default, never an empty page
    assert "`junk`" in at.warning[0].value and "`nope`" in at.warning[0].value


def test_too_many_values_keep_the_first_and_name_the_rest() -> None:
    at = open_demo(lr=["0.001", "0.01", "0.1", "1", "2"])
    assert at.multiselect(key="demo.rates").value == [0.001, 0.01, 0.1]
    assert "`1`" in at.warning[0].value and "`2`" in at.warning[0].value


def test_a_language_switch_keeps_a_translated_choice_and_shows_its_new_label() -> None:
    at = open_demo(lang="ja")
    at.selectbox(key="demo.data.ja").set_value("digits").run()
    for lang in ("en", "ja"):
        at.query_params["lang"] = lang
        at.run()
        box = at.selectbox(key=f"demo.data.{lang}")
        assert box.value == "digits" and f"{lang}:digits" in box.options
        assert len(at.selectbox) == 1
    at.slider(key="demo.epochs").set_value(20).run()  # another widget changes: the choice stays
    assert at.selectbox(key="demo.data.ja").value == "digits"
    assert at.query_params == {"lang": "ja", "dataset": "digits", "epochs": "20"}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payloads_are_shown_as_text(payload: str) -> None:
    at = open_demo(epochs=payload, dataset=payload, lr=payload)
    text = at.warning[0].value
    # CommonMark is the independent oracle: the notice renders with no link, image or HTML, the payload as code.
    html = MarkdownIt("commonmark").renderInline(text)
    assert "<a " not in html and "<img" not in html and "<b>" not in html
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert f"<code>{escaped}</code>" in html
    assert text.count(code_span(payload)) == 3


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_code_span_renders_its_text_literally(payload: str) -> None:
    html = MarkdownIt("commonmark").renderInline(f"ignored: {code_span(payload)} (see)")
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert html == f"ignored: <code>{escaped}</code> (see)"


def test_code_span_keeps_one_line_and_a_bounded_length() -> None:
    assert code_span("a\n\nb") == "`a b`"
    assert len(code_span("x" * 500)) < 70


@pytest.mark.parametrize(
    ("allowed", "text", "value"),
    [
        (Allowed(options=(1, 8, 32, "full"), knob="batch_size"), "full", "full"),
        (Allowed(options=(1, 8, 32, "full"), knob="batch_size"), "8", 8),
        (Allowed(options=(1, 8, 32, "full"), knob="batch_size"), "8.0", 8),
        (Allowed(low=1, high=100, whole=True, knob="epochs"), "12", 12),
        (Allowed(options=(False, True)), "1", True),
        (Allowed(low=0, high=100, above_low=True, knob="lr"), "1e-3", 0.001),
    ],
)
def test_allowed_reads_link_texts(allowed: Allowed, text: str, value: object) -> None:
    assert allowed.read(text) == value


@pytest.mark.parametrize(
    ("allowed", "text"),
    [
        (Allowed(options=(1, 8, 32, "full"), knob="batch_size"), "0"),
        (Allowed(options=(1, 8, 32, "full"), knob="batch_size"), "9"),
        (Allowed(low=1, high=100, whole=True, knob="epochs"), "101"),
        (Allowed(low=1, high=100, whole=True, knob="epochs"), "2.5"),
        (Allowed(low=0, high=100, above_low=True, knob="lr"), "0"),
        (Allowed(low=0, high=100, above_low=True, knob="lr"), "inf"),
        (Allowed(low=0, high=100, above_low=True), "nan"),
        (Allowed(options=("sgd", "adam")), "SGD"),
    ],
)
def test_allowed_refuses_what_the_widget_cannot_show(allowed: Allowed, text: str) -> None:
    with pytest.raises((ValueError, KeyError, ConfigError)):
        allowed.read(text)


def test_url_text_is_what_a_person_types() -> None:
    assert [url_text(v) for v in (10.0, 0.001, 1e-5, 8, "full", True, False)] == [
        "10",
        "0.001",
        "1e-05",
        "8",
        "full",
        "1",
        "0",
    ]


def test_many_unknown_keys_give_one_notice_of_bounded_length_that_counts_them() -> None:
    at = open_demo(**{f"junk{i}": "x" for i in range(900)}, epochs="12")
    (notice,) = at.warning
    assert notice.value.count(t("link.unknown", "en")) == MOST_NAMED  # named one by one up to the bound ...
    assert t("link.more", "en", more=900 - MOST_NAMED, total=900) in notice.value  # ... and counted beyond it
    assert len(notice.value) < 4000  # 900 items named one by one: 36,000 characters
    assert dict(at.query_params) == {"epochs": "12"}


def test_the_notice_is_drawn_once_per_batch_of_values() -> None:
    drawn: list[str] = []
    notice = _Notice("ja", SimpleNamespace(warning=lambda text, icon: drawn.append(text)))
    notice.add([(f"junk{i}", "x", "?") for i in range(900)])
    notice.add([("epochs", "-5", "?")])
    assert len(drawn) == 2  # once per batch, not once per value
    assert t("link.more", "ja", more=901 - MOST_NAMED, total=901) in drawn[-1]


def test_a_link_too_long_for_streamlit_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit passes on no value of such a link; the browser's answer (checked in the real browser) is named."""
    asked: list[dict] = []

    def browser(**kwargs: object) -> dict:
        asked.append(kwargs)
        return {"too_long": {"fields": 1201, "characters": 9000}}

    monkeypatch.setattr(widgets, "_opened_link", browser)
    at = open_demo()  # the link arrives empty
    limits = {"most_fields": 1000, "most_characters": 512 * 1024}
    assert [warning.value for warning in at.warning] == [
        t("link.too_long", "en", fields=1201, characters=9000, **limits)
    ]
    at.run().run()
    assert len(asked) == 2  # asked on the first two runs of the session only
    open_demo(epochs="12")
    assert len(asked) == 2  # a link that arrived is not asked about


def test_the_link_limits_are_streamlits() -> None:
    from streamlit.runtime.state import query_params

    limits = (query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS, query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH)
    assert limits == (widgets.LINK_LIMITS["fields"], widgets.LINK_LIMITS["characters"])


def error_templates(lang: str) -> list[tuple[type[ConfigError], str, list[tuple[str, str]]]]:
    """Every message of every error kind: (the kind, its key, its placeholders with their format specs)."""
    found = []
    for kind in (ConfigError, UploadError, SweepTableError, SweepError):
        for key in sorted(k for k in keys(lang) if k.startswith(f"{kind.topic}.")):
            fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(t(key, lang)) if name]
            found.append((kind, key.removeprefix(f"{kind.topic}."), fields))
    return found


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("payload", [*PAYLOADS.values(), "**B**[click me](https://evil.example/a)$x^2$"])
def test_every_error_message_shows_the_values_it_quotes_as_text(lang: str, payload: str) -> None:
    """Every message of every error, each text it quotes hostile (alone or listed): no link, image, HTML, formula."""
    templates = error_templates(lang)
    assert len(templates) > 50
    for kind, key, fields in templates:
        for value in ((payload, "ok"), payload):
            err = kind(key, **{name: 1.5 if spec else value for name, spec in fields})
            shown = error_message(err, lang)
            assert markup(shown) == [], (key, shown)
        assert all(spec or code_span(payload) in error_message(err, lang) for _, spec in fields), key


def knob_demo() -> None:
    """A page drawing RunConfig knobs through knob_widget, each narrowed the way a lesson page narrows them."""
    import streamlit as st

    from core.ui.widgets import knob_widget, start_notice

    lang = st.query_params.get("lang", "en")
    start_notice(lang)
    st.session_state["demo.out"] = {
        "epochs": knob_widget("epochs", "demo.epochs", lang, default=10, high=50),
        "rates": knob_widget("lr", "demo.rates", lang, default=(0.01,), several=True),
        "optimizer": knob_widget("optimizer", "demo.optimizer", lang, choices=("sgd", "adam"), default="sgd"),
        "batch": knob_widget("batch_size", "demo.batch", lang),
        "gamma": knob_widget("gamma", "demo.gamma", lang),
        "hidden": knob_widget("hidden", "demo.hidden", lang),
    }


def open_knob_demo(**query: object) -> AppTest:
    at = AppTest.from_function(knob_demo, default_timeout=30)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def test_knob_widgets_follow_the_knob_and_the_pages_narrowing() -> None:
    at = open_knob_demo(epochs="40", lr=["0.3", "7"], optimizer="adam", batch_size="full", gamma="0.95")
    epochs, gamma = at.slider(key="demo.epochs"), at.slider(key="demo.gamma")
    assert (epochs.min, epochs.max, epochs.value) == (1, 50, 40)  # RunConfig's range, narrowed to 50 by the page
    assert (gamma.min, gamma.max, gamma.step, gamma.value) == (0.05, 0.95, 0.05, 0.95)  # the knob's span and step
    assert at.multiselect(key="demo.rates").options == [f"{rate:g}" for rate in KNOBS["lr"].choices]
    assert at.selectbox(key="demo.optimizer.en").options == [t(f"common.optimizers.{n}", "en") for n in ("sgd", "adam")]
    assert at.select_slider(key="demo.batch").value == "full"
    assert at.text_input(key="demo.hidden").value == "32"
    assert at.session_state["demo.out"] | {"hidden": None} == {
        "epochs": 40,
        "rates": [0.3, 7.0],
        "optimizer": "adam",
        "batch": "full",
        "gamma": 0.95,
        "hidden": None,
    }
    assert at.warning == []
    at.multiselect(key="demo.rates").set_value([0.3, "0,5", "junk"]).run()  # typed: a decimal comma, and junk
    assert at.session_state["demo.out"]["rates"] == [0.3, 0.5]
    assert any("`junk`" in warning.value for warning in at.warning)


def test_knob_widgets_refuse_what_the_page_narrowed_away() -> None:
    at = open_knob_demo(epochs="60", optimizer="momentum", gamma="1", hidden="0", batch_size="9")
    assert at.session_state["demo.out"]["epochs"] == 10 and at.session_state["demo.out"]["optimizer"] == "sgd"
    (notice,) = at.warning
    for param, value, allowed in (
        ("epochs", "60", Allowed(low=1, high=50, whole=True)),
        ("optimizer", "momentum", Allowed(options=("sgd", "adam"))),
        ("gamma", "1", Allowed(low=0.05, high=0.95)),
        ("batch_size", "9", Allowed(options=KNOBS["batch_size"].choices)),
    ):
        item = t("link.item", "en", name=code_span(param), value=code_span(value), reason=allowed.describe("en"))
        assert item in notice.value
    assert "`hidden` = `0`" in notice.value

"""Every page with every other, through app.py as a visitor goes: page walks after changing every widget, language
switches, shared links with bad values and with markdown payloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from itertools import permutations
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from core.i18n import _texts, t
from core.pages import HOME
from core.pages import PAGES as DECLARED
from core.ui.widgets import code_span

APP = Path(__file__).resolve().parents[1] / HOME.path
PAGES = [page.path for page in DECLARED]
BY_PATH = {page.path: page for page in DECLARED}
SIDEBAR_KEYS = {"ui_lang", "lecture.present", "lecture.predict"}  # the shared sidebar's widgets, on every page
CHOICE_KINDS = ("selectbox", "select_slider", "button_group", "multiselect")
VALUE_KINDS = ("slider", "number_input", "toggle", "checkbox")
TYPED_KINDS = ("text_input",)
# What a person types into each text box (a new box without an entry here fails the tests that change every widget).
TYPED = {"lab.hidden": "64,32", "lab.ab_value": "0.1"}
PAYLOADS = {
    "link": "[Log in again](https://example.org/login)",
    "image": "![](http://host/track.png)",
    "html": "<img src=x onerror=alert(1)><b>bold</b>",
    "latex": "$\\int_0^1 x\\,dx$",
}
TEXT_KINDS = ("markdown", "caption", "warning", "info", "error", "success", "title", "header", "subheader")
# Ids and words that options are formatted from: every locale key segment (data sets, optimizers, landscapes ...).
KNOWN_IDS = {part for key in _texts("en") for part in key.split(".")}


def open_page(path: str, lang: str = "en", **query: object) -> AppTest:
    """`path` opened from a shared link with `?lang=` and `query`, as the browser opens a page's address: AppTest
    starts at app.py, so the page and its link follow app.py's first run."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    if path != HOME.path:
        at.run()
        at.switch_page(path)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [error.value for error in at.exception]
    return at


def follow_sidebar_link(at: AppTest, path: str) -> AppTest:
    """Click the sidebar's link to `path`: the URL becomes the link's own query, as in the browser."""
    label = t(f"nav.{BY_PATH[path].id}", at.query_params.get("lang", "en"))
    (link,) = [link for link in at.sidebar.get("page_link") if link.proto.label == label]
    at.query_params.clear()
    at.query_params.update({key: values[-1] for key, values in parse_qs(link.proto.query_string).items()})
    at.switch_page(path).run()
    return at


def widgets(at: AppTest, kinds: tuple[str, ...] = CHOICE_KINDS + VALUE_KINDS + TYPED_KINDS) -> Iterator[object]:
    """The page's own widgets (not the shared sidebar), of the given kinds."""
    for kind in kinds:
        for widget in at.get(kind):
            if widget.key not in SIDEBAR_KEYS:
                yield widget


def raw_option(widget: object, shown: str) -> object:
    """The value behind an option shown as `shown` (options reach the test only in their formatted form)."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", shown)]
    candidates = [*(int(n) for n in numbers if n.is_integer()), *numbers, *sorted(KNOWN_IDS), shown]  # 1 before 1.0
    matches = [c for c in candidates if shows(widget, c) == shown]
    assert matches, (widget.key, shown)
    return matches[0]


def shows(widget: object, value: object) -> str | None:
    """How `widget` shows `value`; None for a value it has no name for."""
    try:
        return str(widget.format_func(value))
    except (KeyError, TypeError, ValueError):
        return None


def change(widget: object) -> None:
    """Set `widget` to a value other than its current one, at the cheap end where there is one."""
    kind = widget.type
    if kind in ("toggle", "checkbox"):
        widget.set_value(not widget.value)
    elif kind in ("slider", "number_input"):
        widget.set_value(widget.min if widget.value != widget.min else widget.max)
    elif kind == "text_input":
        widget.input(TYPED[widget.key])  # typed text, as a person enters it (not a value set from code)
    elif kind == "selectbox":
        widget.select_index(len(widget.options) - 1 if widget.index != len(widget.options) - 1 else 0)
    else:
        current = widget.value if isinstance(widget.value, list) else [widget.value]
        # From the end: the full batch, not batch 1 (a choice change must stay cheap to train)
        other = next(
            raw_option(widget, shown) for shown in widget.options[::-1] if raw_option(widget, shown) not in current
        )
        multi = kind == "multiselect" or (kind == "button_group" and isinstance(widget.value, list))
        widget.set_value([other] if multi else other)


def change_everything(at: AppTest) -> AppTest:
    """Every widget of the page to a non-default value, in one rerun."""
    for widget in list(widgets(at)):
        change(widget)
    at.run()
    assert not at.exception, [error.value for error in at.exception]
    return at


def walk() -> list[tuple[str, str]]:
    """Every ordered pair of pages once, as one walk (an Euler circuit of the complete directed graph)."""
    left, stack, circuit = set(permutations(PAGES, 2)), [PAGES[0]], []
    while stack:
        here = stack[-1]
        step = next((pair for pair in sorted(left) if pair[0] == here), None)
        if step is None:
            circuit.append(stack.pop())
        else:
            left.remove(step)
            stack.append(step[1])
    circuit.reverse()
    return list(zip(circuit, circuit[1:], strict=False))


@cache
def page_params(path: str) -> frozenset[str]:
    """The URL parameters a page keeps (found by changing every widget), besides lang."""
    at = change_everything(open_page(path))
    return frozenset(at.query_params) - {"lang"}


def notice(at: AppTest) -> str:
    """The one notice that names what was ignored from the link ('' when there is none)."""
    lang = at.query_params.get("lang", "en")
    start = t("link.ignored", lang, items="")
    found = [warning.value for warning in at.warning if warning.value.startswith(start)]
    assert len(found) <= 1
    return found[0] if found else ""


def test_the_walk_covers_every_pair_of_pages() -> None:
    assert sorted(walk()) == sorted(permutations(PAGES, 2))


def test_walk_from_every_page_to_every_other_after_changing_every_widget() -> None:
    at = open_page(PAGES[0])
    keys: dict[str, set[str]] = {}
    for here, there in walk():
        change_everything(at)
        keys.setdefault(here, set()).update(widget.key for widget in widgets(at))
        follow_sidebar_link(at, there)
        assert not at.exception, (here, there, [error.value for error in at.exception])
        # Nothing of the page just left reaches this page's link: only lang, and this page's own defaults stay out.
        assert dict(at.query_params) == {"lang": "en"}, (here, there)
        assert notice(at) == ""
    for path, owned in keys.items():  # every widget key is owned by one page: it starts with the page's id
        assert all(key.startswith(BY_PATH[path].key_prefix) for key in owned), (path, owned)


def test_optimizers_landscape_then_learning_rate_does_not_crash() -> None:
    # Bug 1: the landscape's own learning rate (a float) reached the learning-rate page's list of rates.
    at = open_page("pages/2_optimizers.py")
    label = t("optimizers.controls.surface", "en")
    (surface,) = [box for box in at.selectbox if box.label == label]
    surface.set_value("rosenbrock").run()
    assert not at.exception
    follow_sidebar_link(at, "pages/3_learning_rate.py")
    assert not at.exception, [error.value for error in at.exception]
    assert dict(at.query_params) == {"lang": "en"}
    assert at.title[0].value == t("learning_rate.title", "en")


def switch_language(at: AppTest, lang: str) -> AppTest:
    at.button_group(key="ui_lang").set_value(lang).run()
    assert not at.exception, [error.value for error in at.exception]
    return at


def choices(at: AppTest) -> dict[str, object]:
    """Every choice widget's value, by its key without the language (translated selects are keyed per language)."""
    return {re.sub(r"\.(ja|en)$", "", widget.key): widget.value for widget in widgets(at, CHOICE_KINDS)}


@pytest.mark.parametrize("path", PAGES)
def test_a_language_switch_keeps_every_choice(path: str) -> None:
    at = open_page(path, "ja")
    for widget in list(widgets(at, CHOICE_KINDS)):
        change(widget)
    at.run()
    assert not at.exception
    chosen, link = choices(at), dict(at.query_params)
    for lang in ("en", "ja"):
        switch_language(at, lang)
        assert choices(at) == chosen, lang
        assert dict(at.query_params) == {**link, "lang": lang}
        shown = [widget for widget in widgets(at, ("selectbox",)) if widget.key.endswith(f".{lang}")]
        assert all(widget.key.endswith(f".{lang}") for widget in widgets(at, ("selectbox",))), "keyed per language"
        assert all(str(widget.format_func(widget.value)) in widget.options for widget in shown)
    others = list(widgets(at, VALUE_KINDS))
    if others:  # the next change of another widget must not reset a choice (bug 2)
        change(others[0])
        at.run()
        assert not at.exception
        assert choices(at) == chosen
        keys = set(link) | set(at.query_params)
        changed = {key for key in keys if link.get(key) != at.query_params.get(key)}
        assert len(changed) == 1, changed  # only the other widget's own parameter


@pytest.mark.parametrize("path", PAGES)
def test_junk_in_every_parameter_falls_back_and_is_named(path: str) -> None:
    params = sorted(page_params(path))
    defaults = open_page(path)
    at = open_page(path, **{name: "junk" for name in params})
    assert [widget.value for widget in widgets(at)] == [widget.value for widget in widgets(defaults)]
    for name in params:
        assert f"{code_span(name)} = {code_span('junk')}" in notice(at), name
    assert dict(at.query_params) == {"lang": "en"}  # what was ignored does not stay in the link


@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("pages/1_loss_functions.py", {"pressure": "999", "race_w": "nan"}, ["pressure", "race_w"]),
        ("pages/3_learning_rate.py", {"epochs": "-5", "batch_size": "0", "dataset": "xx"}, ["epochs", "batch_size"]),
        ("pages/3_learning_rate.py", {"lr": ["0.1", "1", "junk"], "optimizer": ["adam", "junk"]}, ["lr", "optimizer"]),
        ("pages/2_optimizers.py", {"surface": "xx", "opts": ["adam", "junk"]}, ["surface", "opts"]),
        ("app.py", {"lang": "xx"}, ["lang"]),
    ],
)
def test_bad_values_from_the_brief_are_named(path: str, query: dict, named: list[str]) -> None:
    at = open_page(path, **query)
    for name in named:
        assert f"{code_span(name)} = " in notice(at), name


def test_repeated_keys_keep_their_good_values() -> None:
    at = open_page("pages/3_learning_rate.py", lr=["0.1", "1", "junk"])
    assert at.multiselect(key="learning_rate.rates").value == [0.1, 1.0]
    assert at.query_params["lr"] == ["0.1", "1"]


def test_a_repeated_single_value_key_uses_the_last_and_names_the_others() -> None:
    at = open_page("pages/3_learning_rate.py", epochs=["12", "40"])
    assert at.slider(key="learning_rate.epochs").value == 40
    assert f"{code_span('epochs')} = {code_span('12')}" in notice(at)
    assert f"{code_span('epochs')} = {code_span('40')}" not in notice(at)


def rendered(at: AppTest) -> Iterator[str]:
    """Every markdown text of the page, rendered by a CommonMark parser (the independent oracle)."""
    parser = MarkdownIt("commonmark")
    for kind in TEXT_KINDS:
        for element in at.get(kind):
            yield parser.render(element.value)


def markup(text: str) -> list[str]:
    """What of `text` would render as more than words outside code spans, by CommonMark's tokens (the independent
    oracle): links, images, HTML, emphasis, and text with `$` or an address, which Streamlit's renderer turns into a
    formula or a link."""
    found = []
    for block in MarkdownIt("commonmark").parse(text):
        for token in [block, *(block.children or [])]:
            if token.type in ("link_open", "image", "html_inline", "html_block", "strong_open", "em_open"):
                found.append(token.type)
            elif token.type == "text" and re.search(r"\$|://|www\.", token.content):
                found.append(token.content)
    return found


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
@pytest.mark.parametrize("path", PAGES)
def test_markdown_payloads_in_every_parameter_show_as_text(path: str, payload: str) -> None:
    params = sorted(page_params(path) | ({"lang"} if path == "app.py" else set()))  # app.py reads lang first
    at = open_page(path, **{name: payload for name in params})
    text = notice(at)
    for name in params:
        assert f"{code_span(name)} = {code_span(payload)}" in text, name
    # Outside code spans, nothing of the payload is left to become a link, an image, HTML or a formula.
    html = re.sub(r"<code>.*?</code>", "", "\n".join(rendered(at)), flags=re.DOTALL)
    for fragment in ("example.org", "host/track.png", "onerror", "<b>bold", "\\int_0"):
        assert fragment not in html, fragment

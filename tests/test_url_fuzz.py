"""Bad links on every page, drawn by hypothesis: garbage, huge and negative numbers, NaN, inf, unknown keys, HTML,
markdown, LaTeX, very long and repeated values.

Two layers. Each page's link readers are recorded from real page runs (which parameter, its default, what it allows);
hypothesis then drives those same readers with ≥ 200 drawn links per page (cheap: no page run per example). A smaller
number of drawn links per page go through the whole page under AppTest: no exception, every bad value and unknown key
named in the one notice, the defaults drawn, nothing of the link rendered as a link, image, HTML or formula. The
lab's reader of one `run=` entry gets hostile values in every field (a pure function: no page run either)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import core.ui.widgets as widgets_module
from core.config import CHOICES, KNOBS, ConfigError, RunConfig
from core.i18n import t
from core.lab import HIDDEN_MARK, KNOB_NAMES, MAX_RUNS, all_params, read_run, run_text
from core.lecture import SCENARIOS, url_params
from core.pages import LECTURE_PARAMS, page
from core.ui.lab.history import read_entry
from core.ui.widgets import Allowed, code_span, read_link, url_text
from tests.test_navigation import BY_PATH, PAGES, change_everything, markup, notice, open_page, rendered, widgets

READER_EXAMPLES = 200  # per page, through the page's recorded readers
PAGE_EXAMPLES = 6  # per page, through the whole page (each costs a page run: about a second here)
LAB = "pages/6_lab.py"
# Links that draw the widgets a page shows only for some settings: the optimizers page's seed on the noisy ravine;
# the lab's momentum and schedule knobs, the history's chart switches (drawn once it has runs) and each view.
MORE_LINKS = {
    "pages/2_optimizers.py": ({"surface": "noisy_ravine"},),
    LAB: (
        {"optimizer": "momentum", "scheduler": "step"},
        {"scheduler": "warmup-cosine"},
        {"scheduler": "plateau"},
        {"run": "epochs:3"},
        *({"view": view} for view in ("seeds", "grid", "classes", "code")),
    ),
}


@contextmanager
def recording() -> Iterator[tuple[dict[str, tuple], set[str]]]:
    """Record every link reader a page run calls (param → default, allowed, several) and every parameter it keeps."""
    readers: dict[str, tuple] = {}
    kept: set[str] = set()
    read, write = widgets_module._from_link, widgets_module._to_link

    def from_link(param: str, default: Any, allowed: Allowed, several: bool) -> Any:
        readers[param] = (default, allowed, several)
        return read(param, default, allowed, several)

    def to_link(param: str, *args: Any) -> None:
        kept.add(param)
        write(param, *args)

    widgets_module._from_link, widgets_module._to_link = from_link, to_link
    try:
        yield readers, kept
    finally:
        widgets_module._from_link, widgets_module._to_link = read, write


@cache
def page_links(path: str) -> tuple[dict[str, tuple], frozenset[str]]:
    """The readers a page calls and the parameters it keeps (writes, or leaves in its link): default state, every
    widget changed, and the links that draw more widgets (MORE_LINKS)."""
    with recording() as (readers, kept):
        runs = [change_everything(open_page(path)), *(open_page(path, **query) for query in MORE_LINKS.get(path, ()))]
        kept |= {param for at in runs for param in at.query_params} - LECTURE_PARAMS
    return own(path, readers), frozenset(own(path, dict.fromkeys(kept)))


def own(path: str, recorded: dict[str, Any]) -> dict[str, Any]:
    """What a page's runs recorded, less what app.py's first run did: AppTest opens every page from app.py."""
    if path == "app.py":
        return recorded
    with recording() as (home, kept):
        open_page("app.py")
    return {param: value for param, value in recorded.items() if param not in home.keys() | kept}


def declared(path: str) -> frozenset[str]:
    """The parameters the page at `path` declares (core.pages), the lecture's aside."""
    return BY_PATH[path].link_params - LECTURE_PARAMS


@pytest.mark.parametrize("path", PAGES)
def test_every_parameter_a_page_keeps_is_one_it_declares(path: str) -> None:
    readers, kept = page_links(path)
    assert set(readers) <= kept  # what is read from the link is written back to it
    assert kept <= declared(path), kept - declared(path)  # or a link with it would lose it as "not a setting here"
    assert declared(path) <= kept, declared(path) - kept  # and the declaration lists nothing the page does not keep


def test_every_scenario_link_holds_parameters_its_page_declares() -> None:
    for scenario in SCENARIOS:
        assert set(url_params(scenario)) <= page(scenario.page).link_params, scenario.id


# --- drawn link texts -------------------------------------------------------------------------------------------

PAYLOADS = [
    "[Log in again](https://example.org/login)",
    "![](http://host/track.png)",
    "<img src=x onerror=alert(1)><b>bold</b>",
    "<script>alert(1)</script>",
    "$\\int_0^1 x\\,dx$",
    "`code` and ``more``",
    "**bold** _it_",
    "line\n\nnext",
]
NASTY = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e309", "-1e309", "-0", "0x10", "1_000", " 3 ", "None", "", "-"]),
    st.sampled_from(["０.１", "１", "\u200b1", "\u202e1.0", "🙂", "full ", "FULL", "true", "1e-400", "2147483648"]),
    st.integers(-(10**30), 10**30).map(str),
    st.floats().map(repr),
    st.sampled_from(PAYLOADS),
    st.text(max_size=20),
    st.text(alphabet="0123456789.e-", min_size=1, max_size=8),
    st.integers(1000, 12000).map(lambda n: "9" * n),  # very long values
)


def good_texts(default: Any, allowed: Allowed) -> st.SearchStrategy[str]:
    """Texts the reader must accept: an option, a number inside the range, or the default as the link writes it."""
    defaults = [url_text(value) for value in (default if isinstance(default, (list, tuple)) else [default])]
    choices = [st.sampled_from(defaults)] if defaults else []
    if allowed.options is not None:
        choices.append(st.sampled_from([url_text(option) for option in allowed.options]))
    elif allowed.low is not None and allowed.high is not None:
        if allowed.whole:
            choices.append(st.integers(int(allowed.low) + allowed.above_low, int(allowed.high)).map(str))
        else:
            numbers = st.floats(allowed.low, allowed.high, exclude_min=allowed.above_low)
            choices.append(numbers.filter(lambda x: x != 0 or not allowed.above_low).map(repr))
    return st.one_of(*choices)


def satisfies(allowed: Allowed, value: Any) -> bool:
    """Is `value` one that the widget could hold (an independent reading of Allowed's fields)?"""
    if allowed.options is not None and value not in allowed.options:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or (allowed.whole and value != int(value)):
            return False
        if allowed.low is not None and (value <= allowed.low if allowed.above_low else value < allowed.low):
            return False
        if allowed.high is not None and value > allowed.high:
            return False
    return True


def shown_safely(param: str, text: str, reason: str, lang: str) -> bool:
    """The notice's item for a rejected text renders as text: no link, image, HTML or formula outside code."""
    item = t("link.item", lang, name=code_span(param), value=code_span(text), reason=reason)
    html = re.sub(r"<code>.*?</code>", "", MarkdownIt("commonmark").render(item), flags=re.DOTALL)
    return not re.search(r"<(?!/?p>)|\$|\]\(", html)


def link_for(readers: dict[str, tuple]) -> st.SearchStrategy[dict[str, list[tuple[str, bool]]]]:
    """A drawn link over a page's parameters: each absent, or one to three texts, each good (True) or nasty."""

    def texts(param: str) -> st.SearchStrategy[list[tuple[str, bool]]]:
        default, allowed, several = readers[param]
        text = st.one_of(good_texts(default, allowed).map(lambda s: (s, True)), NASTY.map(lambda s: (s, False)))
        return st.lists(text, min_size=1, max_size=3 if several else 2)

    return st.fixed_dictionaries({}, optional={param: texts(param) for param in readers})


@pytest.mark.parametrize("path", PAGES)
def test_drawn_links_through_every_reader_of_the_page(path: str) -> None:
    readers, _ = page_links(path)
    if not readers:
        pytest.skip("this page keeps nothing in the link")

    @settings(max_examples=READER_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(link=link_for(readers), lang=st.sampled_from(["ja", "en"]))
    def check(link: dict[str, list[tuple[str, bool]]], lang: str) -> None:
        for param, drawn in link.items():
            default, allowed, several = readers[param]
            texts = [text for text, _ in drawn]
            value, rejected = read_link(param, texts, default, allowed, several, lang)
            named = [text for text, _ in rejected]
            assert all(reason for _, reason in rejected)
            assert all(shown_safely(param, text, reason, lang) for text, reason in rejected)
            if several:
                assert isinstance(value, list) and len(set(map(repr, value))) == len(value)
                assert allowed.most is None or len(value) <= allowed.most
                assert all(satisfies(allowed, item) for item in value)
                usable = [text for text in texts if text != ""]
                for text, good in drawn:  # a good text is used, or named as one too many
                    if good:
                        assert text in named or any(
                            url_text(item) == url_text(allowed.read(text, param if param in KNOBS else None))
                            for item in value
                        )
                if usable and all(text in named for text in usable):
                    assert value == list(default)  # nothing usable: the default, and every text named
            else:
                text, good = drawn[-1]  # a repeated key: the last one counts, as Streamlit's query_params[key]
                earlier = [early for early in texts[:-1] if early not in ("", text)]
                assert satisfies(allowed, value) or value == default
                assert named[: len(earlier)] == earlier  # every other value of a repeated key is named
                if good:
                    assert named == earlier
                if named != earlier:
                    assert named == [*earlier, text] and value == default

    check()


def test_a_bad_value_is_never_accepted_by_the_readers() -> None:
    """The same properties catch a reader that lets a bad number through (checked here once, on purpose)."""
    allowed = Allowed(low=1, high=100, whole=True)
    for text in ("nan", "inf", "-5", "1e309", "2.5", "０.１"):
        value, rejected = read_link("epochs", [text], 30, allowed, False, "en")
        assert value == 30 and [r[0] for r in rejected] == [text]


# --- whole pages ----------------------------------------------------------------------------------------------

UNKNOWN = st.one_of(
    st.sampled_from(["learning_rate", "utm_source", "LR", "lr ", "<b>x</b>", "[a](http://x)", "$x$"]),
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
)


@pytest.mark.parametrize("path", PAGES)
def test_drawn_bad_links_render_every_page_with_the_defaults_and_one_notice(path: str) -> None:
    with recording() as (readers, _):  # what the page reads as it opens (the lab reads `gamma` only for some schedules)
        defaults = [widget.value for widget in widgets(open_page(path))]
    readers = own(path, readers)
    bad = NASTY.filter(lambda text: text.strip() != "" and len(text) < 3000)  # a page run per example: keep it short

    @settings(
        max_examples=PAGE_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],  # no shrinking: each example is a page run
        suppress_health_check=list(HealthCheck),
    )
    @given(
        values=st.fixed_dictionaries({param: bad for param in readers}),
        unknown=UNKNOWN.filter(lambda key: key not in BY_PATH[path].link_params | {"path"}),  # `path`: open_page's
        lang=st.sampled_from(["ja", "en"]),
    )
    def check(values: dict[str, str], unknown: str, lang: str) -> None:
        query = {param: text for param, text in values.items() if _rejected(readers[param], param, text)}
        at = open_page(path, lang, **query, **{unknown: "<i>x</i>"})
        assert [widget.value for widget in widgets(at)] == defaults
        text = notice(at)
        for param, value in {**query, unknown: "<i>x</i>"}.items():
            assert f"{code_span(param)} = {code_span(value)}" in text, param
        assert dict(at.query_params) == {"lang": lang}  # what was ignored does not stay in the link
        html = re.sub(r"<code>.*?</code>", "", "\n".join(rendered(at)), flags=re.DOTALL)
        for fragment in ("example.org", "track.png", "onerror", "<script", "<b>bold", "<i>x", "\\int_0"):
            assert fragment not in html, fragment

    check()


def _rejected(reader: tuple, param: str, text: str) -> bool:
    """Only the drawn texts that the page must refuse (a nasty draw may happen to be a fine value, e.g. "1")."""
    default, allowed, several = reader
    return bool(read_link(param, [text], default, allowed, several, "en")[1])


# --- the lab's history: every field of a `run=` entry -----------------------------------------------------------

FIELD_EXAMPLES = 12  # per field of a `run=` entry: a hostile value among good ones (21 fields: 252 entries)
ENTRY_EXAMPLES = 100  # entries of any shape, and good ones
GOOD_FIELDS = {
    name: st.sampled_from([*CHOICES.get(name, ()), value, *({"lr": ["0.1"], "hidden": ["16,8"]}.get(name, []))])
    for name, value in all_params(RunConfig()).items()
}


def entry(fields: dict[str, str], hidden: bool) -> str:
    """A `run=` entry as the lab writes it: knob:value pairs joined by semicolons, `~` in front of a hidden run."""
    return (HIDDEN_MARK if hidden else "") + ";".join(f"{name}:{value}" for name, value in fields.items())


def good_fields() -> st.SearchStrategy[dict[str, str]]:
    """A few knobs, each with a value RunConfig reads."""
    names = st.lists(st.sampled_from(KNOB_NAMES), max_size=4, unique=True)
    return names.flatmap(lambda chosen: st.fixed_dictionaries({name: GOOD_FIELDS[name] for name in chosen}))


def check_entry(text: str, position: int, kept: int, lang: str) -> RunConfig | None:
    """The lab's reader of one entry: a usable run reads back the same from what the lab writes; an unusable one is
    named with a reason, the entry and every value the reason quotes as code."""
    config, why = read_entry(text, position, kept, lang)
    if config is None:
        item = t("link.item", lang, name=code_span("run"), value=code_span(text), reason=why)
        assert why and markup(item) == [], item
    else:
        assert kept < MAX_RUNS and config == config.validated()
        assert read_run(run_text(config)) == config
    return config


@pytest.mark.parametrize("field", KNOB_NAMES)
def test_hostile_values_in_every_field_of_a_run_entry(field: str) -> None:
    @settings(max_examples=FIELD_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(good_fields(), NASTY, st.booleans(), st.sampled_from(["ja", "en"]))
    def check(others: dict[str, str], value: str, hidden: bool, lang: str) -> None:
        fields = {**others, field: value}
        config = check_entry(entry(fields, hidden), 1, 0, lang)
        if ";" not in value and _refused(fields):
            assert config is None  # what RunConfig refuses is never trained, whichever field holds it

    check()


@settings(max_examples=ENTRY_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(st.builds(entry, good_fields(), st.booleans()), NASTY, st.text(max_size=40)),
    st.integers(1, 20),
    st.integers(0, MAX_RUNS),
    st.sampled_from(["ja", "en"]),
)
def test_drawn_run_entries_of_any_shape(text: str, position: int, kept: int, lang: str) -> None:
    check_entry(text, position, kept, lang)


def _refused(fields: dict[str, str]) -> bool:
    """Whether RunConfig refuses these knob values."""
    try:
        RunConfig.from_params(fields)
    except ConfigError:
        return True
    return False

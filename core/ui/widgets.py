"""Keyed, translated widgets whose values live in the URL, so a lecturer can share the exact state of a page.

Pages draw every setting through one entry point, `knob_widget`: a knob declared once (RunConfig's in
core.config.KNOBS, or a page's own Knob), narrowed by the page; the widget and its link reader follow the knob.
Underneath, one mechanism for every widget, `linked`:

- The widget key belongs to one page and starts with its id (`learning_rate.rates`, `loss_functions.pressure`):
  two pages never share a key, so a float on one page can never reach a list on another. The URL parameter is the
  knob's name (`lr`, `batch_size`) or the page's own short name (`pressure`), as the page declares it (core.pages),
  so a link reads like the command line.
- On the first draw of a key, the value comes from the URL (checked, or the default) into `st.session_state`; the
  widget itself gets no `value=`/`default=`. After every draw, the value goes back to the URL; defaults stay out
  of the link; a multi-value widget uses repeated keys (`lr=0.1&lr=1`).
- A bad value from the link falls back to the default and is named, escaped, in one notice per page; so is a
  parameter the page does not declare.
- Translated choices (optimizer, data set) keep the language-neutral id in the URL, and their key includes the
  language: after a switch a fresh widget shows the same choice with the new labels at once.

Streamlit's own `bind="query-params"` is not used: it names the URL parameter after the key (so keys could not be
page-owned), keeps a bound value alive across page switches (bug: a float `lr` from one page reaching a list `lr`
on another) and cannot validate or name what it ignores.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from core.config import CHOICE, KNOBS, NUMBER, SIZES, SWITCH, WHOLE, ConfigError, Knob, format_param
from core.i18n import join, t

T = TypeVar("T")

MAX_TYPED = 8  # the most numbers a multiselect that also takes typed values holds (learning rates)
FULL_BATCH_LABEL = "N"  # the article's N: every training example in one batch; the same in both languages
# Where a knob's texts live besides its label (lab.knobs.<name>): the names of its choices (else
# lab.choices.<name>.<choice>), a help it shows wherever it is drawn, and for several typed numbers
# common.widgets.<name> (label, help, placeholder, invalid, empty).
CHOICE_NAMES = {"optimizer": "common.optimizers", "dataset": "common.datasets", "scheduler": "lr_schedules.names"}
KNOB_HELP = {"batch_size": "common.widgets.batch.help", "epochs": "common.widgets.epochs.help"}
_NOTICE = "link.notice"
_LONGEST_SHOWN = 60  # characters of a rejected value that the notice repeats
# Values the notice names one by one; more are counted. Above any page's own parameters (the lab keeps 30), so a link
# with junk in every setting is named in full, while a link with thousands of values gives a notice of a few KB.
MOST_NAMED = 40
# Streamlit 1.67 passes on no value of a link with more fields or characters than these (the whole link is dropped,
# with a line in the server log only): streamlit/runtime/state/query_params.py, CLIENT_STATE_QUERY_STRING_MAX_*.
LINK_LIMITS = {"fields": 1000, "characters": 512 * 1024}
_LENGTH_CHECKS = "link.length_checks"
_ICON = ":material/link_off:"
# Asks the browser for the address it opened (performance's navigation entry: Streamlit has replaced the address bar
# by then) and reports its size when it was over the limits.
_opened_link = st.components.v2.component(
    "opened_link",
    js="""
export default function ({ data, setTriggerValue }) {
  const entry = performance.getEntriesByType("navigation")[0];
  const query = entry ? new URL(entry.name).search.slice(1) : "";
  const fields = query ? query.split("&").length : 0;
  if (fields > data.fields || query.length > data.characters) {
    setTriggerValue("too_long", { fields, characters: query.length });
  }
}
""",
)


@dataclass(frozen=True)
class Allowed:
    """What a value from the link may be: one of `options`, or a number from `low` to `high`.

    `knob` names the RunConfig field whose knob reads the text (`batch_size` reads "full" or a whole number); a URL
    parameter named like a RunConfig field is read by its knob without saying so.
    """

    options: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    whole: bool = False
    above_low: bool = False  # the low end itself is not allowed (a learning rate is above 0)
    most: int | None = None  # for several values: at most this many
    knob: str | None = None
    as_text: bool = False  # a text box: the value is the link's text itself, once the knob has read it

    def read(self, text: str, knob: str | None = None) -> Any:
        """The value that `text` stands for; ValueError (or ConfigError) when it is not allowed."""
        knob = self.knob or knob
        if knob:
            value = KNOBS[knob].read(text)
            if self.as_text:
                return text
        elif self.options is not None:
            value = {url_text(option): option for option in self.options}[text]
        else:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
        if self.options is not None and value not in self.options:
            raise ValueError(text)
        if self.whole:
            if value != int(value):
                raise ValueError(text)
            value = int(value)
        too_low = self.low is not None and (value <= self.low if self.above_low else value < self.low)
        if too_low or (self.high is not None and value > self.high):
            raise ValueError(text)
        return value

    def describe(self, lang: str) -> str:
        """What the link may hold, as the end of a sentence ("must be a whole number from 1 to 100")."""
        if self.options is not None:
            names = [code_span(url_text(option)) for option in self.options]
            return t("link.one_of", lang, options=join(names, lang))
        kind = "above" if self.above_low else "whole_between" if self.whole else "between"
        return t(f"link.{kind}", lang, low=url_text(self.low), high=url_text(self.high))


def url_text(value: object) -> str:
    """A value as the URL holds it: 1 and 0 for switches, 10 not 10.0, ids as they are."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def code_span(value: object) -> str:
    """`value` as inline code: markdown, links, images, HTML and $LaTeX$ inside it show as plain text."""
    text = " ".join(str(value).split())  # one line: a blank line would end the code span
    if len(text) > _LONGEST_SHOWN:
        text = text[: _LONGEST_SHOWN - 1] + "…"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if not text.strip(" ") or text[0] == "`" or text[-1] == "`":
        text = f" {text} "  # CommonMark drops one space each side: an edge backtick stays inside, "" stays code
    return f"{fence}{text}{fence}"


def error_message(err: ConfigError, lang: str) -> str:
    """`err`'s message in `lang` with every text it quotes (a value from a link, a column of a file) as code."""
    return err.message(lang, shown=_Code.of)


class _Code(str):
    """A text shown as inline code. A message's `{value!r}` shows it as it is: the code span is its quotes."""

    @classmethod
    def of(cls, value: object) -> object:
        """Anything but a number as code (a tuple item by item); numbers stay numbers, so a message can format them."""
        if isinstance(value, tuple):
            return tuple(cls.of(item) for item in value)
        return value if isinstance(value, (int, float)) else cls(code_span(value))

    def __repr__(self) -> str:
        return str(self)


def language_key(key: str, lang: str) -> str:
    """The key of a widget with translated options: a new widget per language, seeded from the language-free URL.

    A widget keeps its labels from its first draw in the browser, so a switch needs a fresh one; Streamlit forgets
    the other language's widget one run after it stops being drawn.
    """
    return f"{key}.{lang}"


def start_notice(lang: str) -> None:
    """Reserve the place of this run's notice of ignored link values (called once per page, at the top)."""
    st.session_state[_NOTICE] = _Notice(lang, st.empty())
    _check_link_length()


def _check_link_length() -> None:
    """Say so when the browser opened a link longer than Streamlit reads: Streamlit then passes on no value of it.

    Only the browser knows the address it opened, so it is asked, on a session's first two runs (its answer comes
    with the second) and only when the link arrived empty.
    """
    checks = st.session_state.setdefault(_LENGTH_CHECKS, 0 if not st.query_params else 2)
    if checks >= 2:
        return
    st.session_state[_LENGTH_CHECKS] = checks + 1
    size = _opened_link(key=f"{_LENGTH_CHECKS}.browser", data=LINK_LIMITS).get("too_long")  # absent until it is sent
    if size:
        notice = st.session_state[_NOTICE]
        limits = {f"most_{name}": most for name, most in LINK_LIMITS.items()}
        notice.slot.warning(t("link.too_long", notice.lang, **size, **limits), icon=_ICON)


def drop_unknown(known: frozenset[str]) -> None:
    """Name and drop every key of the link that is not `known` to this page (a typo such as `learning_rate`, a
    tracker's `utm_source`, another page's setting); its known values are the page's widgets' to check."""
    unknown = [key for key in st.query_params if key not in known]
    if not unknown:
        return
    reason = t("link.unknown", notice_language())
    ignore(*[(key, text, reason) for key in unknown for text in st.query_params.get_all(key)])
    # One new link for them all: each deletion on its own would send the whole link to the browser again.
    st.query_params.from_dict({key: st.query_params.get_all(key) for key in st.query_params if key not in unknown})


def ignore(*items: tuple[str, str, str]) -> None:
    """Name values from the link that were not used, each (parameter, value, reason), in the page's one notice."""
    notice = st.session_state.get(_NOTICE)
    if notice is None:  # a script without a page frame still says what it ignored
        notice = _Notice("en", st.empty())
        st.session_state[_NOTICE] = notice
    notice.add(items)


@dataclass
class _Notice:
    lang: str
    slot: Any  # an st.empty() placeholder: rewritten with every batch of items, so the page shows one notice
    items: list[str] = dataclasses.field(default_factory=list)  # the first MOST_NAMED, as shown
    count: int = 0  # every value named so far, shown or counted

    def add(self, items: Sequence[tuple[str, str, str]]) -> None:
        """Name `items` (parameter, value, reason): the notice is drawn once per batch, named up to MOST_NAMED."""
        if not items:
            return
        for param, value, reason in items[: MOST_NAMED - len(self.items)]:
            self.items.append(t("link.item", self.lang, name=code_span(param), value=code_span(value), reason=reason))
        self.count += len(items)
        shown = t("link.item_separator", self.lang).join(self.items)
        if self.count > len(self.items):
            shown += t("link.more", self.lang, more=self.count - len(self.items), total=self.count)
        self.slot.warning(t("link.ignored", self.lang, items=shown), icon=_ICON)


def linked(
    widget: Callable[..., T],
    key: str,
    param: str,
    default: Any,
    allowed: Allowed,
    **kwargs: Any,
) -> T:
    """Draw `widget(key=key, **kwargs)`, seeded from `?param=` on its first draw and written back to the URL after.

    A list or tuple `default` makes a multi-value parameter. The widget never gets a `value=` or `default=` of its
    own: its value lives in `st.session_state[key]`, so code may also set it there before the draw.
    """
    kept_in_link(key, param, default, allowed)
    value = widget(key=key, on_change=_write_now, args=(key, param, default), **kwargs)
    write_to_link(param, value, default)
    return value


def kept_in_link(key: str, param: str, default: Any, allowed: Allowed) -> None:
    """Seed `st.session_state[key]` from `?param=` once: a widget's value, or a state no widget shows (a walk's
    position). A list or tuple `default` makes a multi-value parameter."""
    if key not in st.session_state:
        st.session_state[key] = _from_link(param, default, allowed, isinstance(default, (list, tuple)))


def write_to_link(param: str, value: Any, default: Any) -> None:
    """Write such a value into the URL after the page has drawn or moved it (left out when it is the default)."""
    _to_link(param, value, default, isinstance(default, (list, tuple)))


def _write_now(key: str, param: str, default: Any) -> None:
    """A widget's change goes into the link before the rerun it causes (its callback): a page that does not draw
    the widget on that rerun (predict mode asking again) still sees the change, and the value is not lost."""
    write_to_link(param, st.session_state[key], default)


def _from_link(param: str, default: Any, allowed: Allowed, several: bool) -> Any:
    """The value the URL asks for, checked; every rejected text is named and the default stands in."""
    if param not in st.query_params:
        return list(default) if several else default
    lang = notice_language()
    value, rejected = read_link(param, st.query_params.get_all(param), default, allowed, several, lang)
    ignore(*[(param, text, reason) for text, reason in rejected])
    return value


def read_link(
    param: str, texts: Sequence[str], default: Any, allowed: Allowed, several: bool, lang: str
) -> tuple[Any, list[tuple[str, str]]]:
    """The value that the link's `texts` for `param` give, and each text not used with the reason why, in `lang`."""
    knob = param if param in KNOBS else None
    values, rejected = [], []
    if not several:  # a repeated key: the last value counts, as Streamlit's query_params[key]; the others are named
        rejected = [(text, t("link.only_last", lang)) for text in texts[:-1] if text not in ("", texts[-1])]
    texts = [text for text in texts if text != ""] if several else list(texts[-1:])
    for text in texts:
        try:
            value = allowed.read(text, knob)
        except (ConfigError, ValueError, KeyError, TypeError, OverflowError):
            rejected.append((text, allowed.describe(lang)))
            continue
        if value not in values:
            values.append(value)
    if not several:
        return (values[0] if values else default), rejected
    if allowed.most is not None and len(values) > allowed.most:
        rejected += [(url_text(value), t("link.most", lang, most=allowed.most)) for value in values[allowed.most :]]
        values = values[: allowed.most]
    if texts and not values:
        return list(default), rejected  # nothing usable asked for: the default, not an empty page
    return values, rejected


def _to_link(param: str, value: Any, default: Any, several: bool) -> None:
    """Write the widget's value into the URL, leaving a default out so links stay short."""
    if several:
        texts = [url_text(item) for item in value or []]
        is_default = list(value or []) == list(default)
        texts = texts or [""]  # an empty choice is a choice, not the default
    else:
        texts = [url_text(value)]
        is_default = value == default
    if is_default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get_all(param) != texts:
        st.query_params[param] = texts if several else texts[0]


def notice_language() -> str:
    """The language of this page's notice of ignored link values (English before the page frame starts it)."""
    notice = st.session_state.get(_NOTICE)
    return notice.lang if notice is not None else "en"


_UNSET = object()
_OPTION_WIDGETS = (st.selectbox, st.pills, st.segmented_control, st.select_slider, st.multiselect)


def knob_widget(
    knob: str | Knob,
    key: str,
    lang: str,
    *,
    param: str | None = None,
    default: Any = _UNSET,
    choices: Sequence[Any] | None = None,
    low: float | None = None,
    high: float | None = None,
    several: bool = False,
    widget: Callable[..., Any] | None = None,
    label: str | None = None,
    **kwargs: Any,
) -> Any:
    """The one way a page draws a setting: the widget of a knob, keyed `key` (one page's own) and kept in the link.

    `knob` names a RunConfig field (its declaration in core.config.KNOBS) or is a page's own Knob. A page narrows it,
    never restates it: some of its `choices`, a shorter span from `low` to `high`, its own `default`, `several` values
    at once, another `widget` (st.segmented_control for a row of buttons, st.number_input for a box). The link
    parameter is the knob's name unless `param` says otherwise. The widget follows the knob's kind: a select box for a
    choice (pills for several), a select slider over a knob's ticks (a multiselect for several, where numbers may also
    be typed), a slider over its span, a toggle for a switch, a text box for layer sizes. A choice's widget is keyed
    per language, since its names are translated. Other `kwargs` go to the Streamlit widget (help, format_func ...).
    """
    spec = (KNOBS[knob] if isinstance(knob, str) else knob).narrowed(choices, low, high)
    read_as = spec.name if isinstance(knob, str) else None  # a RunConfig knob reads link texts as RunConfig does
    value = spec.default if default is _UNSET else default
    widget = widget or _widget_for(spec, several)
    typed = widget is st.multiselect and spec.kind == NUMBER  # numbers from the list, or typed
    texts = f"common.widgets.{spec.name}"  # the texts of a multiselect that takes typed numbers
    kwargs["label"] = label or t(f"{texts}.label" if typed else f"lab.knobs.{spec.name}", lang)
    if read_as in KNOB_HELP:
        kwargs.setdefault("help", t(KNOB_HELP[read_as], lang))
    if widget in _OPTION_WIDGETS:
        kwargs["options"] = list(spec.choices)
        if typed:  # a page's own default rate off the list (0.4) is an option too, not typed text
            kwargs["options"] = sorted({*spec.choices, *value})
        kwargs.setdefault("format_func", _names(spec, lang))
        allowed = Allowed(options=spec.choices, knob=read_as)
    elif spec.kind == SWITCH:
        allowed = Allowed(options=(False, True), knob=read_as)
    elif spec.kind == SIZES:  # the box holds text: the link's own, once the knob has read it
        allowed, value = Allowed(knob=read_as, as_text=True), format_param(value)
    else:
        ends = tuple((int if spec.kind == WHOLE else float)(end) for end in (*spec.slider, value))
        kwargs |= {"min_value": ends[0], "max_value": ends[1], **({"step": spec.step} if spec.step else {})}
        allowed, value = Allowed(low=ends[0], high=ends[1], whole=spec.kind == WHOLE, knob=read_as), ends[2]
    if typed:
        kwargs |= {"accept_new_options": True, "max_selections": MAX_TYPED}
        kwargs.setdefault("placeholder", t(f"{texts}.placeholder", lang))
        kwargs.setdefault("help", t(f"{texts}.help", lang, max=MAX_TYPED))
        allowed = Allowed(low=spec.low, high=spec.high, above_low=spec.open_low, most=MAX_TYPED, knob=read_as)
    elif widget is st.selectbox:
        kwargs.setdefault("placeholder", t("common.placeholder", lang))
    elif widget is st.segmented_control and not several:
        kwargs["required"] = True
    elif widget is st.pills and several:
        kwargs |= {"selection_mode": "multi", "wrap": True}
    shown_key = language_key(key, lang) if spec.kind == CHOICE else key
    chosen = linked(widget, shown_key, param or spec.name, list(value) if several else value, allowed, **kwargs)
    if typed:
        return _typed_numbers(spec, chosen, texts, lang)
    if several and spec.kind == CHOICE:
        return [option for option in spec.choices if option in chosen]  # in the knob's order, as the page lists them
    return chosen


def _widget_for(knob: Knob, several: bool) -> Callable[..., Any]:
    """The widget a knob gets unless the page asks for another."""
    if knob.kind == CHOICE:
        return st.pills if several else st.selectbox
    if knob.kind == SWITCH:
        return st.toggle
    if knob.kind == SIZES:
        return st.text_input
    if knob.choices:
        return st.multiselect if several else st.select_slider
    return st.slider


def _names(knob: Knob, lang: str) -> Callable[[Any], str]:
    """How a widget names a knob's options: a choice by its translated name, a value as a person writes it."""
    if knob.kind == CHOICE:
        topic = CHOICE_NAMES.get(knob.name, f"lab.choices.{knob.name}")
        return lambda choice: t(f"{topic}.{choice}", lang)
    return lambda value: _shown(value, lang)


def _shown(value: object, lang: str) -> str:
    """A value as a widget shows it: N for the full batch, torch's default for None, 0.001, typed text as typed."""
    if value is None:
        return t("lab.torch_default", lang)
    if value == "full":
        return FULL_BATCH_LABEL
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _typed_numbers(knob: Knob, picked: Sequence[object], texts: str, lang: str) -> list[float]:
    """The valid numbers among picked and typed ones, sorted, no repeats; each unusable one is named."""
    numbers: set[float] = set()
    for value in picked:
        try:
            numbers.add(knob.read(str(value).strip().replace(",", ".")))  # a decimal comma, as many people type it
        except ConfigError:
            st.warning(t(f"{texts}.invalid", lang, value=code_span(value), max=_shown(knob.high, lang)))
    if not numbers:
        st.info(t(f"{texts}.empty", lang))
    return sorted(numbers)

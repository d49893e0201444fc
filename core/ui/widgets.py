"""Keyed, translated widgets whose values live in the URL, so a lecturer can share the exact state of a page.

One mechanism for every widget, `linked`:

- The widget key belongs to one page (`lr.rates`, `loss.pressure`): two pages never share a key, so a float on
  one page can never reach a list on another. The URL parameter is the knob's name (`lr`, `batch_size`) or the
  page's own short name (`pressure`), so a link reads like the command line.
- On the first draw of a key, the value comes from the URL (checked, or the default) into `st.session_state`; the
  widget itself gets no `value=`/`default=`. After every draw, the value goes back to the URL; defaults stay out
  of the link; a multi-value widget uses repeated keys (`lr=0.1&lr=1`).
- A bad value from the link falls back to the default and is named, escaped, in one notice per page.
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

from core.charts import format_lr
from core.config import DATASETS, MAX_LR, ConfigError, RunConfig
from core.i18n import join, t
from core.optim import OPTIMIZERS

T = TypeVar("T")

LR_CHOICES: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_CHOICES: tuple[int | str, ...] = (1, 8, 32, 128, "full")
MAX_LRS = 8
FULL_BATCH_LABEL = "N"  # the article's N: every training example in one batch; the same in both languages
KNOBS = frozenset(field.name for field in dataclasses.fields(RunConfig))
# Each page's own settings in the link, besides RunConfig's knobs and the lecture's flags. A key that is none of
# these (a typo such as `learning_rate`, a tracker's `utm_source`) is named in the notice and dropped from the link;
# tests/test_url_fuzz.py checks that every parameter a page keeps is listed here.
PAGE_PARAMS = frozenset(
    {
        *("pressure", "p_malignant", "race_w", "race_b", "race_lr"),  # loss functions
        *("surface", "opts", "steps", "x0", "y0", "scale", "data_lr", "data_epochs"),  # optimizers
        *("focus_lr", "valley_lr", "curve", "log"),  # learning rate
        *("batch_sizes", "fit_epochs", "shuffle_dataset", "x"),  # batch and epochs
        "smooth",  # LR schedules, batch and epochs: the per-batch loss's rolling mean
        *("run", "view", "csv", "ab_knob", "grid_lr", "grid_batch_size", "grid_optimizer", "metric"),  # lab
        "walk",  # home: how far the walk through the loop has gone
    }
)
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

    `knob` names the RunConfig field that reads the text (`batch_size` reads "full" or a whole number); a URL
    parameter named like a RunConfig field is read through RunConfig without saying so.
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
            value = getattr(RunConfig.from_params({knob: text}), knob)
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
    """Name and drop every key of the link that no page of the app reads (its other values are the pages' to check)."""
    unknown = [key for key in st.query_params if key not in known | KNOBS | PAGE_PARAMS]
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


def url_slider(
    key: str, param: str, label: str, low: float, high: float, default: float, step: float | None = None, **kwargs: Any
) -> Any:
    """A slider kept in the URL; the link may hold any value from `low` to `high` (whole numbers for int ends)."""
    whole = all(isinstance(end, int) for end in (low, high, default))
    return linked(
        st.slider,
        key,
        param,
        default,
        Allowed(low=low, high=high, whole=whole),
        label=label,
        min_value=low,
        max_value=high,
        step=step,
        **kwargs,
    )


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


def lr_multiselect(
    lang: str,
    key: str,
    param: str = "lr",
    default: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
    choices: Sequence[float] = LR_CHOICES,
    max_selections: int = MAX_LRS,
) -> list[float]:
    """Several learning rates: pick from a log-spaced list or type one; returns valid rates, sorted, no repeats."""
    picked = linked(
        st.multiselect,
        key,
        param,
        list(default),
        Allowed(low=0, high=MAX_LR, above_low=True, most=max_selections, knob="lr"),
        label=t("common.widgets.lr.label", lang),
        options=list(choices),
        format_func=format_lr_text,
        accept_new_options=True,
        max_selections=max_selections,
        placeholder=t("common.widgets.lr.placeholder", lang),
        help=t("common.widgets.lr.help", lang, max=max_selections),
    )
    rates: set[float] = set()
    for value in picked:
        rate = parse_lr(value)
        if rate is None:
            st.warning(t("common.widgets.lr.invalid", lang, value=code_span(value), max=format_lr(MAX_LR)))
        else:
            rates.add(rate)
    if not rates:
        st.info(t("common.widgets.lr.empty", lang))
    return sorted(rates)


def format_lr_text(value: object) -> str:
    """A learning rate from the list, or typed text shown as typed."""
    return format_lr(value) if isinstance(value, (int, float)) else str(value)


def parse_lr(value: object) -> float | None:
    """A learning rate from a chosen option or typed text; None when it is not a usable rate."""
    try:
        rate = float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
    return rate if 0 < rate <= MAX_LR else None


def batch_size_select(
    lang: str,
    key: str,
    param: str = "batch_size",
    default: int | str = 32,
    choices: Sequence[int | str] = BATCH_CHOICES,
) -> int | str:
    """Batch size on a slider: online (1), mini-batches, or the full batch ('full', shown as N)."""
    return linked(
        st.select_slider,
        key,
        param,
        default,
        Allowed(options=tuple(choices), knob="batch_size"),
        label=t("common.widgets.batch.label", lang),
        options=list(choices),
        format_func=lambda size: FULL_BATCH_LABEL if size == "full" else str(size),
        help=t("common.widgets.batch.help", lang),
    )


def epochs_slider(lang: str, key: str, param: str = "epochs", default: int = 30, low: int = 1, high: int = 100) -> int:
    """Number of epochs (passes through the training data)."""
    return linked(
        st.slider,
        key,
        param,
        default,
        Allowed(low=low, high=high, whole=True, knob="epochs"),
        label=t("common.widgets.epochs.label", lang),
        min_value=low,
        max_value=high,
        help=t("common.widgets.epochs.help", lang),
    )


def optimizer_select(
    lang: str, key: str, param: str = "optimizer", default: str = "sgd", choices: Sequence[str] = OPTIMIZERS
) -> str:
    """One of the optimizers, by its translated name."""
    return choice_select(
        t("common.widgets.optimizer.label", lang),
        choices,
        default,
        key,
        param,
        lang,
        lambda name: t(f"common.optimizers.{name}", lang),
        placeholder=t("common.placeholder", lang),
    )


def dataset_select(
    lang: str, key: str, param: str = "dataset", default: str = "blood_pressure", choices: Sequence[str] = DATASETS
) -> str:
    """One of the data sets, by its translated description."""
    return choice_select(
        t("common.widgets.dataset.label", lang),
        choices,
        default,
        key,
        param,
        lang,
        lambda name: t(f"common.datasets.{name}", lang),
        placeholder=t("common.placeholder", lang),
    )


def choice_select(
    label: str,
    choices: Sequence[str],
    default: str,
    key: str,
    param: str,
    lang: str,
    format_func: Callable[[str], str],
    **kwargs: Any,
) -> str:
    """A selectbox over language-neutral ids with translated labels; the id, not the label, goes into the URL."""
    return _translated(st.selectbox, label, choices, default, key, param, lang, format_func, **kwargs)


def choice_pills(
    label: str,
    choices: Sequence[str],
    default: Sequence[str],
    key: str,
    param: str,
    lang: str,
    format_func: Callable[[str], str],
    help: str | None = None,
) -> list[str]:
    """Several language-neutral ids as toggles with translated labels; the ids go into the URL as repeated keys."""
    chosen = _translated(
        st.pills,
        label,
        choices,
        list(default),
        key,
        param,
        lang,
        format_func,
        selection_mode="multi",
        help=help,
        wrap=True,
    )
    return [name for name in choices if name in chosen]


def _translated(
    widget: Callable[..., T],
    label: str,
    choices: Sequence[str],
    default: Any,
    key: str,
    param: str,
    lang: str,
    format_func: Callable[[str], str],
    **kwargs: Any,
) -> T:
    """A widget over language-neutral ids with translated labels, keyed per language, the ids kept in the URL."""
    allowed = Allowed(options=tuple(choices))
    options = list(choices)
    return linked(
        widget,
        language_key(key, lang),
        param,
        default,
        allowed,
        label=label,
        options=options,
        format_func=format_func,
        **kwargs,
    )


def lr_slider(
    label: str, key: str, default: float, choices: Sequence[float] = LR_CHOICES, param: str = "lr", **kwargs: Any
) -> float:
    """One learning rate on a slider over log-spaced choices."""
    allowed = Allowed(options=tuple(choices), knob="lr")
    options = list(choices)
    return linked(
        st.select_slider, key, param, default, allowed, label=label, options=options, format_func=format_lr, **kwargs
    )


def choice_buttons(
    label: str,
    choices: Sequence[str],
    default: str,
    key: str,
    param: str,
    lang: str,
    format_func: Callable[[str], str],
    **kwargs: Any,
) -> str:
    """One of a few language-neutral ids as a row of buttons with translated labels; the id goes into the URL."""
    return _translated(
        st.segmented_control, label, choices, default, key, param, lang, format_func, required=True, **kwargs
    )

"""Keyed, translated widgets whose values live in the URL, so a lecturer can share the exact state of a page.

Two ways to keep a widget in the URL, chosen by what its options look like:

- Options shown the same in every language (numbers, "N"): Streamlit's own `bind="query-params"`. The URL
  holds the option as displayed, seeds the widget on load and follows every change (also back/forward).
- Options shown translated (optimizer and data set names): the URL would hold the translated label and break
  when the language changes, so `choice_select` keeps a language-neutral id in the URL itself.

The widget key is the URL parameter name, so keys are short words a person can read in a link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from core.charts import format_lr
from core.config import DATASETS, MAX_EPOCHS, MAX_LR
from core.i18n import t
from core.optim import OPTIMIZERS

LR_CHOICES: tuple[float, ...] = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_CHOICES: tuple[int | str, ...] = (1, 8, 32, 128, "full")
MAX_LRS = 8
FULL_BATCH_LABEL = "N"  # the article's N: every training example in one batch; the same in both languages


def lr_multiselect(
    lang: str,
    key: str = "lr",
    default: Sequence[float] = (0.001, 0.01, 0.1, 1.0),
    choices: Sequence[float] = LR_CHOICES,
    max_selections: int = MAX_LRS,
) -> list[float]:
    """Several learning rates: pick from a log-spaced list or type one; returns valid rates, sorted, no repeats."""
    picked = st.multiselect(
        t("common.widgets.lr.label", lang),
        list(choices),
        default=list(default),
        format_func=format_lr,
        accept_new_options=True,
        max_selections=max_selections,
        placeholder=t("common.widgets.lr.placeholder", lang),
        help=t("common.widgets.lr.help", lang, max=max_selections),
        key=key,
        bind="query-params",
    )
    rates: set[float] = set()
    for value in picked:
        rate = parse_lr(value)
        if rate is None:
            st.warning(t("common.widgets.lr.invalid", lang, value=str(value), max=format_lr(MAX_LR)))
        else:
            rates.add(rate)
    if not rates:
        st.info(t("common.widgets.lr.empty", lang))
    return sorted(rates)


def parse_lr(value: object) -> float | None:
    """A learning rate from a chosen option or typed text; None when it is not a usable rate."""
    try:
        rate = float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
    return rate if 0 < rate <= MAX_LR else None


def batch_size_select(
    lang: str, key: str = "batch", default: int | str = 32, choices: Sequence[int | str] = BATCH_CHOICES
) -> int | str:
    """Batch size on a slider: online (1), mini-batches, or the full batch ('full', shown as N)."""
    return st.select_slider(
        t("common.widgets.batch.label", lang),
        list(choices),
        value=default,
        format_func=lambda size: FULL_BATCH_LABEL if size == "full" else str(size),
        help=t("common.widgets.batch.help", lang),
        key=key,
        bind="query-params",
    )


def epochs_slider(lang: str, key: str = "epochs", default: int = 30, low: int = 1, high: int = 200) -> int:
    """Number of epochs (passes through the training data)."""
    return st.slider(
        t("common.widgets.epochs.label", lang),
        min_value=low,
        max_value=min(high, MAX_EPOCHS),
        value=default,
        help=t("common.widgets.epochs.help", lang),
        key=key,
        bind="query-params",
    )


def optimizer_select(
    lang: str, key: str = "optimizer", default: str = "sgd", choices: Sequence[str] = OPTIMIZERS
) -> str:
    """One of the optimizers, by its translated name."""
    return choice_select(
        t("common.widgets.optimizer.label", lang),
        choices,
        default,
        key,
        lambda name: t(f"common.optimizers.{name}", lang),
        placeholder=t("common.placeholder", lang),
    )


def dataset_select(
    lang: str, key: str = "data", default: str = "blood_pressure", choices: Sequence[str] = DATASETS
) -> str:
    """One of the data sets, by its translated description."""
    return choice_select(
        t("common.widgets.dataset.label", lang),
        choices,
        default,
        key,
        lambda name: t(f"common.datasets.{name}", lang),
        placeholder=t("common.placeholder", lang),
    )


def choice_select(
    label: str,
    choices: Sequence[str],
    default: str,
    key: str,
    format_func: Callable[[str], str],
    help: str | None = None,
    placeholder: str | None = None,
) -> str:
    """A selectbox over language-neutral ids with translated labels; the id, not the label, goes into the URL."""
    if key not in st.session_state:
        # First draw of this widget: a shared link decides, an unknown value falls back to the default.
        wanted = st.query_params.get(key)
        st.session_state[key] = wanted if wanted in choices else default
    value = st.selectbox(label, list(choices), format_func=format_func, help=help, placeholder=placeholder, key=key)
    if value == default:
        st.query_params.pop(key, None)  # like bind="query-params": defaults stay out of the link
    elif st.query_params.get(key) != value:
        st.query_params[key] = value
    return value


def choice_pills(
    label: str,
    choices: Sequence[str],
    default: Sequence[str],
    key: str,
    format_func: Callable[[str], str],
    help: str | None = None,
) -> list[str]:
    """Several language-neutral ids as toggles with translated labels; the ids go into the URL, comma-separated."""
    if key not in st.session_state:
        wanted = st.query_params.get(key)
        picked = [name for name in (wanted or "").split(",") if name in choices]
        st.session_state[key] = picked if wanted is not None else list(default)
    chosen = st.pills(
        label, list(choices), selection_mode="multi", format_func=format_func, help=help, wrap=True, key=key
    )
    if list(chosen) == list(default):
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != ",".join(chosen):
        st.query_params[key] = ",".join(chosen)
    return [name for name in choices if name in chosen]

"""The lab's settings: every knob of RunConfig in five tabs, each kept in the link."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import ACTIVATIONS, LOSSES, MODELS, ORDERS, ConfigError, RunConfig
from core.data import Dataset
from core.i18n import t
from core.optim import SCHEDULERS
from core.ui.runs import show_config_error
from core.ui.upload import upload_section
from core.ui.widgets import (
    Allowed,
    batch_size_select,
    choice_select,
    dataset_select,
    epochs_slider,
    linked,
    lr_slider,
    optimizer_select,
)

DECAYS = (None, 0.0, 1e-4, 1e-3, 0.01, 0.1)
MOMENTUM_OPTIMIZERS = ("momentum", "nesterov")
SCHEDULE_KNOBS = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "warmup-cosine": ("warmup_epochs",),
    "plateau": ("gamma", "patience"),
}
GROUPS = ("data", "model", "optimizer", "schedule", "loop")
COUNTS = {"step_size": (1, 50), "warmup_epochs": (0, 20), "patience": (0, 20), "seed": (0, 999)}


def settings(lang: str) -> tuple[RunConfig | None, Dataset | None]:
    """Every knob of a run in five tabs, and the user's own table when chosen.

    The config is None (with one translated line) when the settings do not make a run; an upload is not in the
    link, so its switch is not either.
    """
    d = RunConfig()
    data, model, optimizer, schedule, loop = st.tabs([t(f"lab.groups.{g}", lang) for g in GROUPS])
    knobs: dict[str, Any] = {}
    upload = None
    with data:
        own_csv = Allowed(options=(False, True))  # the link says an upload was chosen; the file itself stays here
        if linked(st.toggle, "lab.own_csv", "csv", False, own_csv, label=t("lab.own_csv", lang)):
            upload = upload_section(lang, "lab.upload")
        else:
            knobs["dataset"] = dataset_select(lang, "lab.dataset", default=d.dataset)
        knobs["order"] = _choice("order", ORDERS, lang)
        knobs["val_fraction"] = _slider("val_fraction", lang, 0.0, 0.5, 0.05)
    with model:
        knobs["model"] = _choice("model", MODELS, lang)
        if knobs["model"] == "mlp":
            knobs["hidden"] = _hidden(lang)
            knobs["activation"] = _choice("activation", ACTIVATIONS, lang)
        knobs["loss"] = _choice("loss", LOSSES, lang)
    with optimizer:
        knobs["optimizer"] = optimizer_select(lang, "lab.optimizer", default=d.optimizer)
        knobs["lr"] = lr_slider(t("lab.knobs.lr", lang), "lab.lr", d.lr)
        if knobs["optimizer"] in MOMENTUM_OPTIMIZERS:
            knobs["momentum"] = _slider("momentum", lang, 0.0, 0.99, 0.01)
        knobs["weight_decay"] = linked(
            st.select_slider,
            "lab.weight_decay",
            "weight_decay",
            None,
            Allowed(options=DECAYS, knob="weight_decay"),
            label=t("lab.knobs.weight_decay", lang),
            options=list(DECAYS),
            format_func=lambda v: t("lab.torch_default", lang) if v is None else f"{v:g}",
        )
    with schedule:
        knobs["scheduler"] = _choice("scheduler", SCHEDULERS, lang, topic="schedules.names")
        for name in SCHEDULE_KNOBS.get(knobs["scheduler"], ()):
            knobs[name] = _count(name, lang) if name in COUNTS else _slider(name, lang, 0.05, 0.95, 0.05)
    with loop:
        knobs["batch_size"] = batch_size_select(lang, "lab.batch_size", default=d.batch_size)
        knobs["epochs"] = epochs_slider(lang, "lab.epochs", default=d.epochs, high=200)
        knobs["shuffle"] = linked(
            st.toggle, "lab.shuffle", "shuffle", True, Allowed(knob="shuffle"), label=t("lab.knobs.shuffle", lang)
        )
        knobs["seed"] = _count("seed", lang)
    if st.session_state["lab.own_csv"] and upload is None:
        return None, None  # the upload section says what is missing
    try:
        return RunConfig(**knobs).validated(), upload
    except ConfigError as err:
        show_config_error(err, lang)
        return None, upload


def _choice(name: str, choices: tuple[str, ...], lang: str, topic: str | None = None) -> str:
    default = getattr(RunConfig(), name)
    names = topic or f"lab.choices.{name}"
    label = t(f"lab.knobs.{name}", lang)
    return choice_select(label, choices, default, f"lab.{name}", name, lang, lambda c: t(f"{names}.{c}", lang))


def _slider(name: str, lang: str, low: float, high: float, step: float) -> float:
    default = getattr(RunConfig(), name)
    allowed = Allowed(low=low, high=high, knob=name)
    label = t(f"lab.knobs.{name}", lang)
    return linked(
        st.slider, f"lab.{name}", name, default, allowed, label=label, min_value=low, max_value=high, step=step
    )


def _count(name: str, lang: str) -> int:
    low, high = COUNTS[name]
    default = getattr(RunConfig(), name)
    allowed = Allowed(low=low, high=high, whole=True, knob=name)
    label = t(f"lab.knobs.{name}", lang)
    return linked(st.number_input, f"lab.{name}", name, default, allowed, label=label, min_value=low, max_value=high)


def _hidden(lang: str) -> tuple[int, ...]:
    text = linked(
        st.text_input,
        "lab.hidden",
        "hidden",
        "32",
        Allowed(knob="hidden", as_text=True),  # the box holds text: the link's own, once RunConfig has read it
        label=t("lab.knobs.hidden", lang),
        help=t("lab.hidden_help", lang),
    )
    try:
        return RunConfig.from_params({"hidden": text}).hidden
    except ConfigError as err:
        show_config_error(err, lang)
        return RunConfig().hidden

"""The lab's settings: every knob of RunConfig in five tabs, each kept in the link."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import SWITCH, ConfigError, Knob, RunConfig
from core.data import Dataset
from core.i18n import t
from core.optim import OPTIMIZER_SPECS
from core.ui.runs import show_config_error
from core.ui.upload import upload_section
from core.ui.widgets import knob_widget

SCHEDULE_KNOBS = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "warmup-cosine": ("warmup_epochs",),
    "plateau": ("gamma", "patience"),
}
GROUPS = ("data", "model", "optimizer", "schedule", "loop")
BOXES = ("step_size", "warmup_epochs", "patience", "seed")  # whole numbers typed into a box, not slid
OWN_CSV = Knob("csv", SWITCH, False)  # the link says an upload was chosen; the file itself stays here


def settings(lang: str) -> tuple[RunConfig | None, Dataset | None]:
    """Every knob of a run in five tabs, and the user's own table when chosen.

    The config is None (with one translated line) when the settings do not make a run; an upload is not in the
    link, so its switch is not either.
    """
    data, model, optimizer, schedule, loop = st.tabs([t(f"lab.groups.{g}", lang) for g in GROUPS])
    knobs: dict[str, Any] = {}
    upload = None
    with data:
        if knob_widget(OWN_CSV, "lab.own_csv", lang, label=t("lab.own_csv", lang)):
            upload = upload_section(lang, "lab.upload")
        else:
            knobs["dataset"] = _knob("dataset", lang)
        knobs["order"] = _knob("order", lang)
        knobs["val_fraction"] = _knob("val_fraction", lang)
    with model:
        knobs["model"] = _knob("model", lang)
        if knobs["model"] == "mlp":
            knobs["hidden"] = _hidden(lang)
            knobs["activation"] = _knob("activation", lang)
        knobs["loss"] = _knob("loss", lang)
    with optimizer:
        knobs["optimizer"] = _knob("optimizer", lang)
        knobs["lr"] = _knob("lr", lang)
        if OPTIMIZER_SPECS[knobs["optimizer"]].momentum:
            knobs["momentum"] = _knob("momentum", lang)
        knobs["weight_decay"] = _knob("weight_decay", lang)
    with schedule:
        knobs["scheduler"] = _knob("scheduler", lang)
        for name in SCHEDULE_KNOBS.get(knobs["scheduler"], ()):
            knobs[name] = _knob(name, lang)
    with loop:
        for name in ("batch_size", "epochs", "shuffle", "seed"):
            knobs[name] = _knob(name, lang)
    if st.session_state["lab.own_csv"] and upload is None:
        return None, None  # the upload section says what is missing
    try:
        return RunConfig(**knobs).validated(), upload
    except ConfigError as err:
        show_config_error(err, lang)
        return None, upload


def _knob(name: str, lang: str) -> Any:
    """A knob's widget in the lab: keyed `lab.<name>`, kept in the link under its own name, at RunConfig's default."""
    return knob_widget(name, f"lab.{name}", lang, widget=st.number_input if name in BOXES else None)


def _hidden(lang: str) -> tuple[int, ...]:
    text = knob_widget("hidden", "lab.hidden", lang, help=t("lab.hidden_help", lang))
    try:
        return RunConfig.from_params({"hidden": text}).hidden
    except ConfigError as err:
        show_config_error(err, lang)
        return RunConfig().hidden

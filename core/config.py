"""RunConfig: every knob of one training run, declared once (its Knob), validated, frozen and (de)serialisable.

Each field of RunConfig declares its knob beside its default: the values it takes (choices, or a range and whether
its ends belong to it), how a widget steps through them (a step, or log-spaced ticks), and the message for a value
outside. KNOBS collects them; validation, the flat string form of links and the command line, the CLI's help, the
widgets, the lab and the sweep grid all read that one table. A widget may narrow a knob (fewer choices, a shorter
span), never restate it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.optim import OPTIMIZER_SPECS, OPTIMIZERS, SCHEDULERS

# The kinds of knob. BATCH is a whole number or 'full'; SIZES a comma-separated list of whole numbers (layer sizes).
CHOICE, NUMBER, WHOLE, SWITCH, BATCH, SIZES = "choice", "number", "whole", "switch", "batch", "sizes"
SWITCH_TEXTS = {"1": True, "0": False, "true": True, "false": False}
DIGITS = re.compile(r"[+-]?[0-9]+")  # a whole number written in ASCII digits

DATASETS = ("breast_cancer", "diabetes", "blood_pressure", "digits")
MODELS = ("linear", "mlp")
LOSSES = ("auto", "mse", "bce", "ce")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
ORDERS = ("random", "sorted")
DEVICES = ("auto", "cpu", "cuda")

MAX_EPOCHS = 1000
MAX_HIDDEN = 512
MAX_LAYERS = 3
MAX_LR = 100.0
# The values a slider offers for the knobs that span decades (log-spaced) and for the batch size; None: torch's own.
LR_TICKS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DECAY_TICKS = (None, 0.0, 1e-4, 1e-3, 0.01, 0.1)
BATCH_TICKS = (1, 8, 32, 128, "full")


class ConfigError(ValueError):
    """A bad setting, with a message a person understands (key + params for translation)."""

    topic = "errors"  # the locale topic that holds the messages

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str, shown: Callable[[object], object] = lambda value: value) -> str:
        """The message in `lang`, each parameter as `shown` makes it; a tuple is listed the way `lang` lists items."""
        from core.i18n import join, t

        values = {name: shown(value) for name, value in self.params.items()}
        params = {k: join(v, lang) if isinstance(v, tuple) else v for k, v in values.items()}
        return t(f"{self.topic}.{self.key}", lang, **params)


@dataclass(frozen=True)
class Knob:
    """One setting: the values it takes and how a widget steps through them. Plain data, no Streamlit.

    A page's own setting (not a RunConfig field) is declared the same way next to the page.
    """

    name: str  # the field, the URL parameter and the command line's flag (batch_size: --batch-size)
    kind: str  # CHOICE, NUMBER, WHOLE, SWITCH, BATCH or SIZES
    default: Any = None
    # CHOICE: every option. NUMBER, BATCH: the values a slider offers, where they span decades (log-spaced ticks).
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False  # the low end itself is not allowed (a learning rate is above 0)
    open_high: bool = False  # the high end itself is not allowed (a momentum is below 1)
    span: tuple[float, float] | None = None  # what a slider spans where the range is open or too wide to slide
    step: float | None = None
    optional: bool = False  # None stands for torch's own default
    most: int | None = None  # SIZES: at most this many
    error: str = "at_least"  # the key of the message for a value out of range

    def parse(self, text: str) -> Any:
        """What the flat string form `text` stands for, before it is checked (a number stays text until then)."""
        if self.kind == SIZES:
            try:
                return tuple(integer(self.name, part) for part in text.split(",") if part.strip())
            except ConfigError:
                raise self.out_of_range(text) from None
        if self.kind == SWITCH:
            if text.lower() not in SWITCH_TEXTS:
                raise ConfigError("switch", name=self.name, value=text)
            return SWITCH_TEXTS[text.lower()]
        if self.optional and text in ("", "None"):
            return None
        return text

    def check(self, value: object) -> Any:
        """`value` in the knob's own type (0.1 from "0.1", 32 from 32.0), or ConfigError saying what is wrong."""
        if self.kind == CHOICE:
            check_choice(self.name, value, self.choices)
            return value
        if self.kind == SWITCH:
            if value not in (True, False):  # 0 and 1 too; a string such as "0" would read as True
                raise ConfigError("switch", name=self.name, value=value)
            return bool(value)
        if value is None and self.optional:
            return None
        if self.kind == BATCH:
            if value == "full":
                return value
            try:
                whole = integer(self.name, value)
            except ConfigError:  # not a whole number: the batch-size message also names 'full'
                raise self.out_of_range(value) from None
            if not self.holds(whole):
                raise self.out_of_range(value)
            return whole
        if self.kind == SIZES:
            sizes = tuple(integer(self.name, size) for size in value)  # type: ignore[union-attr]
            if not (0 < len(sizes) <= (self.most or len(sizes)) and all(self.holds(size) for size in sizes)):
                raise self.out_of_range(",".join(map(str, value)))  # type: ignore[call-overload]
            return sizes
        parsed = integer(self.name, value) if self.kind == WHOLE else number(self.name, value)
        if not self.holds(parsed):
            raise self.out_of_range(value)
        return parsed

    def read(self, text: str) -> Any:
        """The checked value of the flat string form `text`."""
        return self.check(self.parse(text))

    def holds(self, value: float) -> bool:
        """Whether the number `value` lies in the knob's range."""
        above = self.low is None or (value > self.low if self.open_low else value >= self.low)
        below = self.high is None or (value < self.high if self.open_high else value <= self.high)
        return above and below

    def out_of_range(self, value: object) -> ConfigError:
        """The error for `value` outside the knob's range, with every number its message may name."""
        bounds = {"least": self.low, "max": self.high, "layers": self.most}
        known = {name: bound for name, bound in bounds.items() if bound is not None}
        return ConfigError(self.error, name=self.name, value=value, **known)

    @property
    def slider(self) -> tuple[float, float]:
        """The ends a slider offers: the span, else the range itself."""
        if self.span is not None:
            return self.span
        if self.low is None or self.high is None:
            raise ValueError(f"the knob {self.name} has no span for a slider")
        return self.low, self.high

    def narrowed(
        self, choices: Sequence[Any] | None = None, low: float | None = None, high: float | None = None
    ) -> Knob:
        """The knob as one widget offers it: some of its choices or ticks, or a shorter span.

        A value the knob does not take raises ConfigError: a widget narrows a knob, it never widens it.
        """
        options = self.choices if choices is None else tuple(choices)
        span = self.span
        if options and (low, high) != (None, None):  # ticks between the ends ('full' and None stay)
            inside = dataclasses.replace(self, low=low, high=high, open_low=False, open_high=False).holds
            options = tuple(v for v in options if not _is_number(v) or inside(v))
        elif (low, high) != (None, None):
            ends = self.slider
            span = (ends[0] if low is None else low, ends[1] if high is None else high)
        for value in (*options, *(span or ())):
            self.check(value)
        return dataclasses.replace(self, choices=options, span=span)


def knob(default: object, kind: str, **declared: Any) -> Any:
    """A RunConfig field with its knob (see Knob): the default, and the values it takes."""
    return dataclasses.field(default=default, metadata={"knob": (kind, declared)})


@dataclass(frozen=True)
class RunConfig:
    """One training run. Several runs that differ only in `lr` and `seed` train together in the fast engine."""

    dataset: str = knob("breast_cancer", CHOICE, choices=DATASETS)
    model: str = knob("mlp", CHOICE, choices=MODELS)
    hidden: tuple[int, ...] = knob((32,), SIZES, low=1, high=MAX_HIDDEN, most=MAX_LAYERS, error="hidden")
    activation: str = knob("relu", CHOICE, choices=ACTIVATIONS)
    loss: str = knob("auto", CHOICE, choices=LOSSES)
    optimizer: str = knob("adam", CHOICE, choices=OPTIMIZERS)
    lr: float = knob(1e-3, NUMBER, low=0, open_low=True, high=MAX_LR, choices=LR_TICKS, error="lr_range")
    momentum: float = knob(0.9, NUMBER, low=0, high=1, open_high=True, span=(0.0, 0.99), step=0.01, error="momentum")
    weight_decay: float | None = knob(
        None, NUMBER, low=0, high=1, optional=True, choices=DECAY_TICKS, error="weight_decay"
    )
    batch_size: int | str = knob(32, BATCH, low=1, choices=BATCH_TICKS, error="batch_size")
    epochs: int = knob(50, WHOLE, low=1, high=MAX_EPOCHS, span=(1, 200), error="epochs")
    scheduler: str = knob("none", CHOICE, choices=SCHEDULERS)
    step_size: int = knob(10, WHOLE, low=1, span=(1, 50))
    # Below 1: ReduceLROnPlateau refuses 1; elsewhere 1 would be no schedule at all.
    gamma: float = knob(
        0.5, NUMBER, low=0, high=1, open_low=True, open_high=True, span=(0.05, 0.95), step=0.05, error="gamma"
    )
    warmup_epochs: int = knob(2, WHOLE, low=0, span=(0, 20))
    patience: int = knob(3, WHOLE, low=0, span=(0, 20))
    shuffle: bool = knob(True, SWITCH)
    order: str = knob("random", CHOICE, choices=ORDERS)
    seed: int = knob(0, WHOLE, low=0, high=2**31 - 1, span=(0, 999), error="seed")
    val_fraction: float = knob(0.2, NUMBER, low=0, high=0.5, step=0.05, error="val_fraction")
    device: str = knob("auto", CHOICE, choices=DEVICES)

    def replace(self, **changes: object) -> RunConfig:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> RunConfig:
        """Check every field by its knob; raise ConfigError with a readable message for anything out of range."""
        values = {}
        for name, each in KNOBS.items():
            if name == "hidden" and self.model != "mlp":  # a linear model has no hidden layers: read, not bounded
                for size in self.hidden:
                    integer(name, size)
                values[name] = ()
            else:
                values[name] = each.check(getattr(self, name))
        if OPTIMIZER_SPECS[values["optimizer"]].arguments.get("nesterov") and values["momentum"] == 0:
            raise ConfigError("momentum", value=self.momentum)  # torch needs a momentum for Nesterov
        return dataclasses.replace(self, **values)

    def group_key(self) -> RunConfig:
        """The config with lr and seed blanked: runs sharing it can train as one vectorised model."""
        return dataclasses.replace(self, lr=1.0, seed=0)

    def to_params(self) -> dict[str, str]:
        """Flat string form, keyed by field name, for URLs, the command line and exports (non-default fields only)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = format_param(value)
        return out

    @classmethod
    def from_params(cls, params: dict[str, str]) -> RunConfig:
        """Parse the flat string form; unknown keys are ignored, missing ones keep their default, bad values raise."""
        values = {key: KNOBS[key].parse(str(text)) for key, text in params.items() if key in KNOBS}
        return cls(**values).validated()


KNOBS: dict[str, Knob] = {
    f.name: Knob(f.name, kind, f.default, **declared)
    for f in dataclasses.fields(RunConfig)
    for kind, declared in [f.metadata["knob"]]
}
CHOICES = {name: each.choices for name, each in KNOBS.items() if each.kind == CHOICE}


def check_choice(name: str, value: object, options: Sequence[object]) -> None:
    """ConfigError unless `value` is one of `options`."""
    if value not in options:
        raise ConfigError("choice", name=name, value=value, options=tuple(options))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_float(value: object) -> float:
    """float(value), or NaN for anything that is no number (True is no number here)."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def number(name: str, value: object) -> float:
    """A finite number, or ConfigError."""
    as_float = _as_float(value)
    if not math.isfinite(as_float):
        raise ConfigError("number", name=name, value=value)
    return as_float


def integer(name: str, value: object) -> int:
    """A whole number: an int or digits exactly as given (no float on the way loses a digit), else a float's value."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        try:
            return int(value)
        except ValueError:  # beyond Python's 4300 digits
            raise ConfigError("integer", name=name, value=value) from None
    as_float = _as_float(value)  # 32.0, 1e3
    if not math.isfinite(as_float) or as_float != int(as_float):
        raise ConfigError("integer", name=name, value=value)
    return int(as_float)


def format_param(value: object) -> str:
    """The flat string form of one value: 32,16 for layer sizes, 1/0 for a switch."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)

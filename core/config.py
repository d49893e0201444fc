"""RunConfig: every knob of one training run, validated, frozen and (de)serialisable."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from core.optim import OPTIMIZERS, SCHEDULERS

DATASETS = ("breast_cancer", "diabetes", "blood_pressure", "digits")
MODELS = ("linear", "mlp")
LOSSES = ("auto", "mse", "bce", "ce")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
ORDERS = ("random", "sorted")
DEVICES = ("auto", "cpu", "cuda")
CHOICES = {
    "dataset": DATASETS,
    "model": MODELS,
    "activation": ACTIVATIONS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "scheduler": SCHEDULERS,
    "order": ORDERS,
    "device": DEVICES,
}
SWITCH = {"1": True, "0": False, "true": True, "false": False}
WHOLE = re.compile(r"[+-]?[0-9]+")  # a whole number written in ASCII digits

MAX_EPOCHS = 1000
MAX_HIDDEN = 512
MAX_LAYERS = 3
MAX_LR = 100.0


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
class RunConfig:
    """One training run. Several runs that differ only in `lr` and `seed` train together in the fast engine."""

    dataset: str = "breast_cancer"
    model: str = "mlp"
    hidden: tuple[int, ...] = (32,)
    activation: str = "relu"
    loss: str = "auto"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float | None = None
    batch_size: int | str = 32
    epochs: int = 50
    scheduler: str = "none"
    step_size: int = 10
    gamma: float = 0.5
    warmup_epochs: int = 2
    patience: int = 3
    shuffle: bool = True
    order: str = "random"
    seed: int = 0
    val_fraction: float = 0.2
    device: str = "auto"

    def replace(self, **changes: object) -> RunConfig:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> RunConfig:
        """Check every field; raise ConfigError with a readable message for anything out of range."""
        for name, options in CHOICES.items():
            _choice(name, getattr(self, name), options)
        if self.shuffle not in (True, False):  # 0 and 1 too; a string such as "0" would read as True
            raise ConfigError("switch", name="shuffle", value=self.shuffle)
        lr = _number("lr", self.lr)
        if not 0 < lr <= MAX_LR:
            raise ConfigError("lr_range", value=self.lr, max=MAX_LR)
        batch = self.batch_size
        if batch != "full":
            try:
                batch = _integer("batch_size", batch)
            except ConfigError:
                batch = 0  # not a whole number: the batch-size message also names 'full'
            if batch < 1:
                raise ConfigError("batch_size", value=self.batch_size)
        epochs = _integer("epochs", self.epochs)
        if not 1 <= epochs <= MAX_EPOCHS:
            raise ConfigError("epochs", value=self.epochs, max=MAX_EPOCHS)
        hidden = tuple(_integer("hidden", h) for h in self.hidden)
        sizes_ok = 0 < len(hidden) <= MAX_LAYERS and all(1 <= h <= MAX_HIDDEN for h in hidden)
        if self.model == "mlp" and not sizes_ok:
            raise ConfigError("hidden", value=",".join(map(str, self.hidden)), max=MAX_HIDDEN, layers=MAX_LAYERS)
        momentum = _number("momentum", self.momentum)
        if not 0 <= momentum < 1 or (self.optimizer == "nesterov" and momentum == 0):  # torch needs it for Nesterov
            raise ConfigError("momentum", value=self.momentum)
        decay = None if self.weight_decay is None else _number("weight_decay", self.weight_decay)
        if decay is not None and not 0 <= decay <= 1:
            raise ConfigError("weight_decay", value=self.weight_decay)
        gamma = _number("gamma", self.gamma)
        if not 0 < gamma < 1:  # ReduceLROnPlateau refuses 1; elsewhere 1 would be no schedule at all
            raise ConfigError("gamma", value=self.gamma)
        val_fraction = _number("val_fraction", self.val_fraction)
        if not 0 <= val_fraction <= 0.5:
            raise ConfigError("val_fraction", value=self.val_fraction)
        seed = _integer("seed", self.seed)
        if not 0 <= seed < 2**31:
            raise ConfigError("seed", value=self.seed)
        counts = {name: _integer(name, getattr(self, name)) for name in ("step_size", "patience", "warmup_epochs")}
        for name, value in counts.items():
            least = 1 if name == "step_size" else 0
            if value < least:
                raise ConfigError("at_least", name=name, value=value, least=least)
        return dataclasses.replace(
            self,
            hidden=hidden if self.model == "mlp" else (),
            lr=lr,
            momentum=momentum,
            weight_decay=decay,
            batch_size=batch,
            epochs=epochs,
            gamma=gamma,
            shuffle=bool(self.shuffle),
            seed=seed,
            val_fraction=val_fraction,
            **counts,
        )

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
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, text in params.items():
            if key not in known:
                continue
            values[key] = _parse(key, str(text))
        return cls(**values).validated()


def _choice(name: str, value: object, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError("choice", name=name, value=value, options=options)


def _as_float(value: object) -> float:
    """float(value), or NaN for anything that is no number (True is no number here)."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _number(name: str, value: object) -> float:
    number = _as_float(value)
    if not math.isfinite(number):
        raise ConfigError("number", name=name, value=value)
    return number


def _integer(name: str, value: object) -> int:
    """A whole number: an int or digits exactly as given (no float on the way loses a digit), else a float's value."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and WHOLE.fullmatch(value.strip()):
        try:
            return int(value)
        except ValueError:  # beyond Python's 4300 digits
            raise ConfigError("integer", name=name, value=value) from None
    number = _as_float(value)  # 32.0, 1e3
    if not math.isfinite(number) or number != int(number):
        raise ConfigError("integer", name=name, value=value)
    return int(number)


def format_param(value: object) -> str:
    """The flat string form of one value: 32,16 for layer sizes, 1/0 for a switch."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _parse(key: str, text: str) -> object:
    if key == "hidden":
        try:
            return tuple(_integer("hidden", part) for part in text.split(",") if part.strip())
        except ConfigError:
            raise ConfigError("hidden", value=text, max=MAX_HIDDEN, layers=MAX_LAYERS) from None
    if key == "shuffle":
        if text.lower() not in SWITCH:
            raise ConfigError("switch", name=key, value=text)
        return SWITCH[text.lower()]
    if key == "weight_decay":
        return None if text in ("", "None") else text
    return text


MAX_WALK_LR = 10.0
MAX_LOSS_SCALE = 1000.0


@dataclass(frozen=True)
class WalkConfig:
    """The 2-D optimizer lesson: which landscape, which optimizers, and how far and how fast they walk it."""

    surface: str = "ravine"
    optimizers: tuple[str, ...] = ("sgd", "momentum", "adam")
    lr: float = 0.018
    start: tuple[float, float] = (-2.0, 0.8)
    steps: int = 100
    seed: int = 0
    scale: float = 1.0  # the factor the loss is multiplied by

    @classmethod
    def for_surface(cls, surface: str, **changes: object) -> WalkConfig:
        """The lesson on `surface`, starting from its own start point with its own telling learning rate."""
        from core.lessons.surfaces import SURFACES  # loaded on use: importing RunConfig never loads the lessons

        _choice("surface", surface, tuple(SURFACES))
        chosen = SURFACES[surface]
        return cls(surface=surface, lr=chosen.lr, start=chosen.start, **changes).validated()

    def replace(self, **changes: object) -> WalkConfig:
        """A copy with some fields changed, validated again."""
        return dataclasses.replace(self, **changes).validated()

    def validated(self) -> WalkConfig:
        """Check every field; raise ConfigError with a readable message for anything out of range."""
        from core.lessons.surfaces import MAX_STEPS, SURFACE_OPTIMIZERS, SURFACES

        _choice("surface", self.surface, tuple(SURFACES))
        for name in self.optimizers:
            _choice("optimizer", name, SURFACE_OPTIMIZERS)
        lr = _number("lr", self.lr)
        if not 0 < lr <= MAX_WALK_LR:
            raise ConfigError("lr_range", value=self.lr, max=MAX_WALK_LR)
        steps = _integer("steps", self.steps)
        if not 1 <= steps <= MAX_STEPS:
            raise ConfigError("steps", value=self.steps, max=MAX_STEPS)
        x, y = (_number("start", value) for value in self.start)
        x_min, x_max, y_min, y_max = SURFACES[self.surface].view
        if not (x_min <= x <= x_max and y_min <= y <= y_max):
            raise ConfigError("start", x=x, y=y, x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max)
        seed = _integer("seed", self.seed)
        if not 0 <= seed < 2**31:
            raise ConfigError("seed", value=self.seed)
        scale = _number("scale", self.scale)
        if not 0 < scale <= MAX_LOSS_SCALE:
            raise ConfigError("loss_scale", value=self.scale, max=MAX_LOSS_SCALE)
        return dataclasses.replace(
            self,
            optimizers=tuple(dict.fromkeys(self.optimizers)),
            lr=lr,
            start=(x, y),
            steps=steps,
            seed=seed,
            scale=scale,
        )

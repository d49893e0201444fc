"""RunConfig: every knob of one training run, validated, frozen and (de)serialisable."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from core.optim import OPTIMIZERS, SCHEDULERS

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


class ConfigError(ValueError):
    """A bad setting, with a message a person understands (key + params for translation)."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        from core.i18n import t

        super().__init__(t(f"errors.{key}", "en", **params))


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
        _choice("dataset", self.dataset, DATASETS)
        _choice("model", self.model, MODELS)
        _choice("loss", self.loss, LOSSES)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _choice("order", self.order, ORDERS)
        _choice("device", self.device, DEVICES)
        lr = _number("lr", self.lr)
        if not 0 < lr <= MAX_LR:
            raise ConfigError("lr_range", value=self.lr, max=MAX_LR)
        batch = self.batch_size
        if batch != "full":
            batch = _integer("batch_size", batch)
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
        if not 0 <= momentum < 1:
            raise ConfigError("momentum", value=self.momentum)
        decay = None if self.weight_decay is None else _number("weight_decay", self.weight_decay)
        if decay is not None and not 0 <= decay <= 1:
            raise ConfigError("weight_decay", value=self.weight_decay)
        gamma = _number("gamma", self.gamma)
        if not 0 < gamma <= 1:
            raise ConfigError("gamma", value=self.gamma)
        val_fraction = _number("val_fraction", self.val_fraction)
        if not 0 <= val_fraction <= 0.5:
            raise ConfigError("val_fraction", value=self.val_fraction)
        seed = _integer("seed", self.seed)
        if not 0 <= seed < 2**31:
            raise ConfigError("seed", value=self.seed)
        counts = {name: _integer(name, getattr(self, name)) for name in ("step_size", "patience", "warmup_epochs")}
        for name, value in counts.items():
            if value < (1 if name == "step_size" else 0):
                raise ConfigError("positive", name=name, value=value)
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
        """Flat string form, for URLs and exports (only fields that differ from the defaults)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out[f.name] = _format(value)
        return out

    @classmethod
    def from_params(cls, params: dict[str, str]) -> RunConfig:
        """Parse the flat string form; unknown keys are ignored, bad values raise ConfigError."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, text in params.items():
            if key not in known:
                continue
            values[key] = _parse(key, str(text))
        return cls(**values).validated()


def _choice(name: str, value: object, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ConfigError("choice", name=name, value=value, options=", ".join(options))


def _number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError("number", name=name, value=value) from None
    if not math.isfinite(number):
        raise ConfigError("number", name=name, value=value)
    return number


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ConfigError("integer", name=name, value=value)
    number = _number(name, value)
    if number != int(number):
        raise ConfigError("integer", name=name, value=value)
    return int(number)


def _format(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _parse(key: str, text: str) -> object:
    if key == "hidden":
        return tuple(_integer("hidden", part) for part in text.split(",") if part.strip())
    if key == "shuffle":
        return text.lower() in ("1", "true", "yes", "on")
    if key == "batch_size":
        return "full" if text == "full" else text
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

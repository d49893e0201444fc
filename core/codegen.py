"""Code export: one RunConfig as a standalone PyTorch script in the article's loop style that reproduces the run.

The script is core/reference.py's loop written out for one config: the same split and standardisation
(core/data.py), the same initial weights (nn.Linear's own initialisation under torch.manual_seed(init_seed), which
draws exactly what core/models.py draws), the same shuffle order (a DataLoader generator seeded with order_seed),
the loss `resolve_loss` picks, the optimizer and the schedule stepped where torch documents it. Its line
`Epoch N, Loss: X` prints the app's `train_loss` of epoch N.
"""

from __future__ import annotations

import shlex
import textwrap

from core.config import RunConfig, format_param
from core.data import SPLIT_SEED, load_split
from core.i18n import join, t
from core.models import ACTIVATIONS, layer_sizes, resolve_loss
from core.optim import OPTIMIZER_SPECS, PER_BATCH_SCHEDULERS, WARMUP_MAX_SHARE, WARMUP_START_FACTOR, warmup_steps
from core.runlog import examples_per_batch, init_seed, order_seed, steps_per_epoch

# How each data set is loaded in the script: the import it needs and the lines that set x and y.
_LOADERS = {
    "breast_cancer": (
        "from sklearn.datasets import load_breast_cancer",
        ["bunch = load_breast_cancer()", "x, y = bunch.data, 1 - bunch.target"],
    ),
    "diabetes": (
        "from sklearn.datasets import load_diabetes",
        ["bunch = load_diabetes(scaled=False)", "x, y = bunch.data, bunch.target"],
    ),
    "digits": (
        "from sklearn.datasets import load_digits",
        ["bunch = load_digits()", "x, y = bunch.data, bunch.target"],
    ),
    "blood_pressure": (
        "",
        [
            "rng = np.random.default_rng(0)",
            "age = rng.uniform(20, 80, 500)",
            "bmi = rng.normal(24, 4, 500)",
            "salt = rng.normal(10, 3, 500)",
            "sbp = 120 + 0.6 * (age - 50) + 1.2 * (bmi - 24) + 1.0 * (salt - 10) + rng.normal(0, 8, 500)",
            "x, y = np.column_stack([age, bmi, salt]), sbp",
        ],
    ),
}


def command(config: RunConfig) -> str:
    """The command line that prints this script again: `python -m core code --lr ...`."""
    params = {"lr": format_param(config.lr), **config.to_params()}  # the one knob every run names comes first
    flags = [f"--{name.replace('_', '-')} {shlex.quote(value)}" for name, value in params.items()]
    return " ".join(["python -m core code", *flags])


def script(config: RunConfig, lang: str = "en") -> str:
    """A standalone PyTorch script (torch, numpy, scikit-learn only) that trains `config` on the CPU as the app does."""
    config = config.validated()
    split = load_split(config.dataset, config.val_fraction, order=config.order)
    loss = resolve_loss(config, split)
    n_train, validation = len(split.x_train), len(split.x_val) > 0
    batch = examples_per_batch(config, n_train)  # refuses a batch larger than the data, as training does
    sklearn_import, load_lines = _LOADERS[config.dataset]
    packages = ["torch", "numpy", "scikit-learn"] if sklearn_import else ["torch", "numpy"]
    scheduled = config.scheduler != "none"
    uses_numpy = config.dataset == "blood_pressure" or config.order == "sorted"

    def say(key: str, **params: object) -> str:
        return "# " + t(f"cli.script.{key}", lang, **params)

    lines = [
        '"""' + t("cli.script.title", lang),
        "",
        t(
            "cli.script.remake",
            lang,
            command=" \\\n    ".join(
                textwrap.wrap(command(config), 100, break_long_words=False, break_on_hyphens=False)
            ),
        ),
        t("cli.script.needs", lang, packages=join(packages, lang)),
        t("cli.script.prints", lang),
        '"""',
        "",
        "import math",
        "",
        *(["import numpy as np"] if uses_numpy else []),
        "import torch",
        *([sklearn_import] if sklearn_import else []),
        "from torch import nn",
        *(["from torch.optim import lr_scheduler"] if scheduled else []),
        "from torch.utils.data import DataLoader, TensorDataset",
        "",
        say("data_heading"),
        say(f"data.{config.dataset}"),
        *load_lines,
        say("split", seed=SPLIT_SEED, share=f"{config.val_fraction:.0%}") if validation else say("no_split"),
        f"order = torch.randperm(len(x), generator=torch.Generator().manual_seed({SPLIT_SEED})).numpy()",
        f"n_val = round(len(x) * {config.val_fraction!r})",
        "val, train = order[:n_val], order[n_val:]",
        *([say("sorted"), 'train = train[np.argsort(y[train], kind="stable")]'] if config.order == "sorted" else []),
        say("standardise"),
        "mean, std = x[train].mean(axis=0), x[train].std(axis=0)",
        "std[std == 0] = 1.0  " + say("constant"),
        *_tensors(split.task, loss, split.n_classes, validation, say),
        "",
        say("setup"),
        say("model", seed=init_seed(config.seed)),
        f"torch.manual_seed({init_seed(config.seed)})",
        *_model(config, layer_sizes(config, split, loss), split.task, loss),
        say("criterion"),
        say(f"loss.{_loss_kind(split.task, loss)}"),
        f"criterion = {_criterion(loss)}",
        say("optimizer", name=config.optimizer, lr=format_param(config.lr)),
        OPTIMIZER_SPECS[config.optimizer].code(config.lr, config.momentum, config.weight_decay),
        *_loader(config, batch, n_train, say),
        *_scheduler(config, steps_per_epoch(config), validation, say),
        *(_evaluate(lang) if validation else [""]),
        say("loop", epochs=config.epochs),
        f"epochs = {config.epochs}",
        "for epoch in range(1, epochs + 1):",
        "    running_loss = 0.0",
        "    for inputs, labels in loader:",
        "        optimizer.zero_grad()  " + say("zero_grad"),
        "        outputs = model(inputs)  " + say("forward"),
        "        loss = criterion(outputs, labels)  " + say("score"),
        "        if not math.isfinite(loss.item()):",
        f'            raise SystemExit("{t("cli.script.stop", lang)}")',
        "        loss.backward()  " + say("backward"),
        "        optimizer.step()  " + say("update"),
        *(["        scheduler.step()  " + say("per_batch")] if config.scheduler in PER_BATCH_SCHEDULERS else []),
        "        running_loss += loss.item()",
        "    train_loss = running_loss / len(loader)",
        *_epoch_end(config, validation, say),
        '    print(f"Epoch {epoch}, Loss: {train_loss:.6g}")',
    ]
    if validation:
        lines += ["", say("validate"), f'print(f"{t("cli.script.validation", lang)}: {{evaluate(x_val, y_val):.6g}}")']
    return "\n".join(lines) + "\n"


def _evaluate(lang: str) -> list[str]:
    return [
        "",
        "",
        "def evaluate(x, y):",
        '    """' + t("cli.script.evaluate", lang) + '"""',
        "    with torch.no_grad():",
        "        return criterion(model(x), y).item()",
        "",
        "",
    ]


def _loss_kind(task: str, loss: str) -> str:
    """Which text explains the loss: MSE reads differently on a probability or on class probabilities."""
    return f"mse_{task}" if loss == "mse" and task != "regression" else loss


def _tensors(task: str, loss: str, n_classes: int, validation: bool, say) -> list[str]:
    """The standardised features and the labels in the form the loss expects, for training and validation."""
    parts = ["train", "val"] if validation else ["train"]
    lines = [f"x_{part} = torch.tensor((x[{part}] - mean) / std, dtype=torch.float32)" for part in parts]
    if task == "regression":
        lines += [say("target"), "y_mean, y_std = y[train].mean(), y[train].std()"]
        labels = "torch.tensor((y[{part}] - y_mean) / y_std, dtype=torch.float32).unsqueeze(1)"
    elif loss == "ce":
        labels = "torch.tensor(y[{part}], dtype=torch.long)"
    elif loss == "mse" and task == "multiclass":
        labels = f"nn.functional.one_hot(torch.tensor(y[{{part}}]), {n_classes}).float()"
    else:  # one output per case: BCE on the logit, or MSE on the probability
        labels = "torch.tensor(y[{part}], dtype=torch.float32).unsqueeze(1)"
    return lines + [f"y_{part} = " + labels.format(part=part) for part in parts]


def _model(config: RunConfig, sizes: list[int], task: str, loss: str) -> list[str]:
    """nn.Sequential of Linear layers, the activation between them; MSE on classes scores probabilities."""
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        if i > 0:
            layers.append(f"nn.{ACTIVATIONS[config.activation].__name__}()")
        layers.append(f"nn.Linear({fan_in}, {fan_out})")
    if loss == "mse" and task != "regression":
        layers.append("nn.Sigmoid()" if sizes[-1] == 1 else "nn.Softmax(dim=1)")
    return ["model = nn.Sequential(", *(f"    {layer}," for layer in layers), ")"]


def _criterion(loss: str) -> str:
    return {"mse": "nn.MSELoss()", "bce": "nn.BCEWithLogitsLoss()", "ce": "nn.CrossEntropyLoss()"}[loss]


def _loader(config: RunConfig, batch: int, n_train: int, say) -> list[str]:
    """The DataLoader: batches in a new order every epoch from its own seeded generator, or the stored order."""
    if config.batch_size == "full":
        comment = say("loader_full", n=n_train)
    elif config.shuffle:
        comment = say("loader_shuffled", batch=batch, seed=order_seed(config.seed))
    else:
        comment = say("loader_in_order", batch=batch)
    size = "len(x_train)" if config.batch_size == "full" else str(batch)
    order = ["shuffle=True,", f"generator=torch.Generator().manual_seed({order_seed(config.seed)}),"]
    arguments = [
        "TensorDataset(x_train, y_train),",
        f"batch_size={size},",
        *(order if config.shuffle else ["shuffle=False,"]),
    ]
    return [comment, "loader = DataLoader(", *(f"    {argument}" for argument in arguments), ")"]


def _scheduler(config: RunConfig, steps: int, validation: bool, say) -> list[str]:
    """The LR schedule as core.optim.make_scheduler builds it, with the numbers of this run written out."""
    total = config.epochs * steps
    name, gamma = config.scheduler, config.gamma
    if name == "none":
        return []
    if name == "step":
        step = f"lr_scheduler.StepLR(optimizer, step_size={config.step_size}, gamma={gamma!r})"
        return [say("step", step_size=config.step_size, gamma=gamma), f"scheduler = {step}"]
    if name == "exponential":
        return [say("exponential", gamma=gamma), f"scheduler = lr_scheduler.ExponentialLR(optimizer, gamma={gamma!r})"]
    if name == "cosine":
        cosine = f"lr_scheduler.CosineAnnealingLR(optimizer, T_max={max(1, config.epochs)})"
        return [say("cosine", epochs=config.epochs), f"scheduler = {cosine}"]
    if name == "onecycle":
        one_cycle = (
            f"lr_scheduler.OneCycleLR(optimizer, max_lr={config.lr!r}, total_steps={total}, cycle_momentum=False)"
        )
        return [say("onecycle", total=total, lr=format_param(config.lr)), f"scheduler = {one_cycle}"]
    if name == "plateau":
        watched = "plateau" if validation else "plateau_train"
        plateau = f"lr_scheduler.ReduceLROnPlateau(optimizer, factor={gamma!r}, patience={config.patience})"
        return [say(watched, patience=config.patience, gamma=gamma), f"scheduler = {plateau}"]
    warm = warmup_steps(config.warmup_epochs, steps, total)
    asked = config.warmup_epochs * steps
    capped = [say("warmup_capped", share=f"{WARMUP_MAX_SHARE:.0%}", asked=asked)] if warm < asked else []
    if warm == 0:
        return [
            say("cosine_steps", total=total),
            *capped,
            f"scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max={total})",
        ]
    return [
        say("warmup_cosine", warm=warm, rest=total - warm),
        *capped,
        "scheduler = lr_scheduler.SequentialLR(",
        "    optimizer,",
        "    [",
        f"        lr_scheduler.LinearLR(optimizer, start_factor={WARMUP_START_FACTOR!r}, total_iters={warm}),",
        f"        lr_scheduler.CosineAnnealingLR(optimizer, T_max={total - warm}),",
        "    ],",
        f"    milestones=[{warm}],",
        ")",
    ]


def _epoch_end(config: RunConfig, validation: bool, say) -> list[str]:
    """Schedules stepped once per epoch; plateau watches the validation loss (the training loss without one)."""
    if config.scheduler == "plateau":
        watched = "evaluate(x_val, y_val)" if validation else "train_loss"
        return [f"    scheduler.step({watched})  " + say("per_epoch")]
    if config.scheduler in ("none", *PER_BATCH_SCHEDULERS):
        return []
    return ["    scheduler.step()  " + say("per_epoch")]

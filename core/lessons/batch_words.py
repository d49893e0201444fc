"""What the batch page says: its labels, the counters, what each chart shows, picked from the numbers and from the
claims of its cards.

Above both the batch lesson (core.lessons.batches) and the claims registry, which builds its arms from the lesson's
settings: the page's sentences follow the registry's claims, never the other way round.
"""

from __future__ import annotations

import math

import pandas as pd

from core.charts import format_lr
from core.claims import Claim, by_id
from core.config import RunConfig
from core.i18n import join, sentences, t
from core.lessons.batches import (
    EARLY_EPOCHS,
    epoch_finding,
    overfit_finding,
    seconds_finding,
    shuffle_findings,
    talking_point,
    total_updates,
    updates_per_epoch,
)


def early_against_late(
    config: RunConfig, epochs: pd.DataFrame, n_val: int, claims: list[Claim]
) -> list[tuple[str, dict[str, float]]]:
    """What the over-fitting card's `claims` (validation loss, then accuracy, of the long run against its first
    EARLY_EPOCHS) say of this run (`config`, its per-epoch frame), as (sentence key, its numbers); nothing unless
    this run is the claims' long arm. Without a schedule the first epochs of a long run are exactly the shorter run,
    so the short arm is read from this frame."""
    runs = [config, config.replace(epochs=EARLY_EPOCHS)]
    by_epoch = epochs.set_index("epoch")
    said = []
    for claim in claims:
        column = claim.metric.removeprefix("final_")
        verdict = claim.said_of(runs, [by_epoch[column].get(run.epochs, math.nan) for run in runs])
        if verdict is not None:
            key, values = verdict
            numbers = values | {"ratio": values["a"] / values["b"], "early": EARLY_EPOCHS, "last": config.epochs}
            cases = (
                {f"{arm}_cases": round(value * n_val) for arm, value in values.items()} if column != "val_loss" else {}
            )
            said.append((key, numbers | cases | {"n": n_val}))
    return said


ORDERS = ("sorted", "shuffled")  # the shuffling section's two runs, in run order


def batch_label(size: int | str, lang: str) -> str:
    """A batch size as the page names it: its number, or N for the full batch."""
    return t("batch_and_epochs.batch.full", lang) if size == "full" else str(size)


def batch_names(configs: list[RunConfig], lang: str) -> list[str]:
    """Each run's batch size as the page names it, in run order."""
    return [batch_label(config.batch_size, lang) for config in configs]


def cases_per_batch(config: RunConfig, n: int) -> int:
    """The cases in one batch of `config` out of `n` training cases (all of them for the full batch)."""
    return n if config.batch_size == "full" else config.batch_size


def counter_texts(configs: list[RunConfig], n: int, lang: str) -> list[tuple[str, str, str]]:
    """One card per batch size: its label, its updates per epoch, and the help that counts the updates in all."""
    cards = []
    for config in configs:
        size = cases_per_batch(config, n)
        updates = updates_per_epoch(n, size)
        total = f"{total_updates(n, size, config.epochs):,}"
        facts = {"n": n, "batch": size, "updates": updates, "epochs": config.epochs, "total": total}
        label = t("batch_and_epochs.batch.counter", lang, batch=batch_label(config.batch_size, lang))
        cards.append((label, f"{updates:,}", t("batch_and_epochs.batch.counter_help", lang, **facts)))
    return cards


def progress_readings(configs: list[RunConfig], last: pd.DataFrame, n: int, x: str, lang: str) -> list[tuple[str, str]]:
    """What the batch comparison's chart shows, picked from its numbers, as (element, text) in the page's order: the
    element is "caption", "markdown" or "talking" (the lecturer's point). `last` is `last_epochs` of the runs, `x` the
    chart's horizontal axis: the measured time per update is said only against seconds."""
    names = batch_names(configs, lang)
    sizes = [cases_per_batch(config, n) for config in configs]
    epochs = configs[0].epochs
    said = []
    if x == "seconds":
        said.append(("caption", t("batch_and_epochs.batch.seconds_note", lang)))
        if timing := seconds_finding(last, sizes):
            small, large = names[timing.pop("small")], names[timing.pop("large")]
            text = t("batch_and_epochs.batch.seconds_measured", lang, small_batch=small, large_batch=large, **timing)
            said.append(("markdown", text))
    items = [
        t(
            "batch_and_epochs.batch.reading_item",
            lang,
            batch=names[row.run],
            updates=f"{row.updates:,}",
            loss=f"{row.loss:.3g}",
        )
        for row in last.itertuples()
    ]
    said.append(("markdown", t("batch_and_epochs.batch.reading", lang, epochs=epochs, items=join(items, lang))))
    if len({config.lr for config in configs}) > 1:
        rates = [
            t("batch_and_epochs.batch.reading_rate", lang, batch=name, lr=format_lr(config.lr))
            for name, config in zip(names, configs, strict=True)
        ]
        said.append(("caption", t("batch_and_epochs.batch.rates_used", lang, items=join(rates, lang))))
    if len(configs) > 1:
        kind, numbers = epoch_finding(last, sizes)
        if numbers:
            numbers |= {"best": names[numbers["best"]], "smallest": names[numbers["smallest"]]}
        said.append(("markdown", t(f"batch_and_epochs.batch.per_epoch.{kind}", lang, epochs=epochs, **numbers)))
    said.append(("markdown", t("batch_and_epochs.batch.views", lang)))
    claimed = by_id("batches_online_ahead_per_epoch").said_of(configs, last["loss"].tolist())
    if claimed is not None:
        said.append(("talking", t(claimed[0], lang, **claimed[1])))
    elif point := talking_point(last, sizes):
        kind, numbers = point
        numbers |= {"small": names[numbers["small"]], "large": names[numbers["large"]]}
        said.append(("talking", t(f"batch_and_epochs.batch.talking.{kind}", lang, epochs=epochs, **numbers)))
    return said


def order_names(lang: str) -> dict[str, str]:
    """The shuffling section's two runs by their order: sorted and not shuffled, sorted then shuffled."""
    return {order: t(f"batch_and_epochs.shuffle.{order}", lang) for order in ORDERS}


def chart_titles(lang: str) -> dict[str, str]:
    """The shuffling charts' axis and legend titles."""
    return {
        key: t(f"batch_and_epochs.charts.{key}", lang)
        for key in ("step", "loss", "order", "label", "count", "accuracy")
    }


def first_epochs_steps(steps: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The batch losses of both runs' first two epochs (a `steps` frame), each with its run's order and name."""
    steps = steps[steps["epoch"] <= 2]
    orders = steps["run"].map(dict(enumerate(ORDERS)))
    return steps.assign(order=orders, name=orders.map(names))


def named_traces(traces: list[pd.DataFrame], names: dict[str, str]) -> pd.DataFrame:
    """The `first_epoch` traces of both runs (in run order) as one frame, each row with its run's order and name."""
    trace = pd.concat([one.assign(order=order) for one, order in zip(traces, ORDERS, strict=True)], ignore_index=True)
    return trace.assign(name=trace["order"].map(names))


def shuffle_words(facts: dict[str, float], epochs: int, lang: str) -> str:
    """What `shuffle_facts` shows (the batch-loss spread, halfway, the end), one paragraph per finding."""
    texts = [
        t(f"batch_and_epochs.shuffle.{key}", lang, epochs=epochs, **numbers) for key, numbers in shuffle_findings(facts)
    ]
    return "\n\n".join(texts)


def halfway_words(claim: Claim, configs: list[RunConfig], facts: dict[str, float], lang: str) -> str | None:
    """What the halfway card's `claim` says of these two runs (sorted, shuffled), or None when they are not its arms."""
    said = claim.said_of(configs, [facts["half_sorted"], facts["half_shuffled"]])
    if said is None:
        return None
    return t(said[0], lang, met=facts["met"], classes=facts["classes"], **said[1])


def overfit_labels(lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The over-fitting chart's curve names and its axis and legend titles."""
    names = {"train_loss": t("batch_and_epochs.epochs.train", lang), "val_loss": t("batch_and_epochs.epochs.val", lang)}
    titles = {key: t(f"charts.{key}", lang) for key in ("epoch", "loss")}
    titles |= {"curve": t("batch_and_epochs.charts.curve", lang), "best": t("batch_and_epochs.epochs.best", lang)}
    return names, titles


def overfit_words(frame: pd.DataFrame, epochs: int, n_val: int, lang: str) -> tuple[bool, str]:
    """Whether the run of per-epoch `frame` (trained for `epochs`) has started to over-fit, and what is said of it."""
    found = overfit_finding(frame, n_val)
    if found is None:
        low, end = frame["val_loss"].min(), frame["val_loss"].iloc[-1]
        return False, t("batch_and_epochs.epochs.no_overfit", lang, epochs=epochs, end=end, low=low)
    kind, numbers = found
    said = [
        t("batch_and_epochs.epochs.overfit", lang, **numbers),
        t(f"batch_and_epochs.epochs.{kind}", lang, **numbers),
    ]
    return True, sentences(said, lang)


def early_against_late_words(
    config: RunConfig, epochs: pd.DataFrame, n_val: int, claims: list[Claim], lang: str
) -> str | None:
    """The over-fitting talking point: what `early_against_late` finds, as sentences; None when it finds nothing."""
    said = [t(key, lang, **numbers) for key, numbers in early_against_late(config, epochs, n_val, claims)]
    return sentences(said, lang) if said else None

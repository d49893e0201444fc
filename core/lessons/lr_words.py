"""What the learning-rate page says about a sweep, in words, from the numbers it measured (no Streamlit).

Every sentence here is picked by a measurement (core.lessons.verdicts, core.sensitivity, the sweep's own record) and
carries the numbers it rests on, so the text follows the setting instead of asserting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from core.charts import format_lr
from core.claims import Claim
from core.i18n import t
from core.lessons.autopsy import Blowup
from core.lessons.valley import edge_of_stability
from core.lessons.verdicts import VERDICTS
from core.runlog import STOP_FACTOR, divergence_reason, plain_number

# A learning-rate claim's metric, read off a rate's row of the page's judged sweep (core.lessons.verdicts.judged_runs)
# as core.claims measures it on trained runs.
MEASURED: dict[str, Callable[[pd.Series], float]] = {
    "verdict": lambda row: float(VERDICTS.index(row["verdict"])),
    "sign": lambda row: float(row["sign"] == "falling"),
    "final_train_loss": lambda row: float(row["end"]),
    "diverged": lambda row: float(bool(row["diverged"])),
}


def run_words(row: pd.Series, parted: Mapping[float, int], lang: str) -> str:
    """A rate of a judged sweep (core.lessons.verdicts.judged_runs) with its numbers, the sign its verdict rests on,
    and the epoch up to which it reproduces (`parted`: rate -> core.sensitivity.parting_epoch, rates that part)."""
    lr = format_lr(row["lr"])
    if row["verdict"] == "diverging":
        return t("learning_rate.run_diverging", lang, lr=lr, reason=divergence_reason(row, lang))
    notes = [] if row["sign"] in ("", "above_best") else [sign_words(row, lang)]
    if row["lr"] in parted:
        notes.append(t("common.rounding_sensitive", lang, epochs=parted[row["lr"]] - 1))
    numbers = {"lr": lr, "start": plain_number(row["start"]), "end": plain_number(row["end"])}
    return t("learning_rate.run_with" if notes else "learning_rate.run", lang, notes="; ".join(notes), **numbers)


def sign_words(row: pd.Series, lang: str) -> str:
    """The sign a verdict rests on, with its numbers: a rise above the start (training or validation loss), a worse
    validation loss at the end, a climb back, a real fall at the end, no clear fall."""
    numbers = {
        "peak": plain_number(row["peak"]),
        "epoch": row["peak_epoch"],
        "val_start": plain_number(row["val_start"]),
        "val_end": plain_number(row["val_end"]),
        "val_peak": plain_number(row["val_peak"]),
        "val_epoch": row["val_peak_epoch"],
        "share": f"{100 * row['climbed']:.0f}",
        "fall": f"{100 * row['fall']:.2g}",
        "epochs": row["trend_epochs"],
    }
    return t(f"learning_rate.signs.{row['sign']}", lang, **numbers)


def talking_point_words(judged: pd.DataFrame, lang: str) -> str:
    """One sentence for the lecturer: which rate ended lowest, and which diverged first and when."""
    trained, diverging = judged[judged["verdict"] != "diverging"], judged[judged["verdict"] == "diverging"]
    parts = {}
    if not trained.empty:
        best = trained.loc[trained["end"].idxmin()]
        parts["lowest"] = t("learning_rate.talk.lowest", lang, lr=format_lr(best["lr"]), end=plain_number(best["end"]))
    if not diverging.empty:
        first = diverging.loc[diverging["lr"].idxmin()]
        lr = format_lr(first["lr"])
        stopped = pd.notna(first["stopped_epoch"])
        epoch = int(first["stopped_epoch"]) if stopped else None
        parts["diverged"] = t(f"learning_rate.talk.{'stopped' if stopped else 'diverged'}", lang, lr=lr, epoch=epoch)
    shape = "both" if len(parts) == 2 else f"{next(iter(parts))}_only"
    return t(f"learning_rate.talk.{shape}", lang, **parts)


def sweep_edge_words(judged: pd.DataFrame, edge: float, lang: str) -> str:
    """Where the sweep really diverged, against the edge 2/λmax at the start."""
    diverged = judged["verdict"] == "diverging"
    trained, blown = judged.loc[~diverged, "lr"], judged.loc[diverged, "lr"]
    numbers = {}
    if not trained.empty:
        numbers |= {"trained": format_lr(trained.max()), "trained_ratio": f"{trained.max() / edge:.2g}"}
    if not blown.empty:
        numbers |= {"diverged": format_lr(blown.min()), "diverged_ratio": f"{blown.min() / edge:.2g}"}
    shape = "both" if len(numbers) == 4 else ("trained" if not trained.empty else "diverged")
    return t(f"learning_rate.valley.sweep.{shape}", lang, **numbers)


def bowl_words(regime: str, product: float, steps: int, judged: pd.DataFrame | None, lr: float, lang: str) -> str:
    """What the ball on the bowl does at rate `lr` (core.lessons.valley.parabola_regime), and, where it flies off and
    the sweep trained `lr`, what the network's own run did: "divergence" only where that run diverged too."""
    words = t(f"learning_rate.valley.regime.{regime}", lang, product=f"{product:.3g}", steps=steps)
    own = None if judged is None else judged[judged["lr"] == lr]
    if regime != "flies_off" or own is None or own.empty:
        return words
    network = "diverges" if own["verdict"].iloc[0] == "diverging" else "trains"
    return f"{words} {t(f'learning_rate.valley.network_{network}', lang)}"


def card_words(claims: Sequence[Claim], judged: pd.DataFrame, lang: str) -> list[tuple[bool, str]]:
    """Each of a card's claims measured on the runs the page shows: whether it holds there, and the sentence that
    says so (the claim's own `.holds` or `.fails`, with its rates). Claims with a rate not shown are left out."""
    rows = judged.set_index("lr")
    said = []
    for claim in claims:
        rates = {name: float(params["lr"]) for name, params in claim.arms.items()}
        if claim.metric not in MEASURED or not set(rates.values()) <= set(rows.index):
            continue
        values = {name: MEASURED[claim.metric](rows.loc[rate]) for name, rate in rates.items()}
        words = t(claim.sentence(values), lang, **{name: format_lr(rate) for name, rate in rates.items()})
        if (claim.holds(values), words) not in said:  # two claims of one outcome (a verdict, its metric) say it once
            said.append((claim.holds(values), words))
    return said


def moved_edge_words(end: float, lr: float, where: str, epochs: int, lang: str) -> str:
    """Where training moved the edge: λmax `end` after `epochs` epochs at rate `lr` (NaN: the run was stopped), for
    the largest rate of the sweep that did not diverge (`where` "sweep") or the focus rate ("focus")."""
    if not math.isfinite(end):
        return t("learning_rate.valley.edge_end_stopped", lang, lr=format_lr(lr))
    numbers = {"end": f"{end:.3g}", "end_edge": f"{edge_of_stability(end):.3g}"}
    return t(f"learning_rate.valley.edge_end.{where}", lang, epochs=epochs, lr=format_lr(lr), **numbers)


def autopsy_words(blowup: Blowup, curvature: float, lang: str) -> str:
    """The largest diverging run examined (core.lessons.autopsy.largest_blowup), one paragraph each: where and why it
    was stopped (or what its record showed), its first gradient spike, and η × λmax (`curvature`) against 2."""
    row, lr = blowup.run, format_lr(blowup.run["lr"])
    lines = [t("learning_rate.autopsy.intro", lang, lr=lr)]
    if pd.notna(row["stopped_step"]):
        where = {"step": int(row["stopped_step"]), "epoch": int(row["stopped_epoch"])}
        numbers = {"loss": plain_number(row["stopped_loss"]), "start": plain_number(row["start"])}
        lines.append(
            t(f"learning_rate.autopsy.{row['reason']}", lang, factor=plain_number(STOP_FACTOR), **where, **numbers)
        )
    else:
        lines.append(t("learning_rate.autopsy.record", lang, reason=divergence_reason(row, lang)))
    if blowup.spike is None:
        lines.append(t("learning_rate.autopsy.no_spike", lang))
    else:
        step, before, after = blowup.spike
        lines.append(t("learning_rate.autopsy.spike", lang, step=step, before=f"{before:.3g}", after=f"{after:.3g}"))
    relation = t(f"learning_rate.autopsy.{'above' if blowup.product > 2 else 'below'}", lang)
    numbers = {"lr": lr, "curvature": f"{curvature:.3g}", "product": f"{blowup.product:.3g}"}
    lines.append(t("learning_rate.autopsy.ratio", lang, relation=relation, **numbers))
    return "\n\n".join(lines)


def card_check_words(said: Sequence[tuple[bool, str]], lang: str) -> str:
    """A card's claims as measured (`card_words`): a bold title over one ✓ or ✗ line each."""
    return "\n".join([f"**{t('learning_rate.card_check', lang)}**", *(f"- {'✓' if ok else '✗'} {w}" for ok, w in said)])


def finder_labels(picks: Mapping[str, float], lang: str) -> dict[str, float]:
    """The range test's suggested rates (medians of core.lessons.lr_finder.suggested_rates) by their chart label."""
    names = ("steepest", "minimum_over_10", "minimum")
    return {t(f"learning_rate.finder.{name}", lang, lr=f"{picks[name]:.3g}"): picks[name] for name in names}


def finder_reading(picks: Mapping[str, float], lang: str) -> str:
    """How to read the range test's suggestions, with their rates, and why its lowest point is no rate to train at."""
    shown = {"steepest": picks["steepest"], "over10": picks["minimum_over_10"], "minimum": picks["minimum"]}
    return t("learning_rate.finder.reading", lang, **{name: f"{rate:.3g}" for name, rate in shown.items()})

"""The app's pages, each declared once: plain data that the navigation, the link check, the lecture and the tests read.

A page's id is one word for everything that names the page: its navigation entry (`nav.<id>`), its locale topic
(`core/locales/<lang>/<id>.json`) and the prefix of its widget keys (`<id>.…`, which a scenario card clears and
predict mode watches). Its link keeps exactly the parameters it declares, RunConfig's knobs under their own names
and its own settings, besides the lecture's, which every page keeps; a link's other parameters are named in the
page's notice and dropped. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Settings of the lecture, not of a lesson: every page keeps them, and every navigation link passes them on.
LECTURE_PARAMS = frozenset({"lang", "present", "predict"})


@dataclass(frozen=True)
class Page:
    """One page: its id, its file (relative to app.py), its icon, and the link parameters it keeps: `knobs`, RunConfig
    knobs by name (core.config.KNOBS), and `params`, its own settings."""

    id: str
    path: str
    icon: str
    knobs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()

    @property
    def key_prefix(self) -> str:
        """How the keys of this page's widgets start (no two pages share a key)."""
        return f"{self.id}."

    @property
    def link_params(self) -> frozenset[str]:
        """Every parameter a link to this page may hold: its knobs, its own settings and the lecture's."""
        return frozenset(self.knobs) | frozenset(self.params) | LECTURE_PARAMS


# In the order of the navigation. A lesson's widgets for RunConfig knobs are kept under the knob's name (`lr`), its
# own settings under short names of its own (`focus_lr`, `smooth`).
PAGES: tuple[Page, ...] = (
    Page("home", "app.py", ":material/home:", params=("walk",)),
    Page(
        "loss_functions",
        "pages/1_loss_functions.py",
        ":material/rule:",
        params=("pressure", "p_malignant", "race_lr", "race_w", "race_b"),
    ),
    Page(
        "optimizers",
        "pages/2_optimizers.py",
        ":material/explore:",
        knobs=("lr", "seed"),  # the walk's rate and, on the noisy ravine, its seed
        params=("surface", "opts", "steps", "x0", "y0", "scale", "data_lr", "data_epochs"),
    ),
    Page(
        "learning_rate",
        "pages/3_learning_rate.py",
        ":material/speed:",
        knobs=("lr", "batch_size", "epochs", "optimizer", "dataset"),
        params=("focus_lr", "valley_lr", "curve", "log"),
    ),
    Page(
        "lr_schedules",
        "pages/4_lr_schedules.py",
        ":material/schedule:",
        knobs=(
            "scheduler",
            "lr",
            "epochs",
            "batch_size",
            "optimizer",
            "dataset",
            "step_size",
            "gamma",
            "warmup_epochs",
            "patience",
        ),
        params=("smooth",),
    ),
    Page(
        "batch_and_epochs",
        "pages/5_batch_and_epochs.py",
        ":material/stacks:",
        knobs=("lr", "epochs", "optimizer", "dataset"),
        params=("batch_sizes", "scale", "x", "log", "smooth", "shuffle_dataset", "fit_epochs"),
    ),
    Page(
        "lab",
        "pages/6_lab.py",
        ":material/science:",
        # every knob of a run but the device, which the app chooses
        knobs=(
            "dataset",
            "order",
            "val_fraction",
            "model",
            "hidden",
            "activation",
            "loss",
            "optimizer",
            "lr",
            "momentum",
            "weight_decay",
            "scheduler",
            "step_size",
            "gamma",
            "warmup_epochs",
            "patience",
            "batch_size",
            "epochs",
            "shuffle",
            "seed",
        ),
        params=("run", "view", "csv", "ab_knob", "x", "metric", "log", "grid_lr", "grid_batch_size", "grid_optimizer"),
    ),
)
HOME = PAGES[0]
_BY_ID = {page.id: page for page in PAGES}


def page(page_id: str) -> Page:
    """The page declared as `page_id` (KeyError for one that is not)."""
    return _BY_ID[page_id]

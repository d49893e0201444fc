"""Data sets, all offline: bundled with scikit-learn or generated here.

- breast_cancer: 569 tumours x 30 measurements; label 1 = malignant, 0 = benign (binary).
- diabetes: 442 patients x 10 baseline measurements; target = disease progression after one year (regression).
- blood_pressure: 500 synthetic patients x 3 features (age, BMI, salt intake); target = systolic pressure in mmHg,
      sbp = 120 + 0.6 (age - 50) + 1.2 (BMI - 24) + 1.0 (salt - 10) + noise,  noise ~ N(0, 8^2),
      with age ~ U(20, 80) years, BMI ~ N(24, 4^2), salt ~ N(10, 3^2) g/day (regression).
- digits: 1797 handwritten digits as 8x8 images = 64 pixels, 10 classes (multiclass).

Features are standardised with the training split's mean and standard deviation; a regression target too
(`target_mean`/`target_std` turn predictions back into the original unit). A user's own table (core.upload) becomes
a `Dataset` and is split by the same `split` function as the bundled sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from core.config import RunConfig

TASKS = {"breast_cancer": "binary", "diabetes": "regression", "blood_pressure": "regression", "digits": "multiclass"}
BLOOD_PRESSURE_SIZE = 500
SPLIT_SEED = 0  # every run is scored on the same validation patients; the run seed moves weights and order only


@dataclass(frozen=True, eq=False)
class Dataset:
    """A whole table before the split: features [n, d], targets [n] (class indices 0..k-1 for classification)."""

    name: str
    task: str
    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()  # the label of class index i, for classification


@dataclass(frozen=True)
class Split:
    """A data set split into standardised training and validation tensors."""

    name: str
    task: str
    n_classes: int
    feature_names: tuple[str, ...]
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    feature_mean: tuple[float, ...] = ()
    feature_std: tuple[float, ...] = ()
    target_mean: float = 0.0
    target_std: float = 1.0

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return self.x_train.shape[1]


def blood_pressure(n: int = BLOOD_PRESSURE_SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic systolic blood pressure (mmHg) from age, BMI and salt intake; formula in the module docstring."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 80, n)
    bmi = rng.normal(24, 4, n)
    salt = rng.normal(10, 3, n)
    sbp = 120 + 0.6 * (age - 50) + 1.2 * (bmi - 24) + 1.0 * (salt - 10) + rng.normal(0, 8, n)
    return np.column_stack([age, bmi, salt]), sbp


@cache
def raw(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Features, targets and feature names of a data set, unscaled."""
    from sklearn import datasets

    if name == "breast_cancer":
        bunch = datasets.load_breast_cancer()
        return bunch.data, 1 - bunch.target, tuple(bunch.feature_names)  # scikit-learn codes malignant as 0
    if name == "diabetes":
        bunch = datasets.load_diabetes(scaled=False)
        return bunch.data, bunch.target, tuple(bunch.feature_names)
    if name == "blood_pressure":
        x, y = blood_pressure()
        return x, y, ("age", "bmi", "salt")
    if name == "digits":
        bunch = datasets.load_digits()
        return bunch.data, bunch.target, tuple(f"pixel_{i // 8}_{i % 8}" for i in range(64))
    raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(TASKS)}")


# Splits differ by data set, order and validation fraction; a link may carry any fraction from 0 to 0.5, so the cache
# keeps the most recent few (the largest split, digits, holds about 0.5 MB) instead of one per fraction ever asked.
SPLITS_KEPT = 32


@lru_cache(maxsize=SPLITS_KEPT)
def load_split(name: str, val_fraction: float = 0.2, seed: int = SPLIT_SEED, order: str = "random") -> Split:
    """A bundled data set split by `seed` and standardised; `order="sorted"` sorts training rows by label."""
    x, y, features = raw(name)
    return split(Dataset(name, TASKS[name], x, y, features), val_fraction, seed, order)


def split_of(config: RunConfig, data: Dataset | None = None) -> Split:
    """The split a run trains on: `data` when given (an upload), otherwise the bundled set the config names."""
    if data is None:
        return load_split(config.dataset, config.val_fraction, order=config.order)
    return split(data, config.val_fraction, order=config.order)


def split(data: Dataset, val_fraction: float = 0.2, seed: int = SPLIT_SEED, order: str = "random") -> Split:
    """Split `data` by `seed`, standardise with training statistics; `order="sorted"` sorts training rows by label."""
    x, y, features, task = data.x, data.y, data.feature_names, data.task
    n = len(x)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    n_val = int(round(n * val_fraction))
    val, train = perm[:n_val], perm[n_val:]
    if order == "sorted":
        train = train[np.argsort(y[train], kind="stable")]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    std[std == 0] = 1.0  # a constant column (constant pixels in digits) stays 0 instead of dividing by 0
    x_train = torch.tensor((x[train] - mean) / std, dtype=torch.float32)
    x_val = torch.tensor((x[val] - mean) / std, dtype=torch.float32)
    scaling = {"feature_mean": tuple(mean.tolist()), "feature_std": tuple(std.tolist())}
    name = data.name
    if task == "regression":
        y_mean, y_std = float(y[train].mean()), float(y[train].std())
        y_train = torch.tensor((y[train] - y_mean) / y_std, dtype=torch.float32)
        y_val = torch.tensor((y[val] - y_mean) / y_std, dtype=torch.float32)
        return Split(
            name, task, 1, features, x_train, y_train, x_val, y_val, **scaling, target_mean=y_mean, target_std=y_std
        )
    dtype = torch.float32 if task == "binary" else torch.long
    n_classes = int(y.max()) + 1
    y_train, y_val = torch.tensor(y[train], dtype=dtype), torch.tensor(y[val], dtype=dtype)
    return Split(name, task, n_classes, features, x_train, y_train, x_val, y_val, **scaling)

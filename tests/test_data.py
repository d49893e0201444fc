"""Data sets: shapes, labels, standardisation with training statistics, deterministic split, ordering."""

import numpy as np
import pytest
import torch

from core.data import SPLITS_KEPT, TASKS, blood_pressure, load_split, raw


@pytest.mark.parametrize(
    ("name", "rows", "features", "task"),
    [
        ("breast_cancer", 569, 30, "binary"),
        ("diabetes", 442, 10, "regression"),
        ("blood_pressure", 500, 3, "regression"),
        ("digits", 1797, 64, "multiclass"),
    ],
)
def test_shapes_and_tasks(name, rows, features, task):
    split = load_split(name, 0.2)
    assert TASKS[name] == task == split.task
    assert len(split.x_train) + len(split.x_val) == rows
    assert len(split.x_val) == round(rows * 0.2)
    assert split.n_features == features == len(split.feature_names)


@pytest.mark.parametrize("name", list(TASKS))
def test_features_are_standardised_with_training_statistics(name):
    split = load_split(name, 0.2)
    mean, std = split.x_train.mean(0), split.x_train.std(0, unbiased=False)
    assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5)
    varying = std > 0  # digits has pixels that are blank in every image
    assert torch.allclose(std[varying], torch.ones_like(std[varying]), atol=1e-4)
    assert not torch.allclose(split.x_val.mean(0), torch.zeros_like(mean), atol=1e-5)  # not refitted on val
    if split.task == "regression":
        assert abs(split.y_train.mean().item()) < 1e-5 and abs(split.y_train.std(unbiased=False).item() - 1) < 1e-4


def test_regression_target_converts_back_to_its_unit():
    split = load_split("blood_pressure", 0.2)
    mmhg = split.y_train * split.target_std + split.target_mean
    assert 100 < mmhg.mean().item() < 140
    ages = split.x_train[:, 0] * split.feature_std[0] + split.feature_mean[0]
    assert ages.min().item() >= 20 and ages.max().item() <= 80  # age ~ U(20, 80) years


def test_labels():
    cancer = load_split("breast_cancer", 0.2)
    _, y, _ = raw("breast_cancer")
    assert int(y.sum()) == 212  # the data set holds 212 malignant (label 1) and 357 benign tumours
    assert set(cancer.y_train.unique().tolist()) == {0.0, 1.0}
    digits = load_split("digits", 0.2)
    assert digits.n_classes == 10 and digits.y_train.dtype == torch.long


def test_blood_pressure_follows_its_documented_formula():
    x, y = blood_pressure()
    design = np.column_stack([np.ones(len(x)), x[:, 0] - 50, x[:, 1] - 24, x[:, 2] - 10])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert np.allclose(coef, [120, 0.6, 1.2, 1.0], atol=[1.0, 0.06, 0.3, 0.3])
    residual = y - design @ coef
    assert 7 < residual.std() < 9


def test_split_is_deterministic_by_seed_and_sorted_order_sorts_labels():
    a, b = load_split("breast_cancer", 0.2, seed=0), load_split("breast_cancer", 0.2, seed=0)
    other = load_split("breast_cancer", 0.2, seed=1)
    assert torch.equal(a.x_val, b.x_val) and not torch.equal(a.x_val, other.x_val)
    ordered = load_split("breast_cancer", 0.2, order="sorted")
    assert torch.equal(ordered.y_train, torch.sort(ordered.y_train).values)
    assert torch.equal(ordered.x_val, a.x_val)  # only the training rows are reordered


def test_the_split_cache_stays_bounded_whatever_fractions_links_ask_for():
    load_split.cache_clear()
    for i in range(3 * SPLITS_KEPT):  # a link may carry any validation fraction from 0 to 0.5
        load_split("blood_pressure", 0.5 * i / (3 * SPLITS_KEPT))
    assert load_split.cache_info().currsize == SPLITS_KEPT

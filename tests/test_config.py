"""RunConfig validation and its flat string form."""

import pytest

from core.config import ConfigError, RunConfig


def test_defaults_are_valid_and_frozen():
    config = RunConfig().validated()
    assert config == RunConfig()
    with pytest.raises(AttributeError):
        config.lr = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"lr": -0.1}, "lr_range"),
        ({"lr": 0}, "lr_range"),
        ({"lr": "fast"}, "number"),
        ({"lr": float("nan")}, "number"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "integer"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 10**6}, "epochs"),
        ({"dataset": "mnist"}, "choice"),
        ({"optimizer": "lion"}, "choice"),
        ({"hidden": (0,)}, "hidden"),
        ({"hidden": (8, 8, 8, 8)}, "hidden"),
        ({"momentum": 1.0}, "momentum"),
        ({"val_fraction": 0.9}, "val_fraction"),
        ({"seed": -1}, "seed"),
        ({"gamma": 0}, "gamma"),
    ],
)
def test_bad_values_are_rejected_with_a_readable_message(changes, key):
    with pytest.raises(ConfigError) as info:
        RunConfig(**changes).validated()
    assert info.value.key == key
    assert "Traceback" not in str(info.value) and len(str(info.value)) > 20


def test_string_values_are_parsed_and_round_trip():
    config = RunConfig(lr=0.03, batch_size="full", hidden=(16, 8), shuffle=False, optimizer="sgd", epochs=7)
    params = config.to_params()
    assert params["batch_size"] == "full" and params["hidden"] == "16,8" and params["shuffle"] == "0"
    assert RunConfig.from_params(params) == config
    assert RunConfig.from_params({"lr": "0.5", "epochs": "3", "unknown": "x"}) == RunConfig(lr=0.5, epochs=3)


def test_linear_model_drops_hidden_sizes_and_group_key_ignores_lr_and_seed():
    assert RunConfig(model="linear").validated().hidden == ()
    assert RunConfig(lr=0.1, seed=3).group_key() == RunConfig(lr=0.5, seed=9).group_key()
    assert RunConfig(batch_size=8).group_key() != RunConfig(batch_size=16).group_key()

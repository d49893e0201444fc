"""RunConfig validation and its one flat string form, shared by the URL and the command line."""

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.__main__ import configs_from_args, flag, parser
from core.config import CHOICES, MAX_EPOCHS, MAX_HIDDEN, MAX_LAYERS, MAX_LR, ConfigError, RunConfig


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
        ({"batch_size": 2.5}, "batch_size"),
        ({"batch_size": "many"}, "batch_size"),
        ({"shuffle": "0"}, "switch"),
        ({"step_size": 0}, "at_least"),
        ({"patience": -1}, "at_least"),
        ({"weight_decay": 2}, "weight_decay"),
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
        ({"gamma": 1, "scheduler": "plateau"}, "gamma"),
        ({"optimizer": "nesterov", "momentum": 0}, "momentum"),
        ({"epochs": True}, "integer"),
        ({"momentum": 10**400}, "number"),
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


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"shuffle": "maybe"}, "switch"),
        ({"hidden": "8,x"}, "hidden"),
        ({"hidden": "1e999"}, "hidden"),
        ({"lr": "-inf"}, "number"),
        ({"lr": "nan"}, "number"),
        ({"batch_size": "Full"}, "batch_size"),
        ({"epochs": "2.5"}, "integer"),
    ],
)
def test_bad_strings_are_rejected_with_a_readable_message(params, key):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_params(params)
    assert info.value.key == key


# A valid value drawn for every field; a new RunConfig field fails the completeness test until it is added here.
FIELD_VALUES = {
    "dataset": st.sampled_from(CHOICES["dataset"]),
    "model": st.sampled_from(CHOICES["model"]),
    "hidden": st.lists(st.integers(1, MAX_HIDDEN), min_size=1, max_size=MAX_LAYERS).map(tuple),
    "activation": st.sampled_from(CHOICES["activation"]),
    "loss": st.sampled_from(CHOICES["loss"]),
    "optimizer": st.sampled_from(CHOICES["optimizer"]),
    "lr": st.floats(0, MAX_LR, exclude_min=True),
    "momentum": st.floats(0, 1, exclude_max=True),
    "weight_decay": st.none() | st.floats(0, 1),
    "batch_size": st.integers(1, 10**6) | st.just("full"),
    "epochs": st.integers(1, MAX_EPOCHS),
    "scheduler": st.sampled_from(CHOICES["scheduler"]),
    "step_size": st.integers(1, 10**9),
    "gamma": st.floats(0, 1, exclude_min=True, exclude_max=True),
    "warmup_epochs": st.integers(0, 10**9),
    "patience": st.integers(0, 10**9),
    "shuffle": st.booleans(),
    "order": st.sampled_from(CHOICES["order"]),
    "seed": st.integers(0, 2**31 - 1),
    "val_fraction": st.floats(0, 0.5),
    "device": st.sampled_from(CHOICES["device"]),
}
configs = (
    st.builds(RunConfig, **FIELD_VALUES)
    .filter(lambda c: not (c.optimizer == "nesterov" and c.momentum == 0))  # torch's Nesterov needs a momentum
    .map(RunConfig.validated)
)


def argv(config: RunConfig) -> list[str]:
    """The command line that asks for `config`: a flag per non-default field, the lr always."""
    params = {"lr": str(config.lr), **config.to_params()}
    return ["train", *(part for name, value in params.items() for part in (flag(name), value))]


def test_every_field_has_drawn_values_and_choice_fields_are_fields():
    names = [f.name for f in dataclasses.fields(RunConfig)]
    assert sorted(FIELD_VALUES) == sorted(names)
    assert set(CHOICES) <= set(names)


@settings(max_examples=300, deadline=None, database=None)
@given(configs)
def test_every_config_round_trips_through_params_and_the_command_line(config):
    assert RunConfig.from_params(config.to_params()) == config
    assert configs_from_args(parser().parse_args(argv(config))) == [config]


def test_a_flag_left_out_keeps_the_default_and_several_rates_make_a_sweep():
    args = parser().parse_args(["train", "--lr", "0.1", "1e-3", "--batch-size", "full", "--no-shuffle"])
    assert configs_from_args(args) == [
        RunConfig(lr=0.1, batch_size="full", shuffle=False),
        RunConfig(batch_size="full", shuffle=False),
    ]
    assert configs_from_args(parser().parse_args(["train"])) == [RunConfig()]


def test_choice_messages_list_the_options_the_way_each_language_lists_items():
    with pytest.raises(ConfigError) as info:
        RunConfig(order="backwards").validated()
    assert str(info.value) == info.value.message("en") and "random, sorted" in str(info.value)
    assert "random、sorted" in info.value.message("ja")


# Every knob that takes a whole number, with the range its validation accepts (batch_size's top is the data's size,
# checked when training).
WHOLE_RANGES = {
    "batch_size": (1, math.inf),
    "epochs": (1, MAX_EPOCHS),
    "step_size": (1, math.inf),
    "warmup_epochs": (0, math.inf),
    "patience": (0, math.inf),
    "seed": (0, 2**31 - 1),
    "hidden": (1, MAX_HIDDEN),
}


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from(sorted(WHOLE_RANGES)),
    st.integers(-(10**400), 10**400) | st.integers(2**53 - 3, 2**64 + 3) | st.integers(-3, 1100),
    st.sampled_from(["{}", " {} ", "+{}"]),
)
def test_a_whole_number_in_digits_is_read_exactly(knob, number, form):
    """No float on the way: 2**53 + 1 stays itself, and a number of 400 digits is as good as a small one."""
    text = form.format(number) if number >= 0 else str(number)
    low, high = WHOLE_RANGES[knob]
    try:
        config = RunConfig.from_params({knob: text})
    except ConfigError:
        assert not low <= number <= high
        return
    value = config.hidden[0] if knob == "hidden" else getattr(config, knob)
    assert type(value) is int and value == number

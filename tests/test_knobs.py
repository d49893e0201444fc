"""The declared knobs and optimizer specs: one table each, read by validation, the command line, the widgets and the
engines. Pure functions only (no page runs)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.__main__ import knob_range, parser
from core.config import BATCH, CHOICE, KNOBS, NUMBER, SIZES, SWITCH, WHOLE, ConfigError, RunConfig
from core.i18n import keys, t
from core.optim import OPTIMIZER_SPECS, OPTIMIZERS, make_optimizer

RANGED = [name for name, knob in KNOBS.items() if knob.kind in (NUMBER, WHOLE)]


def test_every_field_declares_its_knob_with_the_fields_default() -> None:
    fields = dataclasses.fields(RunConfig)
    assert list(KNOBS) == [field.name for field in fields]
    for field in fields:
        knob = KNOBS[field.name]
        assert knob.default == field.default and knob.kind in (CHOICE, NUMBER, WHOLE, SWITCH, BATCH, SIZES)
        assert knob.kind != CHOICE or knob.choices, field.name
        for lang in ("en", "ja"):
            assert f"errors.{knob.error}" in keys(lang), (field.name, knob.error)


def inside(knob, value: float) -> bool:
    """The declared range, read as the issue states it: the ends belong to it unless they are marked open."""
    if knob.low is not None and (value < knob.low or (knob.open_low and value == knob.low)):
        return False
    return knob.high is None or not (value > knob.high or (knob.open_high and value == knob.high))


@pytest.mark.parametrize("name", RANGED)
def test_validation_takes_exactly_the_declared_range(name: str) -> None:
    knob = KNOBS[name]
    ends = [end for end in (knob.low, knob.high) if end is not None]
    nudge = 1 if knob.kind == WHOLE else 1e-9
    candidates = {value for end in ends for value in (end - nudge, end, end + nudge)}

    @settings(max_examples=50, deadline=None, database=None)
    @given(st.sampled_from(sorted(candidates)) | st.floats(-10.0, 2.0 * max(ends, key=abs) + 10, allow_nan=False))
    def check(value: float) -> None:
        value = round(value) if knob.kind == WHOLE else value
        try:
            RunConfig(**{name: value}).validated()
        except ConfigError as err:
            assert not inside(knob, value), (value, err.key)
            assert err.key == knob.error
        else:
            assert inside(knob, value), value

    check()


def test_a_widget_narrows_a_knob_and_never_widens_it() -> None:
    assert KNOBS["epochs"].narrowed(high=50).slider == (1, 50)
    assert KNOBS["lr"].narrowed(high=1.0).choices == tuple(rate for rate in KNOBS["lr"].choices if rate <= 1)
    assert KNOBS["weight_decay"].narrowed(high=0.01).choices[0] is None  # torch's own default stays on offer
    assert KNOBS["optimizer"].narrowed(choices=("sgd", "adam")).choices == ("sgd", "adam")
    for wider in (
        lambda: KNOBS["epochs"].narrowed(high=5000),
        lambda: KNOBS["momentum"].narrowed(high=1.0),  # a momentum is below 1
        lambda: KNOBS["lr"].narrowed(choices=(0.0, 0.1)),  # a learning rate is above 0
        lambda: KNOBS["optimizer"].narrowed(choices=("sgd", "lion")),
    ):
        with pytest.raises(ConfigError):
            wider()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_command_line_help_states_every_range_of_the_table(lang: str) -> None:
    commands = next(a for a in parser(lang)._actions if a.dest == "command").choices
    text = " ".join(commands["train"].format_help().split())
    for name in RANGED:
        words = knob_range(KNOBS[name], lang)
        assert words and " ".join(words.split()) in text, name
    assert "from 1 to 1000" in " ".join(knob_range(KNOBS["epochs"], "en").split())


def test_fused_is_declared_exactly_where_torch_has_it() -> None:
    for name, spec in OPTIMIZER_SPECS.items():
        torch_class = getattr(torch.optim, spec.torch_class)
        assert ("fused" in inspect.signature(torch_class).parameters) == spec.fused, name
        # Asked for everywhere, as the fast engine asks on the CPU: built, fused where it exists.
        built = make_optimizer(name, [torch.zeros(3, requires_grad=True)], 0.1, fused=True)
        assert type(built) is torch_class and bool(built.defaults.get("fused")) == spec.fused


def test_every_optimizer_has_its_names_in_both_languages_and_a_colour_of_its_own() -> None:
    for name, spec in OPTIMIZER_SPECS.items():
        assert t(f"common.optimizers.{name}", "en") and t(f"common.optimizers.{name}", "ja")
        assert spec.colour.startswith("#") and len(spec.colour) == 7
    colours = [spec.colour for spec in OPTIMIZER_SPECS.values()]
    assert len(set(colours)) == len(colours)  # one colour per optimizer on every chart
    assert KNOBS["optimizer"].choices == OPTIMIZERS


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_exported_line_builds_what_make_optimizer_builds(name: str) -> None:
    model = torch.nn.Linear(2, 1)
    namespace = {"torch": torch, "model": model}
    exec(OPTIMIZER_SPECS[name].code(0.01, 0.5, 0.001), namespace)  # noqa: S102 - the line the script runs
    exported, built = namespace["optimizer"], make_optimizer(name, model.parameters(), 0.01, 0.5, 0.001)
    assert type(exported) is type(built)
    assert {k: v for k, v in exported.defaults.items() if k != "fused"} == {
        k: v for k, v in built.defaults.items() if k != "fused"
    }

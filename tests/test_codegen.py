"""Code export: the generated script, executed, prints the app's training loss of every epoch (as traingenerator's
tests execute their templates), runs with plain `python` on torch, numpy and scikit-learn only, and reads cleanly."""

import contextlib
import io
import re
import shlex
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.__main__ import configs_from_args, parser
from core.codegen import script
from core.config import RunConfig
from core.i18n import t
from core.optim import OPTIMIZERS
from core.training import train
from tests.test_cli import FLAG_PARTS, SENSIBLE, assert_one_line_error, english, flag, run_main  # noqa: F401

EPOCH_LINE = re.compile(r"^Epoch (\d+), Loss: (\S+)$", re.MULTILINE)
VALIDATION_LINE = re.compile(r"^(?:Validation loss|検証損失): (\S+)$", re.MULTILINE)

# Tiny runs (2-3 epochs) over the grid: every optimizer, every schedule, batch 1 / mini / full, each data set, every
# loss on the tasks it fits, shuffling on and off, sorted rows, weight decay, no validation set, deeper models.
GRID = [
    # every optimizer, each with one schedule (every schedule met once), on mini-batches
    dict(optimizer="sgd", lr=0.1, scheduler="step", step_size=1, gamma=0.3, epochs=3),
    dict(optimizer="momentum", lr=0.01, scheduler="exponential", gamma=0.7, epochs=3),
    dict(optimizer="nesterov", lr=0.01, momentum=0.5, scheduler="cosine", epochs=3),
    dict(optimizer="rmsprop", lr=0.001, scheduler="onecycle", epochs=2),
    dict(optimizer="adagrad", lr=0.05, scheduler="warmup-cosine", warmup_epochs=1, epochs=3),
    dict(optimizer="adam", lr=0.01, scheduler="plateau", patience=0, gamma=0.5, epochs=3),
    dict(optimizer="adamw", lr=0.01, weight_decay=0.1, epochs=2),
    # warmup: capped at 30 % of all steps, and none at all
    dict(dataset="diabetes", scheduler="warmup-cosine", warmup_epochs=5, lr=0.01, epochs=3, batch_size=64),
    dict(dataset="diabetes", scheduler="warmup-cosine", warmup_epochs=0, lr=0.01, epochs=2, batch_size=64),
    # batch 1 (online), the full batch; each data set
    dict(dataset="diabetes", model="linear", optimizer="sgd", lr=0.001, batch_size=1, epochs=2),
    dict(dataset="digits", batch_size="full", lr=0.01, epochs=3, hidden=(16, 8), activation="tanh"),
    dict(dataset="blood_pressure", optimizer="momentum", lr=0.01, batch_size=100, epochs=3, weight_decay=0.01),
    # losses: cross-entropy and MSE on two classes (a sigmoid at the end), MSE on ten (a softmax at the end)
    dict(loss="ce", lr=0.01, epochs=2, batch_size=128),
    dict(loss="mse", lr=0.05, epochs=2, batch_size=128, activation="sigmoid"),
    dict(dataset="digits", loss="mse", optimizer="sgd", lr=0.5, batch_size=256, epochs=2),
    # the order of the cases: no shuffling, sorted rows with and without shuffling
    dict(shuffle=False, lr=0.01, epochs=2, batch_size=64),
    dict(order="sorted", shuffle=False, optimizer="sgd", lr=0.05, epochs=2, batch_size=64, seed=3),
    dict(dataset="digits", order="sorted", lr=0.01, epochs=2, batch_size=200, seed=7),
    # no validation set: plateau watches the training loss
    dict(dataset="blood_pressure", val_fraction=0.0, scheduler="plateau", patience=0, lr=0.05, epochs=3),
]
# Every optimizer of the spec table that the grid does not name yet, on a plain short run: a new one is run at once.
NAMED = {knobs.get("optimizer") for knobs in GRID}
GRID += [dict(optimizer=name, lr=0.01, epochs=2) for name in OPTIMIZERS if name not in NAMED]


def run_in_process(text: str) -> str:
    """Execute a script in a fresh namespace, as `python script.py` would, and return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(text, "exported.py", "exec"), {"__name__": "__main__"})
    return out.getvalue()


def assert_reproduces(config: RunConfig, printed: str) -> None:
    """Every epoch's printed loss is the app's train_loss to 1e-4 relative, and so is the final validation loss."""
    epochs = train([config]).epochs
    app = epochs[epochs["epoch"] > 0]
    lines = EPOCH_LINE.findall(printed)
    assert [int(epoch) for epoch, _ in lines] == app["epoch"].tolist(), printed
    assert [float(loss) for _, loss in lines] == pytest.approx(app["train_loss"].tolist(), rel=1e-4)
    validation = VALIDATION_LINE.findall(printed)
    if config.val_fraction > 0:
        assert float(validation[0]) == pytest.approx(app["val_loss"].iloc[-1], rel=1e-4)
    else:
        assert validation == []


@pytest.mark.parametrize("knobs", GRID, ids=lambda knobs: "-".join(f"{k}={v}" for k, v in knobs.items()))
def test_the_exported_script_prints_the_apps_loss_of_every_epoch(knobs):
    config = RunConfig(**knobs).validated()
    assert_reproduces(config, run_in_process(script(config)))


@pytest.mark.parametrize(
    ("knobs", "lang"),
    [
        (dict(dataset="blood_pressure", batch_size=50, lr=0.01, epochs=2), "en"),  # no scikit-learn needed
        (dict(dataset="breast_cancer", scheduler="onecycle", lr=0.01, epochs=2, batch_size=64), "ja"),
    ],
)
def test_plain_python_runs_the_script_outside_the_project(knobs, lang, tmp_path):
    """`python -I` from another folder: nothing of this project can be imported, only installed packages."""
    config = RunConfig(**knobs).validated()
    path = tmp_path / "train_run.py"
    path.write_text(script(config, lang), encoding="utf-8")
    done = subprocess.run([sys.executable, "-I", str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert_reproduces(config, done.stdout)


def test_the_script_reads_cleanly_and_says_how_to_make_it_again(tmp_path):
    """ruff finds nothing in it, and the command in its docstring prints the very same script."""
    configs = [RunConfig(**knobs) for knobs in (GRID[4], GRID[10], GRID[14], GRID[16], GRID[18])]
    for i, config in enumerate(configs):
        (tmp_path / f"run_{i}.py").write_text(script(config, "ja" if i % 2 else "en"), encoding="utf-8")
    for check in (["check", "--select", "E,F,W,I,B,UP,SIM"], ["format", "--check"]):  # the project's rules
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *check, "--isolated", "--line-length", "120", "."],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    text = script(configs[-1])
    command = re.search(r"^Made with: python -m core ((?:.* \\\n)*.*)$", text, re.MULTILINE).group(1)
    code, out, err = run_main(command.replace("\\\n", "").split())
    assert code == 0, err
    assert out == text


def test_comments_follow_the_language_and_the_code_does_not():
    config = RunConfig(**GRID[5])
    english_script, japanese_script = script(config, "en"), script(config, "ja")
    assert t("cli.script.forward", "ja") in japanese_script and t("cli.script.forward", "en") in english_script

    def code_only(text: str) -> list[str]:
        body = text.split('"""\n', 2)[-1]  # after the module docstring
        return [re.sub(r"\s*#.*$|\"\"\".*\"\"\"|\"[^\"]*\"", "", line) for line in body.splitlines()]

    assert code_only(english_script) == code_only(japanese_script)


def test_code_takes_the_flags_of_train():
    def flags(command: str) -> set[str]:
        return set(re.findall(r"--[a-z-]+", run_main([command, "--help"])[1]))

    assert flags("code") == flags("train") - {"--engine", "--csv"} | {"--out"}


def test_code_writes_the_script_to_a_file(tmp_path):
    path = tmp_path / "run.py"
    code, out, err = run_main(["code", "--lr", "0.01", "--epochs", "2", "--out", str(path)])
    assert (code, out, err) == (0, "", "")
    assert path.read_text(encoding="utf-8") == script(RunConfig(lr=0.01, epochs=2))


@pytest.mark.parametrize(
    "args",
    [
        ["code", "--lr", "0.1", "0.2"],
        ["code", "--lr", "0"],
        ["code", "--batch-size", "5000"],
        ["code", "--loss", "ce", "--dataset", "diabetes"],
        ["code", "--out", ""],
        ["code", "--out", "/no/such/folder/run.py"],
        ["code", "--out", "/dev/full"],
        ["code", "--engine", "fast"],
        ["code", "--hidden", "8\n9"],
    ],
)
def test_bad_input_exits_2_with_one_line(args):
    code, out, err = run_main(args)
    assert_one_line_error(code, err)
    assert out == ""


# The train command's fuzz of flags and values, and valid values as often, so that many command lines succeed.
SENSIBLE_PARTS = st.one_of(*(st.tuples(st.just(flag(name)), values) for name, values in SENSIBLE.items()))


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FLAG_PARTS | SENSIBLE_PARTS, max_size=6))
def test_any_code_command_line_prints_a_script_or_exits_2_with_one_line(parts):
    """Any flags and values (--csv and --engine are unknown to `code`): a script that compiles, or one error line."""
    argv = ["code", *(p.replace("{dir}", "/tmp").replace("{missing}", "/no/such") for part in parts for p in part)]
    code, out, err = run_main(argv)
    if code == 0 and {"-h", "--help"} & set(argv):
        assert out.startswith("usage:")
    elif code == 0:
        assert out.startswith('"""') and 'print(f"Epoch {epoch}, Loss: ' in out
        compile(out, "exported.py", "exec")
    else:
        assert_one_line_error(code, err)


# The knobs without a top of their own, at sizes a float cannot hold (2**53 + 1 on) and far beyond.
BIG = st.integers(2**53 - 2, 2**64) | st.integers(0, 10**400)
COMMAND_LINE = parser()


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from(["step", "plateau", "warmup-cosine"]),
    st.fixed_dictionaries({}, optional={"step_size": BIG.map(lambda n: n + 1), "patience": BIG, "warmup_epochs": BIG}),
)
def test_the_made_with_command_gives_back_the_config_exactly(scheduler, knobs):
    config = RunConfig.from_params({"scheduler": scheduler, **{name: str(value) for name, value in knobs.items()}})
    assert all(getattr(config, name) == value for name, value in knobs.items())
    text = script(config)
    command = re.search(r"^Made with: python -m core ((?:.* \\\n)*.*)$", text, re.MULTILINE).group(1)
    assert configs_from_args(COMMAND_LINE.parse_args(shlex.split(command.replace("\\\n", "")))) == [config]

"""Command line: `train` writes one CSV row per run per epoch, `code` prints a run as a PyTorch script, `sweep`
trains a grid file (in this process or on Ray) into one row per run.

The flags of `train` are RunConfig's fields (`--batch-size` sets `batch_size`) and take the same strings as the
app's URLs: `RunConfig.from_params` reads both, so the two can never drift apart.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from core.claims import CLAIMS, check
from core.codegen import script
from core.config import BATCH, CHOICE, KNOBS, NUMBER, SIZES, SWITCH, WHOLE, ConfigError, Knob, RunConfig, format_param
from core.i18n import join, t
from core.optim import schedule_notes
from core.runlog import divergence_reason, steps_per_epoch
from core.sweep import RESULT_COLUMNS, TABLE_SUFFIXES, grid_configs, read_grid, sweep, write_table
from core.training import ENGINES, EPOCH_COLUMNS, train
from core.warm import folder as warm_folder
from core.warm import quiet, scenario_ids, warm, warm_list

PROG = "python -m core"
METAVARS = {BATCH: "N|full", SIZES: "SIZES", SWITCH: "{0,1}"}  # by kind; a choice lists its options, a number its NAME


def cli_language() -> str:
    """Japanese where the locale environment says so (read in gettext's order), otherwise English."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(name):
            return "ja" if os.environ[name].startswith("ja") else "en"
    return "en"


def flag(name: str) -> str:
    """The flag of a RunConfig field: `batch_size` -> `--batch-size`."""
    return "--" + name.replace("_", "-")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line ends with one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")

    def _parse_optional(self, arg_string: str):
        # `--lr -inf` or `--lr -1e3`: a number is a value for the flag before it (checked later), never an option.
        if _is_number(arg_string):
            return None
        return super()._parse_optional(arg_string)


def parser(lang: str = "en") -> argparse.ArgumentParser:
    """The whole command line; the flags of `train` and `code` are generated from RunConfig's fields."""
    root = _Parser(prog=PROG, description=t("cli.description", lang), allow_abbrev=False)
    commands = root.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = _command(commands, "train", lang, columns=join(EPOCH_COLUMNS, lang))
    _run_flags(run, lang)
    engine_help = t("cli.flags.engine", lang) + t("cli.default", lang, value=ENGINES[0])
    run.add_argument("--engine", default=ENGINES[0], metavar=_braced(ENGINES), help=engine_help)
    run.add_argument("--csv", metavar="PATH", help=t("cli.flags.csv", lang))
    code = _command(commands, "code", lang)
    _run_flags(code, lang)
    code.add_argument("--out", metavar="PATH", help=t("cli.flags.out_code", lang))
    grid = _command(commands, "sweep", lang, columns=join(RESULT_COLUMNS, lang))
    grid.add_argument("grid", metavar="GRID", help=t("cli.flags.grid", lang))
    grid.add_argument("--ray", nargs="?", const="", metavar="ADDRESS", help=t("cli.flags.ray", lang))
    grid.add_argument("--out", metavar="PATH", help=t("cli.flags.out_sweep", lang))
    ahead = _command(commands, "warm", lang, folder=str(warm_folder()))
    ahead.add_argument("--scenario", action="append", choices=scenario_ids(), help=t("cli.flags.scenario", lang))
    said = _command(commands, "claims", lang)
    said.add_argument("--check", action="store_true", help=t("cli.flags.check", lang))
    said.add_argument("--json", action="store_true", help=t("cli.flags.json", lang))
    said.add_argument("--id", action="append", metavar="ID", help=t("cli.flags.claim_id", lang))
    return root


def _command(commands: argparse._SubParsersAction, name: str, lang: str, **params: str) -> argparse.ArgumentParser:
    description = t(f"cli.{name}_description", lang, **params)
    return commands.add_parser(name, help=t(f"cli.{name}", lang), description=description, allow_abbrev=False)


def _run_flags(command: argparse.ArgumentParser, lang: str) -> None:
    """One flag per knob, with its choices or range and its default in the help, and --no-shuffle."""
    for name, knob in KNOBS.items():
        metavar = _braced(knob.choices) if knob.kind == CHOICE else METAVARS.get(knob.kind, name.upper())
        text = t(f"cli.flags.{name}", lang) + knob_range(knob, lang)
        if knob.default is not None:
            text += t("cli.default", lang, value=format_param(knob.default))
        command.add_argument(flag(name), metavar=metavar, help=text, nargs="+" if name == "lr" else None)
    command.add_argument(
        "--no-shuffle", dest="shuffle", action="store_const", const="0", help=t("cli.flags.no_shuffle", lang)
    )


def knob_range(knob: Knob, lang: str) -> str:
    """The range of a number knob in words, as the end of its help ("; a whole number from 1 to 1000"); else ""."""
    if knob.kind not in (NUMBER, WHOLE) or knob.low is None:
        return ""
    if knob.high is None:
        return t("cli.ranges.at_least", lang, low=_plain(knob.low))
    if knob.kind == WHOLE:
        shape = "whole_between"
    else:
        shape = {(False, False): "between", (True, False): "above", (False, True): "below", (True, True): "inside"}[
            knob.open_low, knob.open_high
        ]
    return t(f"cli.ranges.{shape}", lang, low=_plain(knob.low), high=_plain(knob.high))


def configs_from_args(args: argparse.Namespace) -> list[RunConfig]:
    """One validated RunConfig per learning rate on the command line; a flag left out keeps its default."""
    params = {name: getattr(args, name) for name in KNOBS if getattr(args, name) is not None}
    rates = params.pop("lr", [format_param(RunConfig.lr)])
    return [RunConfig.from_params({**params, "lr": lr}) for lr in rates]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2, with one line on stderr, for any bad input)."""
    lang = cli_language()
    try:
        args = parser(lang).parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad command line (2, its one line already written)
        return int(done.code or 0)
    command = {"train": _train, "code": _code, "sweep": _sweep, "warm": _warm, "claims": _claims}[args.command]
    try:
        return command(args, lang)
    except ConfigError as err:
        return _fail(err.message(lang))


def _train(args: argparse.Namespace, lang: str) -> int:
    if args.csv == "":
        raise ConfigError("csv_empty")
    configs = configs_from_args(args)
    result = train(configs, engine=args.engine)
    # Notes only once training has worked, so that a refused request prints its one error line and nothing else.
    for key, params in schedule_notes(configs[0], steps_per_epoch(configs[0])):
        _note(t(key, lang, **params))
    for _, run in result.runs[result.runs["diverged"]].iterrows():
        _note(t("cli.diverges", lang, run=run["run"], lr=f"{run['lr']:g}", reason=divergence_reason(run, lang)))
    return _write(args.csv, lang, lambda target: result.epochs.to_csv(target, index=False))


def _code(args: argparse.Namespace, lang: str) -> int:
    if problem := _out_problem(args.out, lang):
        return _fail(problem)
    configs = configs_from_args(args)
    if len(configs) != 1:
        return _fail(t("cli.one_lr", lang, count=len(configs)))
    text = script(configs[0], lang)
    return _write(args.out, lang, lambda target: _write_text(text, target))


def _sweep(args: argparse.Namespace, lang: str) -> int:
    if problem := _out_problem(args.out, lang):
        return _fail(problem)
    if args.out is not None and Path(args.out).suffix.lower() not in TABLE_SUFFIXES:
        return _fail(t("cli.table_suffix", lang, path=args.out, suffixes=join(TABLE_SUFFIXES, lang)))
    if args.ray is not None and importlib.util.find_spec("ray") is None:
        return _fail(t("cli.no_ray", lang))
    configs = grid_configs(read_grid(args.grid))

    def progress(done: int, total: int) -> None:
        _note(t("cli.sweep_progress", lang, done=done, total=total))

    table = sweep(configs, ray_address=args.ray or None, on_ray=args.ray is not None, progress=progress)
    return _write(args.out, lang, lambda target: write_table(table, target))


def _warm(args: argparse.Namespace, lang: str) -> int:
    with quiet():  # a page's exception comes back as one line below, not as Streamlit's logged traceback
        return _warm_pages(tuple(args.scenario or ()), lang)


def _warm_pages(scenarios: tuple[str, ...], lang: str) -> int:
    count = 0
    for page in warm(warm_list(scenarios)):
        if page.unwritten is not None:  # a full disk: nothing half-written is left, and the rest would fail alike
            reason = page.unwritten.strerror or page.unwritten
            return _fail(t("cli.warm_unwritten", lang, path=page.unwritten.filename, reason=reason))
        if page.errors:
            return _fail(t("cli.warm_failed", lang, page=page.path, error=_one_line(page.errors[0])))
        _note(t("cli.warming", lang, page=page.path, scenario=page.scenario or "-", seconds=page.seconds))
        count += 1
    _note(t("cli.warm_done", lang, count=count, folder=warm_folder()))
    return 0


def _claims(args: argparse.Namespace, lang: str) -> int:
    known = {claim.id: claim for claim in CLAIMS}
    unknown = [name for name in args.id or () if name not in known]
    if unknown:
        return _fail(t("cli.unknown_claim", lang, ids=join(unknown, lang), known=join(list(known), lang)))
    chosen = [known[name] for name in args.id] if args.id else list(CLAIMS)
    if args.json:
        print(json.dumps([claim.as_json() for claim in chosen if claim.trained], ensure_ascii=False, indent=1))
    failed = 0
    for claim in chosen:
        if not args.check:
            if not args.json:
                print(f"{claim.id}\t{claim.page}\t{claim.scenario or '-'}\t{claim.metric} {claim.expect}")
            continue
        for seed, values, holds in check(claim):
            shown = ", ".join(f"{arm}={value:.4g}" for arm, value in values.items())
            _note(
                t(
                    "cli.claim_checked",
                    lang,
                    id=claim.id,
                    seed=seed,
                    values=shown,
                    verdict=t(f"cli.claim_{holds}", lang),
                )
            )
            failed += not holds
    if failed:
        return _fail(t("cli.claims_failed", lang, count=failed))
    return 0


def _out_problem(path: str | None, lang: str) -> str | None:
    """What is wrong with an output path, found before any work: an empty name or a missing folder."""
    if path == "":
        return t("cli.out_empty", lang)
    if path is not None and not Path(path).resolve().parent.is_dir():
        return t("cli.no_folder", lang, path=path)
    return None


def _write(path: str | None, lang: str, write: Callable[[str | TextIO], None]) -> int:
    """Write to the file at `path`, or to standard output; an output that cannot be written is one error line."""
    try:
        if path is not None:
            write(path)
            return 0
        if sys.stdout is None:  # started with standard output closed
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        write(sys.stdout)
        sys.stdout.flush()  # a closed pipe or a full disk raises here
    except OSError as err:
        target = t("errors.stdout", lang) if path is None else path
        return _fail(t("errors.cannot_write", lang, target=target, reason=err.strerror or err))
    return 0


def _write_text(text: str, target: str | TextIO) -> None:
    if isinstance(target, str):
        Path(target).write_text(text, encoding="utf-8")
    else:
        target.write(text)


def _note(message: str) -> None:
    print(f"{PROG}: note: {_one_line(message)}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return 2


def _one_line(text: str) -> str:
    """Control characters (a newline in a pasted value) escaped, so that an error stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _plain(value: float) -> str:
    """A number as a person writes it: 100, not 100.0; 2147483647, not 2.14748e+09."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _braced(options: Sequence[str]) -> str:
    return "{" + ",".join(options) + "}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

"""Command line: `python -m core train --lr 0.001 0.01 0.1 ...` writes one CSV row per run per epoch.

The flags of `train` are RunConfig's fields (`--batch-size` sets `batch_size`) and take the same strings as the
app's URLs: `RunConfig.from_params` reads both, so the two can never drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import pandas as pd

from core.config import CHOICES, ConfigError, RunConfig, format_param
from core.i18n import t
from core.optim import schedule_notes
from core.runlog import divergence_reason, steps_per_epoch
from core.training import ENGINES, train

PROG = "python -m core"
METAVARS = {"lr": "LR", "hidden": "SIZES", "batch_size": "N|full", "shuffle": "{0,1}"}  # the others: choices or NAME


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
    """The whole command line; the flags of `train` are generated from RunConfig's fields."""
    root = _Parser(prog=PROG, description=t("cli.description", lang), allow_abbrev=False)
    commands = root.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser(
        "train", help=t("cli.train", lang), description=t("cli.train_description", lang), allow_abbrev=False
    )
    for field in dataclasses.fields(RunConfig):
        choices = CHOICES.get(field.name)
        metavar = _braced(choices) if choices else METAVARS.get(field.name, field.name.upper())
        text = t(f"cli.flags.{field.name}", lang)
        if field.default is not None:
            text += t("cli.default", lang, value=format_param(field.default))
        run.add_argument(flag(field.name), metavar=metavar, help=text, nargs="+" if field.name == "lr" else None)
    run.add_argument(
        "--no-shuffle", dest="shuffle", action="store_const", const="0", help=t("cli.flags.no_shuffle", lang)
    )
    engine_help = t("cli.flags.engine", lang) + t("cli.default", lang, value=ENGINES[0])
    run.add_argument("--engine", default=ENGINES[0], metavar=_braced(ENGINES), help=engine_help)
    run.add_argument("--csv", metavar="PATH", help=t("cli.flags.csv", lang))
    return root


def configs_from_args(args: argparse.Namespace) -> list[RunConfig]:
    """One validated RunConfig per learning rate on the command line; a flag left out keeps its default."""
    params = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig) if getattr(args, f.name) is not None}
    rates = params.pop("lr", [format_param(RunConfig.lr)])
    return [RunConfig.from_params({**params, "lr": lr}) for lr in rates]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2, with one line on stderr, for any bad input)."""
    lang = cli_language()
    try:
        args = parser(lang).parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad command line (2, its one line already written)
        return int(done.code or 0)
    try:
        if args.csv == "":
            raise ConfigError("csv_empty")
        configs = configs_from_args(args)
        result = train(configs, engine=args.engine)
    except ConfigError as err:
        return _fail(err.message(lang))
    # Notes only once training has worked, so that a refused request prints its one error line and nothing else.
    for key, params in schedule_notes(configs[0], steps_per_epoch(configs[0])):
        _note(t(key, lang, **params))
    for _, run in result.runs[result.runs["diverged"]].iterrows():
        _note(t("cli.diverges", lang, run=run["run"], lr=f"{run['lr']:g}", reason=divergence_reason(run, lang)))
    try:
        _write_csv(result.epochs, args.csv)
    except OSError as err:
        target = t("errors.stdout", lang) if args.csv is None else args.csv
        return _fail(t("errors.cannot_write", lang, target=target, reason=err.strerror or err))
    return 0


def _write_csv(table: pd.DataFrame, path: str | None) -> None:
    if path is not None:
        table.to_csv(path, index=False)
        return
    if sys.stdout is None:  # started with standard output closed
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    table.to_csv(sys.stdout, index=False)  # pandas flushes: a closed pipe or a full disk raises here


def _note(message: str) -> None:
    print(f"{PROG}: note: {_one_line(message)}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return 2


def _one_line(text: str) -> str:
    """Control characters (a newline in a pasted value) escaped, so that an error stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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

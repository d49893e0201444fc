"""Command line: `python -m core train --lr 0.001 0.01 0.1 ...` prints one CSV row per run per epoch."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.config import ConfigError, RunConfig
from core.i18n import t
from core.optim import schedule_notes
from core.runlog import divergence_reason, steps_per_epoch
from core.training import ENGINES, train


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line ends with one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description="Training Loop Lab from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("train", help="train one or more learning rates and print the curves as CSV")
    run.add_argument("--lr", nargs="+", required=True, help="one or more learning rates (several = one sweep)")
    run.add_argument("--dataset", default=RunConfig.dataset)
    run.add_argument("--model", default=RunConfig.model)
    run.add_argument("--hidden", default="32", help="hidden layer sizes, e.g. 32 or 32,16")
    run.add_argument("--activation", default=RunConfig.activation)
    run.add_argument("--loss", default=RunConfig.loss)
    run.add_argument("--optimizer", default=RunConfig.optimizer)
    run.add_argument("--batch-size", default=str(RunConfig.batch_size), help="a whole number or 'full'")
    run.add_argument("--epochs", default=str(RunConfig.epochs))
    run.add_argument("--scheduler", default=RunConfig.scheduler)
    run.add_argument("--seed", default=str(RunConfig.seed))
    run.add_argument("--no-shuffle", action="store_true", help="keep the training data in its stored order")
    run.add_argument("--order", default=RunConfig.order, help="random, or sorted by label")
    run.add_argument("--engine", default="fast", help=" or ".join(ENGINES))
    run.add_argument("--device", default=RunConfig.device)
    run.add_argument("--csv", help="write the CSV here instead of to standard output")
    return parser


def configs_from_args(args: argparse.Namespace) -> list[RunConfig]:
    """One validated RunConfig per learning rate on the command line."""
    params = {
        "dataset": args.dataset,
        "model": args.model,
        "hidden": args.hidden,
        "activation": args.activation,
        "loss": args.loss,
        "optimizer": args.optimizer,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "scheduler": args.scheduler,
        "seed": args.seed,
        "shuffle": "0" if args.no_shuffle else "1",
        "order": args.order,
        "device": args.device,
    }
    return [RunConfig.from_params({**params, "lr": lr}) for lr in args.lr]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        configs = configs_from_args(args)
        for key, params in schedule_notes(configs[0], steps_per_epoch(configs[0])):
            print(f"python -m core: note: {t(key, 'en', **params)}", file=sys.stderr)
        result = train(configs, engine=args.engine)
        for _, run in result.runs[result.runs["diverged"]].iterrows():
            print(
                f"python -m core: run {run['run']} (lr {run['lr']:g}) diverges: {divergence_reason(run, 'en')}",
                file=sys.stderr,
            )
        if args.csv:
            result.epochs.to_csv(args.csv, index=False)
        else:
            result.epochs.to_csv(sys.stdout, index=False)
    except ConfigError as err:
        print(f"python -m core: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"python -m core: error: cannot write {args.csv}: {err.strerror or err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

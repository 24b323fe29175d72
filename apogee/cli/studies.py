"""`apogee run | studies | show | export | delete`: stored studies from the command line.

Every command takes `--storage URL` (default `sqlite:///apogee.db`). User errors (a missing
study, a bad URL, a bad space file) print one line and exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apogee as ap

DEFAULT_STORAGE = "sqlite:///apogee.db"
Handler = Callable[[argparse.Namespace], int]


def _guarded(handler: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (ap.ApogeeError, ValueError, TypeError, OSError, ImportError) as error:
            print(f"apogee: error: {error}", file=sys.stderr)
            return 2

    return run


def _add(subparsers: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    parser.add_argument(
        "--storage", default=DEFAULT_STORAGE, help=f"storage URL (default {DEFAULT_STORAGE})"
    )
    parser.set_defaults(handler=_guarded(handler))
    return parser


def register(subparsers: Any) -> None:
    """Add the study commands to the `apogee` parser."""
    run = _add(subparsers, "run", run_command, "optimize module:function over a space file")
    run.add_argument("target", help="the objective as module:function (it receives a params dict)")
    run.add_argument(
        "--space", required=True, type=Path, help="JSON file in Space.to_json() format"
    )
    run.add_argument("--trials", type=int, required=True)
    run.add_argument(
        "--study", required=True, help="study name (created, or continued if it exists)"
    )
    run.add_argument("--workers", type=int, default=1)
    run.add_argument("--optimizer", default="auto")
    run.add_argument("--seed", type=int, default=None)
    _add(subparsers, "studies", studies_command, "list the studies in a storage")
    show = _add(subparsers, "show", show_command, "a study's best trial, recent trials and history")
    show.add_argument("study")
    show.add_argument("--last", type=int, default=15, help="how many recent trials to list")
    export = _add(subparsers, "export", export_command, "write a study's trials as CSV or JSON")
    export.add_argument("study")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--output", type=Path, default=None, help="file (default: standard output)")
    delete = _add(subparsers, "delete", delete_command, "delete a study and its trials")
    delete.add_argument("study")


def _load_objective(target: str) -> Callable[..., Any]:
    module_name, _, function_name = target.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"The objective must be given as module:function. Got {target!r}.")
    sys.path.insert(0, str(Path.cwd()))
    function = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(function):
        raise ValueError(f"{target!r} does not name a callable.")
    return function  # type: ignore[no-any-return]


def run_command(args: argparse.Namespace) -> int:
    space = ap.Space.from_json(json.loads(args.space.read_text()))
    objective = _load_objective(args.target)
    study = ap.create_study(
        args.study,
        space=space,
        storage=args.storage,
        optimizer=args.optimizer,
        seed=args.seed,
        load_if_exists=True,
    )
    study.optimize(objective, n_trials=args.trials, n_workers=args.workers)
    return show_command(argparse.Namespace(study=args.study, storage=args.storage, last=10))


def studies_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table("study", "trials", "complete", "objectives")
    for summary in ap.list_studies(storage=args.storage):
        table.add_row(
            summary.name,
            str(summary.n_trials),
            str(summary.n_complete),
            ", ".join(summary.objectives),
        )
    Console().print(table)
    return 0


def show_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from apogee.cli._render import best_lines, history_chart, trials_table

    study = ap.load_study(args.study, storage=args.storage)
    console = Console()
    console.print(f"[bold]{study.name}[/bold]  engine {study.engine.name}  seed {study.seed}")
    for line in best_lines(study):
        console.print(line)
    console.print(trials_table(study, args.last))
    for line in history_chart(study):
        console.print(line, highlight=False)
    return 0


def export_command(args: argparse.Namespace) -> int:
    study = ap.load_study(args.study, storage=args.storage)
    handle = sys.stdout if args.output is None else args.output.open("w", newline="")
    try:
        if args.format == "json":
            json.dump([trial.record.to_json() for trial in study.trials], handle, indent=1)
            handle.write("\n")
        else:
            rows = study.to_records()
            columns = list(dict.fromkeys(key for row in rows for key in row))
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if handle is not sys.stdout:
            handle.close()
    return 0


def delete_command(args: argparse.Namespace) -> int:
    ap.delete_study(args.study, storage=args.storage)
    print(f"Deleted study '{args.study}'.")
    return 0

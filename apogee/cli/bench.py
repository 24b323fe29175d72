"""`apogee bench run | report | compact | list`: benchmarks of apogee's engines against peer libraries.

User errors (an unknown suite, problem or solver, a peer that is not installed) print one line
and exit with code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import apogee as ap


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _seeds(text: str) -> list[int]:
    """`0,1,2` or `0-4`."""
    if "-" in text and "," not in text:
        first, _, last = text.partition("-")
        return list(range(int(first), int(last) + 1))
    return [int(item) for item in _comma_list(text)]


def register(subparsers: Any) -> None:
    """Add `apogee bench` and its subcommands to the `apogee` parser."""
    bench = subparsers.add_parser("bench", help="benchmark engines and peers on problems")
    commands = bench.add_subparsers(dest="bench_command", metavar="BENCH_COMMAND", required=True)
    run = commands.add_parser("run", help="run a suite (resumes: runs in --out are skipped)")
    run.add_argument("--suite", default=None, help="a named suite (see `apogee bench list`)")
    run.add_argument("--problems", type=_comma_list, default=None, help="comma-separated names")
    run.add_argument("--solvers", type=_comma_list, default=None, help="comma-separated names")
    run.add_argument("--seeds", type=_seeds, default=None, help="0,1,2 or 0-4")
    run.add_argument("--budget", type=int, default=None, help="evaluations per run")
    run.add_argument("--out", type=Path, required=True, help="JSON lines file (appended)")
    run.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    run.add_argument("--timeout", type=float, default=None, help="seconds per run")
    run.add_argument("--no-progress", action="store_true", help="no progress display")
    run.add_argument(
        "--compact",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="record only improving evaluations of one-objective runs (default: the suite's)",
    )
    run.set_defaults(handler=_guarded(run_command))
    report = commands.add_parser("report", help="Markdown tables and PNG plots from a run file")
    report.add_argument("source", type=Path, help="a .jsonl or .jsonl.gz file of `bench run`")
    report.add_argument("--out", type=Path, required=True, help="the Markdown file to write")
    report.add_argument("--no-plots", action="store_true", help="tables only")
    report.set_defaults(handler=_guarded(report_command))
    compact = commands.add_parser(
        "compact", help="rewrite a run file keeping only what the report reads of long runs"
    )
    compact.add_argument("source", type=Path, help="a .jsonl or .jsonl.gz file of `bench run`")
    compact.add_argument("out", type=Path, help="the .jsonl (or .jsonl.gz) file to write")
    compact.set_defaults(handler=_guarded(compact_command))
    listing = commands.add_parser("list", help="the suites and solvers")
    listing.set_defaults(handler=_guarded(list_command))


def _guarded(handler: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = handler(args)
        except (ap.ApogeeError, ValueError, TypeError, OSError, ImportError) as error:
            print(f"apogee: error: {error}", file=sys.stderr)
            return 2
        return code

    return run


def run_command(args: argparse.Namespace) -> int:
    from apogee import bench

    plan = bench.make_plan(
        suite=args.suite,
        problem_names=args.problems,
        solvers=args.solvers,
        seeds=args.seeds,
        budget=args.budget,
        timeout_s=args.timeout,
    )
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    options = bench.RunOptions(
        args.out,
        jobs=args.jobs,
        timeout_s=plan.timeout_s,
        progress=not args.no_progress,
        compact=plan.compact if args.compact is None else args.compact,
    )
    try:
        summary = bench.run_bench(plan.jobs, options)
    except KeyboardInterrupt:
        print(
            f"Interrupted: the finished runs are in {args.out}; the same command resumes.",
            file=sys.stderr,
        )
        return 130
    counts = ", ".join(f"{count} {status}" for status, count in sorted(summary.statuses.items()))
    print(
        f"{len(plan.jobs)} runs in suite '{plan.suite}': {summary.skipped} already in {args.out}"
        + (f", {counts}" if counts else "")
    )
    return 0


def report_command(args: argparse.Namespace) -> int:
    from apogee import bench

    written = bench.write_report(args.source, args.out, plots=not args.no_plots)
    print(f"Wrote {written}")
    return 0


def compact_command(args: argparse.Namespace) -> int:
    from apogee import bench

    kept, total = bench.compact_file(args.source, args.out)
    print(f"Wrote {args.out}: {total} runs, {kept} of them compacted")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from apogee import bench

    for suite in bench.SUITES.values():
        print(f"suite {suite.name}: {suite.description}")
    print("solvers: " + ", ".join(bench.solver_names()))
    return 0

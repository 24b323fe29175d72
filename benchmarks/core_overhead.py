"""Ask+tell overhead per trial: apogee against Optuna, same run, in memory or on SQLite files.

Both use uniform random sampling on a 5-parameter mixed space and a trivial objective, so
what is timed is the library's own bookkeeping. Time per trial is measured over the last 100
trials of a study grown to n trials (so it shows how overhead grows with n); medians over
repeats, and the ratio Optuna / apogee.
Usage: python benchmarks/core_overhead.py --sizes 100 1000 10000 --repeats 3 [--storage sqlite]
With `--storage sqlite` each run uses a fresh SQLite file for each library (Optuna's RDBStorage).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import apogee as ap

WINDOW = 100


def sqlite_url(kind: str, library: str) -> str | None:
    """A fresh storage for `library`: None in memory, a new SQLite file, or a new PostgreSQL database.

    For PostgreSQL, `kind` is the server URL ending with '/' (`postgresql+psycopg://user@host:port/`).
    """
    if kind == "memory":
        return None
    if kind == "sqlite":
        return f"sqlite:///{Path(tempfile.mkdtemp()) / f'{library}.db'}"
    import uuid

    import psycopg

    name = f"{library}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        kind.replace("postgresql+psycopg", "postgresql") + "postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return kind + name


def apogee_per_trial(n: int, seed: int, storage: str = "memory") -> float:
    space = ap.Space(
        {
            "x": ap.Float(-5, 5),
            "lr": ap.Float(1e-5, 1e-1, log=True),
            "depth": ap.Int(1, 10),
            "kind": ap.Categorical(["a", "b", "c"]),
            "width": ap.Int(8, 512, log=True),
        }
    )
    study = ap.create_study(
        "overhead",
        space=space,
        optimizer="random",
        seed=seed,
        storage=sqlite_url(storage, "apogee"),
    )
    start = 0.0
    for i in range(n):
        if i == n - WINDOW:
            start = time.perf_counter()
        trial = study.ask()
        study.tell(trial, trial.params["x"] ** 2)
    return (time.perf_counter() - start) / WINDOW


def optuna_per_trial(n: int, seed: int, storage: str = "memory") -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.RandomSampler(seed=seed), storage=sqlite_url(storage, "optuna")
    )
    distributions = {
        "x": optuna.distributions.FloatDistribution(-5, 5),
        "lr": optuna.distributions.FloatDistribution(1e-5, 1e-1, log=True),
        "depth": optuna.distributions.IntDistribution(1, 10),
        "kind": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
        "width": optuna.distributions.IntDistribution(8, 512, log=True),
    }
    start = 0.0
    for i in range(n):
        if i == n - WINDOW:
            start = time.perf_counter()
        trial = study.ask(distributions)
        study.tell(trial, trial.params["x"] ** 2)
    return (time.perf_counter() - start) / WINDOW


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--storage", default="memory", help="memory, sqlite, or a PostgreSQL server URL ending in /"
    )
    parser.add_argument(
        "--out",
        default=None,
        help="default: benchmarks/results/core_overhead.md, storage.md or storage_postgres.md",
    )
    args = parser.parse_args()
    import optuna

    kind = args.storage if args.storage in ("memory", "sqlite") else "postgres"
    where = {
        "memory": "in memory",
        "sqlite": "on SQLite files",
        "postgres": "on PostgreSQL (local server)",
    }[kind]
    rows = []
    for n in args.sizes:
        ours = statistics.median(
            apogee_per_trial(n, seed, args.storage) for seed in range(args.repeats)
        )
        theirs = statistics.median(
            optuna_per_trial(n, seed, args.storage) for seed in range(args.repeats)
        )
        rows.append(f"| {n:,} | {ours * 1e3:.3f} | {theirs * 1e3:.3f} | {theirs / ours:.1f} |")
        print(rows[-1], flush=True)
    lines = [
        f"# Ask+tell overhead per trial, {where}",
        "",
        "Random sampling on a 5-parameter mixed space, trivial objective; milliseconds per trial over the",
        f"last {WINDOW} trials of a study grown to n trials; medians over {args.repeats} repeats; Optuna",
        f"{optuna.__version__} with its {'in-memory' if args.storage == 'memory' else 'RDB'} storage "
        "and RandomSampler, in the same run, each library on its own fresh file or database.",
        "",
        f"Command: `python benchmarks/core_overhead.py --sizes {' '.join(map(str, args.sizes))} "
        f"--repeats {args.repeats} --storage {'POSTGRES_URL' if kind == 'postgres' else args.storage}`",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, 2 shared cores; "
        f"1-minute load average at the end of the run: {os.getloadavg()[0]:.1f}.",
        "",
        "| trials n | apogee ms/trial | Optuna ms/trial | Optuna / apogee |",
        "|---|---|---|---|",
        *rows,
    ]
    names = {"memory": "core_overhead", "sqlite": "storage", "postgres": "storage_postgres"}
    out = args.out or f"benchmarks/results/{names[kind]}.md"
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

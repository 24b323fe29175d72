"""`run_bench`: every (problem, solver, seed) job in its own process, results as JSON lines.

Jobs run `jobs` at a time (two by default, one thread each: the children get
`OMP_NUM_THREADS=MKL_NUM_THREADS=OPENBLAS_NUM_THREADS=1` and set torch to one thread). Each
finished job appends one record to the output file, flushed at once, so an interrupted bench
loses only the runs in progress; started again with the same file, it skips the runs already
recorded. A run that raises, dies or passes its time limit is recorded with that status and the
evaluations it made, and the bench goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import apogee as ap
from apogee.bench._compact import compact_record
from apogee.bench._records import RECORD_SCHEMA, problem_facts, read_records, run_key
from apogee.bench._solver import JSONDict

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
POLL_S = 0.05


@dataclass(frozen=True)
class Job:
    """One run: `solver` on `problem` with `seed` and `budget` evaluations.

    Example:
        >>> from apogee.bench import Job
        >>> Job("custom", "branin", "apogee-random", seed=0, budget=10).key
        ('branin', 'apogee-random', 0, 10)
    """

    suite: str
    problem: str
    solver: str
    seed: int
    budget: int

    @property
    def key(self) -> tuple[str, str, int, int]:
        return run_key(self.problem, self.solver, self.seed, self.budget)


@dataclass(frozen=True)
class RunOptions:
    """How `run_bench` runs jobs: output file, parallel processes and the time limit per run.

    The output is a plain `.jsonl` file that runs are appended to (compress it when done).
    `compact` records only the improving evaluations of one-objective runs without constraints
    (`apogee.bench._compact`: the report reads the same numbers from them, at a few percent of
    the size).

    Example:
        >>> from apogee.bench import RunOptions
        >>> RunOptions("runs.jsonl", jobs=2, timeout_s=600).timeout_s
        600
    """

    out: Path
    jobs: int = 2
    timeout_s: float = 3600.0
    progress: bool = True
    compact: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        if self.out.suffix == ".gz":
            raise ValueError(
                f"The 'out' parameter of RunOptions must be a plain .jsonl file that runs are "
                f"appended to (compress it when the bench is done). Got {str(self.out)!r} instead."
            )
        if isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1:
            raise ValueError(
                f"The 'jobs' parameter of RunOptions must be an int in [1, inf). Got {self.jobs!r} instead."
            )
        if not isinstance(self.timeout_s, int | float) or not self.timeout_s > 0:
            raise ValueError(
                f"The 'timeout_s' parameter of RunOptions must be a number in (0, inf). Got {self.timeout_s!r} instead."
            )


@dataclass(frozen=True)
class BenchSummary:
    """How many runs ended in each status, and how many were already in the file.

    Example:
        >>> from apogee.bench import BenchSummary
        >>> BenchSummary({"ok": 3}, skipped=1).statuses["ok"]
        3
    """

    statuses: dict[str, int] = field(default_factory=dict)
    skipped: int = 0


@dataclass
class _Running:
    job: Job
    process: subprocess.Popen[bytes]
    events: Path
    stderr: IO[bytes]
    started: float


def child_environment() -> dict[str, str]:
    """The parent's environment with one thread per library, and this apogee importable."""
    environment = dict(os.environ)
    environment.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    root = str(Path(ap.__file__).resolve().parent.parent)
    paths = [root, *[p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return environment


def run_bench(jobs: Sequence[Job], options: RunOptions) -> BenchSummary:
    """Run the jobs not yet in `options.out`, appending one record per finished run."""
    from apogee import problems

    facts = {name: problem_facts(problems.get(name)) for name in sorted({j.problem for j in jobs})}
    done = {
        run_key(r["problem"], r["solver"], r["seed"], r["budget"])
        for r in read_records(options.out)
    }
    pending = [job for job in jobs if job.key not in done]
    skipped = len(jobs) - len(pending)
    statuses: Counter[str] = Counter()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="apogee-bench-") as scratch,
        _progress(options.progress, len(pending)) as advance,
    ):
        running: list[_Running] = []
        try:
            while pending or running:
                while pending and len(running) < options.jobs:
                    running.append(_start(pending.pop(0), Path(scratch)))
                time.sleep(POLL_S)
                for run in [r for r in running if _finished(r, options.timeout_s)]:
                    running.remove(run)
                    record = _collect(run, options.timeout_s, facts[run.job.problem])
                    record = compact_record(record) if options.compact else record
                    _append(options.out, record)
                    statuses[record["status"]] += 1
                    advance(record, statuses)
        finally:
            for run in running:  # interrupted: these runs are not recorded and rerun next time
                run.process.kill()
                run.process.wait()
                run.stderr.close()
    return BenchSummary(dict(statuses), skipped=skipped)


def _start(job: Job, scratch: Path) -> _Running:
    stem = f"{len(list(scratch.iterdir()))}"
    events = scratch / f"{stem}.events.jsonl"
    events.touch()
    stderr = (scratch / f"{stem}.stderr").open("wb")
    payload = json.dumps(
        {"problem": job.problem, "solver": job.solver, "seed": job.seed, "budget": job.budget}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "apogee.bench._child", payload, str(events)],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env=child_environment(),
    )
    return _Running(job, process, events, stderr, time.monotonic())


def _finished(run: _Running, timeout_s: float) -> bool:
    return run.process.poll() is not None or time.monotonic() - run.started > timeout_s


def _collect(run: _Running, timeout_s: float, facts: JSONDict) -> JSONDict:
    """The run's record from its events; kills it first if it passed the time limit."""
    timed_out = run.process.poll() is None
    if timed_out:
        run.process.kill()
        run.process.wait()
    wall_s = time.monotonic() - run.started
    run.stderr.close()
    events = [json.loads(line) for line in run.events.read_text().splitlines() if line.strip()]
    start: dict[str, Any] = next((e for e in events if e["event"] == "start"), {})
    error = next((e["error"] for e in events if e["event"] == "error"), None)
    finished = any(e["event"] == "done" for e in events)
    if timed_out:
        status, error = "timeout", f"passed the time limit of {timeout_s:g} s"
    elif finished:
        status = "ok"
    else:
        status = "crashed"
        if error is None:
            tail = Path(run.stderr.name).read_text(errors="replace")[-2000:]
            error = f"exit code {run.process.returncode}: {tail}"
    job = run.job
    return {
        "type": "run",
        "schema": RECORD_SCHEMA,
        "suite": job.suite,
        "problem": job.problem,
        "solver": job.solver,
        "seed": job.seed,
        "budget": job.budget,
        "status": status,
        "error": error,
        "wall_s": wall_s,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": start.get("settings"),
        "versions": start.get("versions"),
        "problem_facts": facts,
        "evaluations": [
            {k: v for k, v in e.items() if k != "event"} for e in events if e["event"] == "eval"
        ],
    }


def _append(path: Path, record: JSONDict) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Any]:
    """A rich progress bar over the runs; yields `advance(record, statuses)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not enabled) as progress:
        task = progress.add_task("bench", total=total)

        def advance(record: JSONDict, statuses: Counter[str]) -> None:
            counts = " ".join(f"{name} {count}" for name, count in sorted(statuses.items()))
            last = (
                f"{record['problem']} {record['solver']} seed {record['seed']}: {record['status']}"
            )
            progress.update(task, advance=1, description=f"bench [{counts}] last: {last}")

        yield advance

"""One (problem, solver, seed) run in its own process: `python -m apogee.bench._child JOB EVENTS`.

The child writes JSON lines to the EVENTS file as it goes (a start line with the settings and
versions, one line per evaluation, and a done or error line), flushing each, so the parent keeps
every evaluation even when it has to kill the child at the time limit.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import sys
import time
import traceback
import zlib
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from apogee import problems
from apogee.bench._registry import get_solver
from apogee.bench._solver import BudgetExhausted


def json_line(entry: Mapping[str, Any]) -> str:
    """One JSON line; numpy scalars become plain numbers."""

    def plain(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return json.dumps(entry, default=plain, separators=(",", ":")) + "\n"


def noise_rng(problem_name: str, seed: int) -> np.random.Generator:
    """The noise stream of a run: the same for every solver given the problem and the seed."""
    return np.random.default_rng([seed, zlib.crc32(problem_name.encode())])


class Recorder:
    """The `evaluate` callback a solver gets: evaluates, times, writes, and enforces the budget."""

    def __init__(self, problem: problems.Problem, budget: int, seed: int, events: IO[str]) -> None:
        self.problem = problem
        self.budget = budget
        self.count = 0
        self._events = events
        self._rng = noise_rng(problem.name, seed)
        self._last = time.perf_counter()

    def __call__(self, params: Mapping[str, Any]) -> Mapping[str, float]:
        started = time.perf_counter()
        if self.count >= self.budget:
            raise BudgetExhausted(f"{self.budget} evaluations spent")
        noisy = self.problem.noise_sd > 0
        values = self.problem.evaluate(params, rng=self._rng if noisy else None)
        entry: dict[str, Any] = {
            "event": "eval",
            "params": dict(params),
            "values": values,
            "solver_s": started - self._last,
            "eval_s": time.perf_counter() - started,
        }
        if noisy:
            entry["true_values"] = self.problem.true_value(params)
        if self.problem.fidelity is not None:
            entry["cost"] = self.problem.cost(params)
        self._events.write(json_line(entry))
        self._events.flush()
        self.count += 1
        self._last = time.perf_counter()
        return values


def run_job(job: Mapping[str, Any], events: IO[str]) -> int:
    """Run one job, writing its events; returns the exit code (0 done, 1 the solver raised)."""
    try:
        solver = get_solver(job["solver"])
        solver.check_installed()
        for module in solver.modules:  # imports are not the solver's time per suggestion
            importlib.import_module(module)
        if solver.uses_torch():
            import torch

            torch.set_num_threads(1)
        problem = problems.get(job["problem"])
        start = {"event": "start", "settings": solver.settings(), "versions": solver.versions()}
        events.write(json_line(start))
        events.flush()
        recorder = Recorder(problem, int(job["budget"]), int(job["seed"]), events)
        with contextlib.suppress(BudgetExhausted):  # the budget is spent: a normal end
            solver.run(problem, int(job["budget"]), int(job["seed"]), recorder)
    except BaseException as error:  # recorded, and the bench goes on with the next run
        message = "".join(traceback.format_exception(error)[-6:])
        events.write(json_line({"event": "error", "error": message}))
        return 1
    events.write(json_line({"event": "done", "evaluations": recorder.count}))
    return 0


def main(argv: list[str]) -> int:
    job = json.loads(argv[0])
    with open(argv[1], "a", encoding="utf-8") as events:
        return run_job(job, events)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

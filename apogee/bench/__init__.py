"""`apogee bench`: apogee's engines and peer libraries side by side on `apogee.problems`.

Every (problem, solver, seed) runs in its own process with a time limit; results are JSON lines
that `write_report` turns into Markdown tables and PNG plots. `docs/bench.md` describes the
suites, the record format and how each reported number is computed.

Example:
    >>> from apogee import bench
    >>> "apogee-random" in bench.solver_names() and "optuna-tpe" in bench.solver_names()
    True
"""

from apogee.bench._plan import Plan, make_plan
from apogee.bench._records import compact_file, read_records
from apogee.bench._registry import get_solver, solver_names
from apogee.bench._report import write_report
from apogee.bench._runner import BenchSummary, Job, RunOptions, run_bench
from apogee.bench._solver import BudgetExhausted, Evaluate, PeerNotInstalledError, Solver
from apogee.bench._suites import SUITES, Grid, Suite, get_suite

__all__ = [
    "SUITES",
    "BenchSummary",
    "BudgetExhausted",
    "Evaluate",
    "Grid",
    "Job",
    "PeerNotInstalledError",
    "Plan",
    "RunOptions",
    "Solver",
    "Suite",
    "compact_file",
    "get_solver",
    "get_suite",
    "make_plan",
    "read_records",
    "run_bench",
    "solver_names",
    "write_report",
]

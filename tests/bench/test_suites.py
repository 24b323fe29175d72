"""The named suites plan without errors, and `quick` is what docs/bench.md says it is."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from apogee import bench


def _plan(**arguments: Any) -> bench.Plan:
    """`bench.make_plan`, skipped where a suite's peer is not installed (they are optional)."""
    try:
        return bench.make_plan(**arguments)
    except bench.PeerNotInstalledError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("name", sorted(bench.SUITES))
def test_every_suite_plans(name: str) -> None:
    plan = _plan(suite=name)
    assert plan.jobs and len({job.key for job in plan.jobs}) == len(plan.jobs)
    assert all(job.suite == name for job in plan.jobs)


def test_quick_suite_is_the_documented_grid() -> None:
    plan = _plan(suite="quick")
    runs = Counter(job.problem for job in plan.jobs)
    assert runs == {
        "branin": 12,
        "hartmann3": 12,
        "bbob-f8-d5-i1": 12,
        "branin-noise1": 12,
        "zdt1-d6": 12,
        "constrained-branin": 12,
    }
    assert {job.budget for job in plan.jobs if job.problem == "zdt1-d6"} == {40}
    assert plan.timeout_s == 600.0


def test_a_suite_restricted_to_some_problems_and_overridden() -> None:
    plan = _plan(suite="gp", problem_names=["bbob-f1-d2-i1"], solvers=["apogee-random"], seeds=[7])
    assert [(j.problem, j.solver, j.seed, j.budget) for j in plan.jobs] == [
        ("bbob-f1-d2-i1", "apogee-random", 7, 40)
    ]


def test_compressed_output_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"plain \.jsonl"):
        bench.RunOptions("runs.jsonl.gz")

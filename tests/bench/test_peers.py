"""Every solver on a mixed conditional space, several objectives and constraints (in process).

A peer that is not installed is skipped with the reason; every evaluated point must be valid
in the problem's space (the recorder evaluates through `Problem.evaluate`, which validates).
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Mapping
from typing import Any

import pytest

import apogee as ap
from apogee import bench
from apogee.bench._child import Recorder
from apogee.problems import Problem

MIXED_SPACE = ap.Space(
    {
        "x": ap.Float(-2.0, 2.0),
        "lr": ap.Float(1e-4, 1e-1, log=True),
        "depth": ap.Int(1, 6),
        "kind": ap.Categorical(["linear", "tree"]),
        "leaves": ap.Int(2, 32, log=True, condition=("kind", "tree")),
    }
)


def _mixed(params: Mapping[str, Any]) -> dict[str, float]:
    leaves = params.get("leaves", 8)
    return {
        "value": params["x"] ** 2 + abs(math.log10(params["lr"]) + 2) + params["depth"] / leaves
    }


def _two_objectives(params: Mapping[str, Any]) -> dict[str, float]:
    return {"f1": params["x0"] ** 2, "f2": (params["x0"] - 1) ** 2 + params["x1"]}


def _constrained(params: Mapping[str, Any]) -> dict[str, float]:
    return {"value": params["x0"] + params["x1"], "g": 0.5 - params["x0"] * params["x1"]}


BOX = ap.Space({"x0": ap.Float(0.0, 1.0), "x1": ap.Float(0.0, 1.0)})
PROBLEMS = {
    "mixed": Problem("mixed", MIXED_SPACE, {"value": "minimize"}, function=_mixed),
    "moo": Problem(
        "moo",
        BOX,
        {"f1": "minimize", "f2": "minimize"},
        reference_point=(1.1, 2.1),
        function=_two_objectives,
    ),
    "constrained": Problem(
        "constrained", BOX, {"value": "minimize"}, constraints=("g",), function=_constrained
    ),
}
# BoTorch's loop takes tens of seconds on a busy machine even for one model-based point; the GP
# engines pass their space to apogee unchanged and are tested in tests/optimizers.
SLOW_SOLVERS = {"botorch", "apogee-gp", "apogee-gp-flat", "apogee-auto"}


def _cases() -> list[Any]:
    cases = []
    for solver in bench.solver_names():
        for key in PROBLEMS:
            marks = [pytest.mark.slow] if solver in SLOW_SOLVERS else []
            cases.append(pytest.param(solver, key, marks=marks, id=f"{solver}-{key}"))
    return cases


@pytest.mark.parametrize(("solver_name", "problem_key"), _cases())
def test_solver_spends_its_budget_on_valid_points(solver_name: str, problem_key: str) -> None:
    solver = bench.get_solver(solver_name)
    try:
        solver.check_installed()
    except bench.PeerNotInstalledError as error:
        pytest.skip(str(error))
    problem = PROBLEMS[problem_key]
    reason = solver.unsupported_reason(problem)
    if reason is not None:
        assert problem.n_objectives > 1 or problem.constraints, reason
        return
    # BoTorch: its 2d + 1 Sobol points, then one model-based point; the others: a few points.
    budget = 2 * problem.space.dim + 2 if solver_name == "botorch" else 4
    events = io.StringIO()
    recorder = Recorder(problem, budget, seed=0, events=events)
    with contextlib.suppress(bench.BudgetExhausted):
        solver.run(problem, budget, 0, recorder)
    assert recorder.count == budget
    assert events.getvalue().count('"event":"eval"') == budget


def test_missing_peer_names_the_install_command() -> None:
    class Absent(bench.Solver):
        modules = ("no_such_peer_module_xyz",)

        @property
        def name(self) -> str:
            return "absent"

        def unsupported_reason(self, problem: Any) -> str | None:
            return None

        def settings(self) -> dict[str, Any]:
            return {}

        def run(self, problem: Any, budget: int, seed: int, evaluate: bench.Evaluate) -> None:
            return None

    with pytest.raises(bench.PeerNotInstalledError, match=r"pip install -e '\.\[bench\]'"):
        Absent().check_installed()


def test_every_apogee_engine_is_a_solver() -> None:
    names = bench.solver_names()
    assert all(f"apogee-{engine}" in names for engine in ap.optimizers.ENGINES)


def test_ngopt_runs_past_its_surrogate_step_on_a_bounded_box() -> None:
    # NGOpt picks a CMA-ES with a quadratic surrogate here; under NumPy >= 2.4 its first
    # surrogate step (about the 118th tell) raised TypeError until the adapter's shim.
    solver = bench.get_solver("nevergrad-ngopt")
    try:
        solver.check_installed()
    except bench.PeerNotInstalledError as error:
        pytest.skip(str(error))
    box = ap.Space({f"x{i}": ap.Float(-5.0, 5.0) for i in range(10)})
    problem = Problem(
        "shifted-sphere",
        box,
        {"value": "minimize"},
        function=lambda params: {"value": sum((v - 1.0) ** 2 for v in params.values())},
    )
    evaluations = 160  # NGOpt is told 1,000 (its choice of algorithm depends on the budget)
    recorder = Recorder(problem, evaluations, seed=0, events=io.StringIO())
    with contextlib.suppress(bench.BudgetExhausted):
        solver.run(problem, 1000, 0, recorder)
    assert recorder.count == evaluations


def test_one_element_float_reads_the_element_and_refuses_longer_arrays() -> None:
    import numpy as np

    from apogee.bench._vector import _one_element_float

    assert _one_element_float(np.array([2.5])) == 2.5
    assert _one_element_float(np.array([[1.5]])) == 1.5
    assert _one_element_float(3) == 3.0
    with pytest.raises(TypeError):
        _one_element_float(np.array([1.0, 2.0]))


def test_the_flattened_gp_is_the_gp_with_flat_conditions() -> None:
    flat, native = bench.get_solver("apogee-gp-flat"), bench.get_solver("apogee-gp")
    assert flat.name == "apogee-gp-flat" and "apogee-gp-flat" in bench.solver_names()
    flat_options, native_options = flat.settings()["options"], native.settings()["options"]
    assert flat_options == {**native_options, "flatten_conditions": True}
    assert native_options["flatten_conditions"] is False


def test_the_flattened_gp_is_in_the_hpo_grids() -> None:
    for suite in ("gp", "hpo"):
        jobs = bench.make_plan(suite=suite).jobs
        flat = {job.problem for job in jobs if job.solver == "apogee-gp-flat"}
        assert flat == set(ap.problems.names("hpo"))

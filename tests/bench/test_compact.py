"""Compact run records: the report reads the same numbers from them as from the full records."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apogee import bench
from apogee.bench._compact import COMPACTED, compact_record, expand_record
from apogee.bench._scores import row_facts, trajectory
from apogee.cli import main


def _record(values: list[float], direction: str = "minimize", **extra: Any) -> dict[str, Any]:
    evaluations = [
        {
            "params": {"x": float(i)},
            "values": {"value": v},
            "true_values": {"value": v - 0.5},
            "solver_s": 0.01 * (i + 1),
            "eval_s": 0.001,
        }
        for i, v in enumerate(values)
    ]
    facts = {
        "objectives": {"value": direction},
        "constraints": [],
        "optimal_value": -10.0 if direction == "minimize" else 10.0,
    }
    return {"type": "run", "problem_facts": facts, "evaluations": evaluations, **extra}


SERIES = [5.0, 7.0, 3.0, 3.0, 4.0, 1.0, 1.0, 2.0, 0.5, 9.0]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_expanded_compact_record_scores_like_the_full_one(direction: str) -> None:
    full = _record(SERIES if direction == "minimize" else [-v for v in SERIES], direction)
    small = compact_record(full)
    assert [e["index"] for e in small["evaluations"]] == [0, 2, 5, 8]  # new bests, first on ties
    assert "params" not in small["evaluations"][0]
    assert small["evaluations"][-1]["params"] == {"x": 8.0}  # the final incumbent keeps its point
    expanded = expand_record(json.loads(json.dumps(small)))
    facts = row_facts(full["problem_facts"], [full])
    np.testing.assert_array_equal(
        trajectory(facts, expanded["evaluations"]), trajectory(facts, full["evaluations"])
    )
    mean = np.mean([e["solver_s"] for e in full["evaluations"]])
    assert np.mean([e["solver_s"] for e in expanded["evaluations"]]) == pytest.approx(mean)
    assert len(expanded["evaluations"]) == len(SERIES) and expanded[COMPACTED]["evaluations"] == 10


def test_a_nan_first_value_stays_the_incumbent_as_in_the_report() -> None:
    full = _record([math.nan, 3.0, 1.0])
    expanded = expand_record(compact_record(full))
    facts = row_facts(full["problem_facts"], [full])
    np.testing.assert_array_equal(
        trajectory(facts, expanded["evaluations"]), trajectory(facts, full["evaluations"])
    )


def test_runs_with_constraints_or_several_objectives_are_kept_whole() -> None:
    constrained = _record(SERIES)
    constrained["problem_facts"]["constraints"] = ["g"]
    several = _record(SERIES)
    several["problem_facts"]["objectives"] = {"f1": "minimize", "f2": "minimize"}
    for record in (constrained, several):
        assert compact_record(record) == record


def test_compact_file_round_trip_through_read_records(tmp_path: Path) -> None:
    source = tmp_path / "runs.jsonl"
    lines = [json.dumps(_record(SERIES, seed=0)), json.dumps(_record(SERIES[::-1], seed=1))]
    source.write_text("\n".join(lines) + '\n{"type": "run", "cut sh')
    out = tmp_path / "small.jsonl.gz"
    with pytest.warns(UserWarning, match="not a complete JSON line"):
        assert bench.compact_file(source, out) == (2, 2)
    with pytest.warns(UserWarning):
        full = bench.read_records(source)
    small = bench.read_records(out)
    assert [len(r["evaluations"]) for r in small] == [len(r["evaluations"]) for r in full]
    assert bench.compact_file(out, tmp_path / "again.jsonl") == (0, 2)  # already compact


def test_compact_file_refuses_to_overwrite_its_source(tmp_path: Path) -> None:
    source = tmp_path / "runs.jsonl"
    source.write_text(json.dumps(_record(SERIES)) + "\n")
    with pytest.raises(ValueError, match="different output file"):
        bench.compact_file(source, source)
    with pytest.raises(FileNotFoundError, match=r"missing\.jsonl"):
        bench.compact_file(tmp_path / "missing.jsonl", tmp_path / "out.jsonl")
    assert json.loads(source.read_text()) == _record(SERIES)


def test_population_suite_records_compactly_and_the_cli_can_opt_out(tmp_path: Path) -> None:
    assert bench.make_plan(suite="population", solvers=["apogee-random"], seeds=[0]).compact
    assert not bench.make_plan(suite="quick").compact
    out = tmp_path / "runs.jsonl"
    plan = bench.make_plan(problem_names=["branin"], solvers=["apogee-random"], seeds=[0], budget=8)
    bench.run_bench(plan.jobs, bench.RunOptions(out, progress=False, compact=True))
    (raw,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert raw[COMPACTED]["evaluations"] == 8 and len(raw["evaluations"]) <= 8
    (record,) = bench.read_records(out)
    assert len(record["evaluations"]) == 8
    args = ["bench", "run", "--problems", "branin", "--solvers", "apogee-random", "--budget", "8"]
    full = tmp_path / "full.jsonl"
    assert main([*args, "--seeds", "0", "--no-progress", "--no-compact", "--out", str(full)]) == 0
    assert COMPACTED not in json.loads(full.read_text())

"""The bench's record format: one JSON line per finished run (schema in `docs/bench.md`)."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apogee.problems import Problem

RECORD_SCHEMA = 1


def run_key(problem: str, solver: str, seed: int, budget: int) -> tuple[str, str, int, int]:
    """What identifies a run: a file holds at most one record per key."""
    return (problem, solver, int(seed), int(budget))


def problem_facts(problem: Problem) -> dict[str, Any]:
    """What the report needs to know of a problem, stored with each run."""
    return {
        "objectives": dict(problem.objectives),
        "constraints": list(problem.constraints),
        "optimal_value": problem.optimal_value,
        "reference_point": None
        if problem.reference_point is None
        else list(problem.reference_point),
        "max_hypervolume": problem.max_hypervolume,
        "noise_sd": problem.noise_sd,
        "dim": problem.space.dim,
        "tags": sorted(problem.tags),
    }


def read_records(path: Path | str) -> list[dict[str, Any]]:
    """The run records of a `.jsonl` (or `.jsonl.gz`) file; none if it does not exist.

    A line cut short (the bench was killed while writing it) is skipped with a warning.
    """
    path = Path(path)
    if not path.exists():
        return []
    opener = gzip.open if path.suffix == ".gz" else open
    records: list[dict[str, Any]] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(
                    f"{path}:{number} is not a complete JSON line; skipped.", stacklevel=2
                )
                continue
            if entry.get("type") == "run":
                records.append(entry)
    return records

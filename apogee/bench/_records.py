"""The bench's record format: one JSON line per finished run (schema in `docs/bench.md`)."""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from apogee.bench._compact import COMPACTED, compact_record, compactable, expand_record

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


def _open(path: Path, write: bool = False) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "wt" if write else "rt", encoding="utf-8")
    return path.open("w" if write else "r", encoding="utf-8")


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every JSON line of `path`; a line cut short is skipped with a warning."""
    with _open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                warnings.warn(
                    f"{path}:{number} is not a complete JSON line; skipped.", stacklevel=3
                )


def read_records(path: Path | str) -> list[dict[str, Any]]:
    """The run records of a `.jsonl` (or `.jsonl.gz`) file; none if it does not exist.

    A line cut short (the bench was killed while writing it) is skipped with a warning. Compact
    records (`apogee.bench._compact`) come back expanded to one entry per evaluation.
    """
    path = Path(path)
    if not path.exists():
        return []
    return [expand_record(e) for e in _entries(path) if e.get("type") == "run"]


def compact_file(source: Path | str, out: Path | str) -> tuple[int, int]:
    """Write `source`'s records to `out` (`.jsonl` or `.jsonl.gz`) with long runs compacted.

    Returns (runs compacted, runs written). Lines cut short are skipped with a warning, as
    `read_records` skips them; other lines are copied as they are.
    """
    source, out = Path(source), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"No run file at {str(source)!r}.")
    if out.exists() and source.resolve() == out.resolve():
        raise ValueError(f"compact_file needs a different output file than {str(source)!r}.")
    compacted = written = 0
    with _open(out, write=True) as writer:
        for entry in _entries(source):
            if entry.get("type") == "run":
                written += 1
                compacted += COMPACTED not in entry and compactable(entry)
                entry = compact_record(entry)
            writer.write(json.dumps(entry, separators=(",", ":")) + "\n")
    return compacted, written

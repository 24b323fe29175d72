"""Compact run records: only the evaluations that improve the incumbent, for long runs.

A population run of 6,000 evaluations in d = 20 records about 3 MB of parameters and timings,
and the official grid of issue 6 about a gigabyte, too much to commit. What the report reads
from a run of one objective without constraints is the incumbent after each evaluation (by the
observed value, scored by its noise-free value) and the mean solver time per suggestion. A
compact record keeps just that: the evaluations whose observed value is a new best (each with
its `index`; the parameters only on the last, the final incumbent), the number of evaluations,
and the total solver and evaluation times. `expand_record` turns it back into a full-length list
in which evaluation `i` repeats the incumbent after `i` and carries the mean times, so every
score, rank, plot and time per suggestion of the report is the same as from the full record.
Runs with several objectives or with constraints are never compacted (their scores need every
point).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMPACTED = "compacted"  # the record key that marks (and describes) a compact record
_TIMES = ("solver_s", "eval_s")


def compactable(record: Mapping[str, Any]) -> bool:
    """Whether a run is scored by its incumbent alone: one objective and no constraints."""
    facts = record.get("problem_facts") or {}
    return len(facts.get("objectives", {})) == 1 and not facts.get("constraints")


def compact_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with only its improving evaluations; unchanged if not `compactable`."""
    if COMPACTED in record or not compactable(record):
        return dict(record)
    (direction,) = record["problem_facts"]["objectives"].values()
    (objective,) = record["problem_facts"]["objectives"]
    sign = 1.0 if direction == "minimize" else -1.0
    evaluations = record["evaluations"]
    kept: list[dict[str, Any]] = []
    best = float("nan")
    for index, evaluation in enumerate(evaluations):
        observed = sign * float(evaluation["values"][objective])
        if not kept or observed < best:  # as the report's running argmin: first on ties
            best = observed
            entry = {k: v for k, v in evaluation.items() if k not in _TIMES and k != "params"}
            kept.append({"index": index, **entry})
    if kept:
        kept[-1]["params"] = evaluations[kept[-1]["index"]].get("params")
    totals = {name: sum(float(e.get(name, 0.0)) for e in evaluations) for name in _TIMES}
    return {**record, "evaluations": kept, COMPACTED: {"evaluations": len(evaluations), **totals}}


def expand_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A compact record with a full-length evaluation list again (see the module docstring).

    The repeated entries are shared objects: expanding costs one reference per evaluation.
    """
    summary = record.get(COMPACTED)
    if summary is None:
        return dict(record)
    count = int(summary["evaluations"])
    means = {name: float(summary[name]) / count if count else 0.0 for name in _TIMES}
    kept = sorted(record["evaluations"], key=lambda e: int(e["index"]))
    evaluations: list[dict[str, Any]] = []
    for position, entry in enumerate(kept):
        end = int(kept[position + 1]["index"]) if position + 1 < len(kept) else count
        shared = {**{k: v for k, v in entry.items() if k != "index"}, **means}
        evaluations.extend([shared] * (end - int(entry["index"])))
    return {**record, "evaluations": evaluations}

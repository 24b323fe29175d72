"""Stored bench runs replayed into fresh studies (for scripts that probe one suggestion)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import apogee as ap
from apogee import problems


def replay_arguments(description: str) -> argparse.Namespace:
    """`runs problem seed prefixes`: a bench file, the run to replay, and history lengths."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("runs", help="bench JSON lines with an apogee-gp run of the problem")
    parser.add_argument("problem")
    parser.add_argument("seed", type=int)
    parser.add_argument("prefixes", help="comma-separated history lengths, e.g. 20,40,60")
    return parser.parse_args()


def stored_run(path: str, problem: str, seed: int, solver: str = "apogee-gp") -> dict[str, Any]:
    """The first record of `solver` on `problem` with `seed` in the bench file `path`."""
    with open(path) as lines:
        for record in map(json.loads, lines):
            if (record["problem"], record["seed"], record["solver"]) == (problem, seed, solver):
                return dict(record)
    raise ValueError(f"No run of {solver!r} on {problem!r} with seed {seed} in {path!r}.")


def replayed_study(record: dict[str, Any], n: int, seed: int) -> ap.Study:
    """A fresh `gp` study holding the first `n` evaluations of `record`."""
    problem = problems.get(record["problem"])
    study = ap.create_study(
        "replay", space=problem.space, optimizer=ap.optimizers.GP(), seed=seed,
        objectives=dict(problem.objectives), constraints=list(problem.constraints),
    )  # fmt: skip
    for evaluation in record["evaluations"][:n]:
        study.add_trial(evaluation["params"], evaluation["values"])
    return study

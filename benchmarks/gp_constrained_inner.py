"""Constrained GP suggestions at fixed stored histories: the inner optimizer before and after.

Replays the first `n` evaluations of a stored bench run into a fresh study and times one
suggestion three ways in the same process:
- `before`: every constraint GP queried alone, and every round of the inner loop re-optimizing
  every start with relaxed grid columns moving (the loop as it was in stop 13);
- `stacked`: the constraint GPs queried together as one `StackedGP`, the old loop;
- `now`: stacked, and after the first round only the starts that best response moved go back to
  L-BFGS-B, with relaxed grid columns held on their grid (the current `maximize_acquisition`).
Prints seconds per suggestion and the acquisition value each reached (higher is better).

    python benchmarks/gp_constrained_inner.py \\
        benchmarks/results/raw/bench_constrained_apogee_s13.jsonl pressure-vessel 0 20,40,50,60,70
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from _replay import replay_arguments, replayed_study, stored_run

import apogee as ap
import apogee.acquisition._constrained as constrained
import apogee.acquisition._optimize as inner
import apogee.optimizers.gp._suggest as suggest_module
from apogee.acquisition._continuous import maximize_continuous
from apogee.acquisition._discrete import best_response_round

_STACKING = constrained.LogProbabilityOfFeasibility.__post_init__
_CURRENT = inner.maximize_acquisition


def loop_before(acqf: Any, domain: Any, *, rng: Any, anchors: Any = None, exclude: Any = None,
                options: Any = None) -> tuple[np.ndarray, float]:  # fmt: skip
    """`maximize_acquisition` as it was: every start in every round, relaxed columns moving."""
    options = options or inner.OptimizeOptions()
    no_points = np.empty((0, domain.dim))
    anchors = no_points if anchors is None else anchors
    exclude = no_points if exclude is None else exclude
    candidates = inner.raw_candidates(domain, rng, anchors, options)
    values = inner.score(acqf, domain, candidates)
    order = np.argsort(-values, kind="stable")
    X = candidates[order[: options.n_restarts]]
    for _ in range(options.max_rounds):
        X = maximize_continuous(acqf, X, domain, maxiter=options.maxiter)
        if not (domain.discrete or domain.relaxed):
            break
        X, changed = best_response_round(lambda Z: inner.score(acqf, domain, Z), X, domain)
        if not changed:
            break
    pool = np.concatenate((X, candidates[order]))
    pool_values = np.concatenate((inner.score(acqf, domain, X), values[order]))
    return inner._best_allowed(domain.canonical(pool), pool_values, exclude)


def _unstacked(self: Any) -> None:
    """`LogProbabilityOfFeasibility.__post_init__` without the stack (checks skipped)."""


VARIANTS: dict[str, tuple[Callable[..., tuple[np.ndarray, float]], bool]] = {
    "before": (loop_before, False),
    "stacked": (loop_before, True),
    "now": (_CURRENT, True),
}


def time_variants(study: ap.Study, number: int, seed: int) -> list[tuple[str, float, float]]:
    """Seconds and acquisition value of one suggestion under each variant, same history."""
    history = study.history()
    rows = []
    for name, (maximize, stacked) in VARIANTS.items():
        reached: list[float] = []

        def recorded(
            *args: Any, _maximize: Any = maximize, _reached: list[float] = reached, **kwargs: Any
        ) -> Any:
            x, value = _maximize(*args, **kwargs)
            _reached.append(value)
            return x, value

        suggest_module.maximize_acquisition = recorded  # type: ignore[assignment]
        constrained.LogProbabilityOfFeasibility.__post_init__ = (  # type: ignore[method-assign]
            _STACKING if stacked else _unstacked
        )
        started = time.perf_counter()
        study.engine.suggest(history, [number], seed)
        rows.append((name, time.perf_counter() - started, reached[-1]))
    suggest_module.maximize_acquisition = _CURRENT
    constrained.LogProbabilityOfFeasibility.__post_init__ = _STACKING  # type: ignore[method-assign]
    return rows


def main() -> None:
    args = replay_arguments(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    record = stored_run(args.runs, args.problem, args.seed)
    for n in (int(p) for p in args.prefixes.split(",")):
        if n > len(record["evaluations"]):
            break
        study = replayed_study(record, n, args.seed)
        cells = [f"{name} {seconds:.2f} s ({value:.4f})" for name, seconds, value in
                 time_variants(study, n, args.seed)]  # fmt: skip
        print(f"{args.problem} n={n}: " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()

"""Does the inner optimizer find the acquisition's peak next to the incumbent?

Replays the first `n` evaluations of a stored bench run, makes one GP suggestion, and compares
the acquisition value the inner optimizer returned with the best of 4,000 Gaussian
perturbations of the incumbent at three scales (in the unit cube). A large share of
perturbations above the returned value means the optimizer missed a peak it should have found.

    python benchmarks/gp_acquisition_peak.py \\
        benchmarks/results/raw/bench_constrained_apogee_d3594a7.jsonl pressure-vessel 0 40,50,70
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from _replay import replay_arguments, replayed_study, stored_run

import apogee as ap
import apogee.optimizers.gp._suggest as suggest_module
from apogee.acquisition import score

_MAXIMIZE = suggest_module.maximize_acquisition
SCALES = (0.002, 0.01, 0.03)


def suggest_and_capture(study: ap.Study, number: int, seed: int) -> dict[str, Any]:
    """One suggestion; returns its acquisition, domain, anchors and the value it reached."""
    captured: dict[str, Any] = {}

    def capture(acqf: Any, domain: Any, **kwargs: Any) -> tuple[np.ndarray, float]:
        x, value = _MAXIMIZE(acqf, domain, **kwargs)
        captured.update(acqf=acqf, domain=domain, anchors=kwargs["anchors"], value=value)
        return x, value

    suggest_module.maximize_acquisition = capture  # type: ignore[assignment]
    try:
        study.engine.suggest(study.history(), [number], seed)
    finally:
        suggest_module.maximize_acquisition = _MAXIMIZE
    return captured


def main() -> None:
    args = replay_arguments(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    record = stored_run(args.runs, args.problem, args.seed)
    for n in (int(p) for p in args.prefixes.split(",")):
        study = replayed_study(record, n, args.seed)
        got = suggest_and_capture(study, n, args.seed)
        incumbent, rng = got["anchors"][0], np.random.default_rng(0)
        cells = []
        for scale in SCALES:
            noise = scale * rng.standard_normal((4000, len(incumbent)))
            values = score(
                got["acqf"], got["domain"], got["domain"].snap(np.clip(incumbent + noise, 0, 1))
            )
            cells.append(
                f"scale {scale}: best {values.max():.3f}, above {np.mean(values > got['value']):.1%}"
            )
        print(f"n={n}: returned {got['value']:.3f} | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()

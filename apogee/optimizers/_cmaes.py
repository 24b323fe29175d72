"""`cmaes`: CMA-ES (Hansen 2016) through the `cmaes` package, with IPOP/BIPOP restarts.

The distribution is never stored. Each suggestion stores its run, generation and slot and the
vector the package's `tell` needs (`cmaes:v`); a fresh engine rebuilds the distribution by
replaying the tells of the closed generations in order (`_slots.replay`), which is
deterministic because the package's RNG is reseeded per trial before every `ask`. Restarts
follow Auger & Hansen (2005, IPOP: the population doubles after each stop) and Hansen (2009,
BIPOP: large-population runs alternate with small-population runs of smaller step size, the
regime that has used fewer evaluations going next).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from apogee._util.rng import derive_int, generator
from apogee._util.validation import check_choice, check_float, check_int
from apogee.history import History, TrialRecord
from apogee.optimizers import _cmaes_variants as variants
from apogee.optimizers._slots import (
    Replayed,
    assign_slots,
    best_untagged_point,
    replay,
    slot_values,
)
from apogee.optimizers.base import Engine, Proposal, Suggestion

PREFIX = "cmaes"
RESTARTS = ("none", "ipop", "bipop")


@dataclass
class _Run:
    """One CMA-ES run between restarts, and the restart bookkeeping before it."""

    index: int
    population_size: int
    optimizer: Any
    n_large: int = 0  # large-population runs started so far (BIPOP) or restarts (IPOP)
    large_evaluations: int = 0
    small_evaluations: int = 0
    is_large: bool = True


@dataclass(frozen=True)
class CMAES(Engine):
    """CMA-ES for continuous, integer and categorical spaces, with restarts.

    Args:
        sigma0: initial step size on the unit cube (a quarter of each range by default).
        population_size: samples per generation; None means `4 + floor(3 ln d)`.
        restart: `"bipop"` (default: robust on multimodal functions), `"ipop"` or `"none"`.
        popsize_factor: how much each large-population restart multiplies the population.
        warm_start: start the first run at the best complete trial that this engine did not
            suggest (an enqueued point, or the trials of another engine under `auto`).
        warm_sigma0: the step size of that warm-started first run (None: `sigma0`). Restarts
            search the whole cube again, so they start from `sigma0` whatever this is.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 3,
        ...                      budget=200, optimizer=ap.optimizers.CMAES(), seed=0, progress=False)
        >>> result.value < 1e-3
        True
    """

    sigma0: float = 0.25
    population_size: int | None = None
    restart: str = "bipop"
    popsize_factor: int = 2
    warm_start: bool = True
    warm_sigma0: float | None = None

    name: ClassVar[str] = "cmaes"

    def __post_init__(self) -> None:
        check_float(self.sigma0, "sigma0", "CMAES", low=0.0, low_open=True, high=1.0)
        if self.population_size is not None:
            check_int(self.population_size, "population_size", "CMAES", low=2)
        check_choice(self.restart, "restart", "CMAES", RESTARTS)
        check_int(self.popsize_factor, "popsize_factor", "CMAES", low=2)
        if self.warm_sigma0 is not None:
            check_float(self.warm_sigma0, "warm_sigma0", "CMAES", low=0.0, low_open=True, high=1.0)

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        space = history.spec.space
        layout = variants.Layout.of(space)
        if layout.n_searched == 0:
            points = [generator(seed, n).random(space.dim) for n in numbers]
            return Proposal(tuple(Suggestion(space.decode(p)) for p in points))
        state = self.rebuild(history, seed)
        run = state.state
        slots = assign_slots(state.trials, run.population_size, PREFIX, len(numbers))
        suggestions = []
        for number, slot in zip(numbers, slots, strict=True):
            unit, facts = variants.sample(run.optimizer, layout, derive_int(seed, number))
            attrs = {
                f"{PREFIX}:generation": state.generation,
                f"{PREFIX}:slot": slot,
                f"{PREFIX}:run": run.index,
                **{f"{PREFIX}:{key}": value for key, value in facts.items()},
            }
            suggestions.append(Suggestion(space.decode(unit), attrs))
        return Proposal(tuple(suggestions))

    def rebuild(self, history: History, seed: int) -> Replayed[_Run]:
        """The replayed state: the current run (`.state`), generation and its trials."""
        layout = variants.Layout.of(history.spec.space)
        start = best_untagged_point(history, PREFIX) if self.warm_start else None
        key = (
            json.dumps(self.options(), sort_keys=True),
            seed,
            repr(history.spec.to_json()),
            None if start is None else tuple(start),
        )

        def initial() -> _Run:
            mean, sigma = np.full(layout.dim, 0.5), self.sigma0
            if start is not None:
                mean = start
                sigma = self.sigma0 if self.warm_sigma0 is None else self.warm_sigma0
            size = self.population_size or variants.default_population(layout)
            return _Run(0, size, self._optimizer(layout, mean, sigma, size))

        def advance(run: _Run, generation: int, chosen: list[TrialRecord]) -> _Run:
            facts = [_facts(trial) for trial in chosen]
            variants.tell(run.optimizer, layout, facts, _values(history, chosen))
            if run.is_large:
                run.large_evaluations += run.population_size
            else:
                run.small_evaluations += run.population_size
            stoppable = self.restart != "none" and layout.has_gaussian
            if not stoppable or not run.optimizer.should_stop():
                return run
            return self._restart(run, layout, seed)

        return replay(history, PREFIX, key, initial, lambda run: run.population_size, advance)

    def _optimizer(
        self, layout: variants.Layout, unit_mean: np.ndarray, sigma: float, size: int
    ) -> Any:
        return variants.create(layout, layout.gaussian_mean(unit_mean), sigma, size)

    def _restart(self, run: _Run, layout: variants.Layout, seed: int) -> _Run:
        """The next run: IPOP doubles the population; BIPOP picks the less-used regime."""
        base = self.population_size or variants.default_population(layout)
        index = run.index + 1
        mean = generator(seed, 0xC3A, index).random(layout.dim)  # a fresh start in the cube
        n_large, is_large, sigma = run.n_large, True, self.sigma0
        if self.restart == "ipop" or run.large_evaluations <= run.small_evaluations:
            n_large += 1
            size = base * self.popsize_factor**n_large
        else:  # BIPOP's small regime (Hansen 2009, eq. for lambda_s and sigma_s)
            u = float(generator(seed, 0xB1, index).random())
            large = base * self.popsize_factor**n_large
            size = max(2, int(base * (0.5 * large / base) ** (u * u)))
            sigma, is_large = self.sigma0 * 10 ** (-2 * u), False
        return _Run(
            index,
            size,
            self._optimizer(layout, mean, sigma, size),
            n_large,
            run.large_evaluations,
            run.small_evaluations,
            is_large,
        )


def _facts(trial: TrialRecord) -> dict[str, Any]:
    return {
        "v": trial.system_attrs.get(f"{PREFIX}:v", []),
        "c": trial.system_attrs.get(f"{PREFIX}:c", []),
    }


def _values(history: History, chosen: Sequence[TrialRecord]) -> list[float]:
    """Minimization values; a slot done by failures ranks last (above the worst value)."""
    values = slot_values(history, chosen, math.nan)
    worst = max((v for v in values if not math.isnan(v)), default=0.0)
    penalty = worst + 1.0 + abs(worst)
    return [penalty if math.isnan(v) else v for v in values]

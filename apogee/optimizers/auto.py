"""`auto`: picks an engine from the spec, the budget and the history, and says why.

The policy, for the next suggestions:

* several objectives, or constraints: the GP (log EHVI for two objectives, and for three given
  a `reference_point`; ParEGO otherwise; one model per constraint, acquisition weighted by the
  probability of feasibility) for the
  first `gp_trials` trials in dimension at most `gp_max_dim` (or to the end of a small known
  budget); past that, NSGA-II (constraint domination) once a full population exists, with
  Sobol' points until then (CMA-ES handles neither);
* one objective, dimension at most `gp_max_dim`: the GP (Bayesian optimization is worth its
  cost while evaluations are few) for the first `gp_trials` trials, or for the first 5 % of a
  known budget when that is fewer, then CMA-ES warm-started at the best point so far, as
  evaluations have become plentiful, with a step size fitted to the GP phase (`warm_sigma`).
  When the budget is known and at most `1.5 · gp_trials`, the GP runs to the end (CMA-ES would
  not have time to adapt);
* one objective in higher dimension: CMA-ES from the start (a GP needs too many points there);
* `portfolio=True`: every suggestion goes to one of several engines chosen by a bandit on their
  recent improvements (`_portfolio`, as Balans does over neighborhoods).

The choice is a function of the history (trial counts only grow, so the engine never flaps),
and it is written to the study's attributes: `"auto"` holds the current engine and reason,
`"auto:log"` every change with the first trial number it applied to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from apogee._util.validation import check_floats, check_int
from apogee.history import JSON, History, StudySpec, TrialState
from apogee.optimizers import _portfolio as bandit
from apogee.optimizers._cmaes import CMAES
from apogee.optimizers._de import DE
from apogee.optimizers.base import Engine, Proposal, Suggestion
from apogee.optimizers.gp import GP
from apogee.optimizers.gp._engine import check_reference_point
from apogee.optimizers.nsga2 import NSGA2
from apogee.optimizers.random import Random
from apogee.optimizers.sobol import MAX_SOBOL_DIM, Sobol

SWITCH_FRACTION = 20  # with a known budget, the GP phase is at most budget // 20 trials
WARM_SIGMA_KEY = "auto:cmaes_sigma0"  # the step size CMA-ES started with, fixed once chosen
WARM_SIGMA_RANGE = (0.01, 0.25)


def switch_point(budget: int | None, gp_trials: int) -> int:
    """Trials the GP phase of a single-objective study lasts before CMA-ES takes over."""
    return gp_trials if budget is None else max(1, min(gp_trials, budget // SWITCH_FRACTION))


def warm_sigma(history: History, switch: int) -> float:
    """CMA-ES's first step size after the GP phase: the spread of the phase's best tenth.

    Nomura et al. (AAAI 2021, "Warm Starting CMA-ES for Hyperparameter Optimization") fit the
    first distribution to the best 10 % of earlier evaluations; this takes its step size, the
    RMS coordinate spread of those points on the unit cube, without the isotropic prior, and
    clips it to `WARM_SIGMA_RANGE`. A phase that found a narrow basin gives a small step (a
    fixed 0.1 spent most of the CMA-ES budget shrinking back to it); one spread over several
    basins keeps a wide step. A value stored at the switch (`WARM_SIGMA_KEY`) is reused, so
    trials of the phase that finish later never change it.
    """
    stored = history.study_attrs.get(WARM_SIGMA_KEY)
    if isinstance(stored, float):
        return stored
    low, high = WARM_SIGMA_RANGE
    phase = [t for t in history.trials[:switch] if t.state is TrialState.COMPLETE]
    phase = [t for t in phase if t.number < switch and history.is_feasible(t)]
    if len(phase) < 2:
        return high
    order = np.argsort(history.objective_matrix(phase)[:, 0], kind="stable")
    top = [phase[int(i)] for i in order[: max(2, len(phase) // 10)]]
    points = np.nan_to_num(history.encoded_params(top), nan=0.5)
    return float(np.clip(np.sqrt(points.var(axis=0).mean()), low, high))


def _space_filling(spec: StudySpec) -> Engine:
    return Sobol() if spec.space.dim <= MAX_SOBOL_DIM else Random()


def _population_policy(spec: StudySpec, history: History) -> tuple[Engine, str]:
    """Sobol' until a full NSGA-II population, then NSGA-II (several objectives, constraints)."""
    why = "several objectives" if spec.is_multi_objective else "constraints"
    why += " beyond the GP's reach"
    population = NSGA2().population_size
    evaluated = len(history.complete) + len(history.pending)
    if evaluated >= population:
        return NSGA2(), f"{why} and {evaluated} evaluated points: a full NSGA-II population"
    filler = _space_filling(spec)
    return filler, f"{why}: {filler.name} points until NSGA-II has {population} to start from"


def choose_engine(
    spec: StudySpec,
    history: History,
    *,
    budget: int | None = None,
    gp_trials: int = 200,
    gp_max_dim: int = 20,
    reference_point: tuple[float, ...] | None = None,
) -> tuple[Engine, str]:
    """The engine `auto` delegates to for the next suggestions, with the reason.

    `reference_point` goes to the GP of a study with several objectives.
    """
    dim = spec.space.dim
    if dim == 0:
        return Random(), "nothing to search: every parameter is fixed"
    if spec.is_multi_objective or spec.constraints:
        model_based = dim <= gp_max_dim and (
            history.n_trials < gp_trials or (budget is not None and budget <= 1.5 * gp_trials)
        )
        if not model_based:
            return _population_policy(spec, history)
        if spec.is_multi_objective:
            engine = GP(reference_point=reference_point)
            method = "log EHVI" if engine.uses_ehvi(len(spec.objectives)) else "ParEGO"
            return engine, f"several objectives in dimension {dim}: a GP per objective ({method})"
        return GP(), f"constraints {list(spec.constraints)}: a GP models each one"
    if dim > gp_max_dim:
        return CMAES(), f"dimension {dim} > {gp_max_dim}: CMA-ES scales where a GP does not"
    if budget is not None and budget <= 1.5 * gp_trials:
        return GP(), f"a budget of {budget} trials: each evaluation is worth a GP model"
    switch = switch_point(budget, gp_trials)
    if history.n_trials < switch:
        return (
            GP(),
            f"fewer than {switch} trials in dimension {dim}: a GP model is worth its cost",
        )
    return (
        CMAES(warm_sigma0=warm_sigma(history, switch)),
        f"{switch} trials or more: evaluations are plentiful, so CMA-ES continues from the "
        "best point, its first step size fitted to the best tenth of the GP phase",
    )


@dataclass(frozen=True)
class Auto(Engine):
    """Chooses an engine from the space, budget, dimension and objectives; records its choice.

    Args:
        budget: the number of trials the study will run, if known (`ap.minimize` passes it).
        portfolio: let a bandit share the evaluations among several engines.
        gp_trials: trials after which a single-objective study moves from GP to CMA-ES (or
            5 % of a known budget, when that is fewer).
        gp_max_dim: the largest dimension the GP is used for.
        window: recent rewards per arm that the portfolio's bandit looks at.
        reference_point: with several objectives, the hypervolume reference in the user's units
            and directions, one value per objective, handed to the GP (`GP(reference_point=...)`:
            EHVI then measures improvement up to it, and runs for three objectives too).

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("demo", space=ap.Space({"x": ap.Float(0, 1)}), seed=0)
        >>> _ = study.ask()
        >>> study.attrs["auto"]["engine"]
        'gp'
    """

    budget: int | None = None
    portfolio: bool = False
    gp_trials: int = 200
    gp_max_dim: int = 20
    window: int = 50
    reference_point: tuple[float, ...] | None = None

    name: ClassVar[str] = "auto"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.budget is not None:
            check_int(self.budget, "budget", "Auto", low=1)
        if not isinstance(self.portfolio, bool):
            raise TypeError(
                f"The 'portfolio' parameter of Auto must be a bool. Got {self.portfolio!r} instead."
            )
        check_int(self.gp_trials, "gp_trials", "Auto", low=1)
        check_int(self.gp_max_dim, "gp_max_dim", "Auto", low=0)
        check_int(self.window, "window", "Auto", low=1)
        if self.reference_point is not None:
            reference = check_floats(
                self.reference_point, "reference_point", "Auto", "one per objective"
            )
            object.__setattr__(self, "reference_point", reference)

    def check(self, spec: StudySpec) -> None:
        """A reference point needs several objectives and one value per objective."""
        super().check(spec)
        if self.reference_point is not None:
            check_reference_point(self.reference_point, len(spec.objectives), "Auto")

    def arms(self, spec: StudySpec) -> tuple[str, ...]:
        """The portfolio's engines: GP where it fits, CMA-ES and DE."""
        return ("gp", "cmaes", "de") if spec.space.dim <= self.gp_max_dim else ("cmaes", "de")

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        spec = history.spec
        if self.portfolio and not (spec.is_multi_objective or spec.constraints) and spec.space.dim:
            return self._portfolio(history, numbers, seed)
        engine, reason = choose_engine(
            spec,
            history,
            budget=self.budget,
            gp_trials=self.gp_trials,
            gp_max_dim=self.gp_max_dim,
            reference_point=self.reference_point,
        )
        proposal = engine.suggest(history, numbers, seed)
        choice = {"engine": engine.name, "reason": reason}
        study_attrs = {**proposal.study_attrs, **_record(history, choice, min(numbers, default=0))}
        if isinstance(engine, CMAES) and WARM_SIGMA_KEY not in history.study_attrs:
            study_attrs[WARM_SIGMA_KEY] = engine.warm_sigma0
        return Proposal(proposal.suggestions, study_attrs)

    def _portfolio(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        arms = self.arms(history.spec)
        stats = bandit.arm_stats(history, arms, self.window)
        chosen = bandit.choose_arms(stats, arms, numbers, seed)
        engines: dict[str, Engine] = {"gp": GP(), "cmaes": CMAES(), "de": DE()}
        by_number: dict[int, Suggestion] = {}
        study_attrs: dict[str, JSON] = {}
        for arm in arms:
            mine = [n for n, a in zip(numbers, chosen, strict=True) if a == arm]
            if not mine:
                continue
            proposal = engines[arm].suggest(history, mine, seed)
            study_attrs.update(proposal.study_attrs)
            for number, suggestion in zip(mine, proposal.suggestions, strict=True):
                attrs = {**suggestion.attrs, bandit.ARM: arm}
                by_number[number] = Suggestion(suggestion.params, attrs)
        summary = {
            arm: {"pulls": s.pulls, "recent": s.recent, "improvements": s.successes}
            for arm, s in stats.items()
        }
        choice = {
            "engine": "portfolio",
            "reason": f"a bandit on recent improvements shares the trials among {list(arms)}",
        }
        study_attrs.update(_record(history, choice, min(numbers, default=0)))
        study_attrs["auto:portfolio"] = summary
        return Proposal(tuple(by_number[n] for n in numbers), study_attrs)


def _record(history: History, choice: Mapping[str, str], first: int) -> dict[str, JSON]:
    """The study attributes for `choice`: nothing new unless it changed, then a log entry too."""
    if history.study_attrs.get("auto") == choice:
        return {}
    log = history.study_attrs.get("auto:log")
    entries = list(log) if isinstance(log, list) else []
    entries.append({"trial": first, **choice})
    return {"auto": dict(choice), "auto:log": entries}

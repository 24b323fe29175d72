"""`gp`: Bayesian optimization with an exact Gaussian process (the options; no torch here).

The numerics live in `_suggest.py`, imported on the first suggestion, so that importing
`apogee.optimizers` does not import torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from apogee._util.errors import UnsupportedError
from apogee._util.validation import check_choice, check_float, check_floats, check_int
from apogee.history import History, StudySpec
from apogee.optimizers.base import Engine, Proposal

ACQUISITIONS = ("log_ei", "log_nei", "ucb", "pi", "thompson")
MULTI_OBJECTIVE = ("auto", "parego", "ehvi")


@dataclass(frozen=True)
class GP(Engine):
    """Gaussian-process Bayesian optimization for expensive objectives and constraints.

    Fits a GP (Matern-5/2 ARD kernel that reads categorical and conditional parameters
    natively, MAP hyperparameters under dimension-scaled priors, warped outcomes) to the
    complete trials and suggests the maximizer of an acquisition function. Running trials count
    as already observed at the model's prediction (kriging believer), so parallel workers get
    distinct points; failed trials are left out of the model.

    Each constraint (`<= 0` is feasible) gets its own GP; the acquisition is weighted by the
    probability of feasibility (added in log space), the incumbent is the best feasible trial,
    and while no trial is feasible the engine maximizes the probability of feasibility alone.
    Several objectives get one GP each and the suggestion maximizes the log expected
    hypervolume improvement (closed form, over the front of posterior means) by default, or
    ParEGO (a random augmented Chebyshev scalarization per suggestion) on request.

    Args:
        acquisition: `"log_ei"` (log expected improvement over the best observed value, or
            over the best posterior mean once the fitted noise exceeds `noisy_above` if set),
            `"log_nei"` (always over the best posterior mean: for noisy objectives), `"ucb"`
            (confidence bound with `beta`), `"pi"` (log probability of improvement) or
            `"thompson"` (one posterior draw per trial, minimized over candidates).
        n_startup: trials from a Sobol' design before the model takes over; None means
            `d + 1` clipped to `[5, 10]`.
        beta: exploration weight of `"ucb"`.
        n_restarts: L-BFGS-B starts of the acquisition optimizer.
        raw_samples: Sobol' points scored to choose the starts.
        warping: warp outcomes with a fitted power transform (else only standardize).
        noise_floor: smallest noise variance, on the standardized scale.
        noisy_above: if set, `"log_ei"` turns into `"log_nei"` for a suggestion whose fitted
            noise variance is above this fraction of the signal variance (1e-4: a noise
            standard deviation above 1% of the signal's), so a noisy objective is not chased
            down its luckiest observation. None (the default) never switches: the benchmark
            in `docs/engines/gp.md` found it no better overall, and worse on Hartmann-3.
        fit_points: at most this many trials (the best half, then evenly spread others) fit the
            hyperparameters; the posterior still uses up to `max_points` trials.
        max_points: at most this many trials condition the posterior (chosen the same way).
        flatten_conditions: model inactive conditional parameters as if they had the value
            0.5 (the ablation of the benchmark), instead of with the conditional kernel.
        multi_objective: how several objectives are handled: `"ehvi"` (one GP per
            objective, log expected hypervolume improvement over the posterior-mean front),
            `"parego"` (a random scalarization per suggestion, modelled by one GP), or
            `"auto"` (the default): EHVI for two objectives, where it won 4 of 4 problems in
            `benchmarks/results/gp_mobo.md`, and for three given a `reference_point` (DTLZ2:
            -0.96 against ParEGO's -0.58 log10 gap at 100 trials, `bench_moo.md`); ParEGO for
            three without one (EHVI's inferred reference did worse there, -0.48 against
            -0.61) and for four or more (EHVI's boxes grow as `(k + 1)^(m - 1)`).
        reference_point: the hypervolume reference of several objectives, one value per
            objective in the study's order, in the user's units and directions (for a maximized
            objective, the value below which a point adds nothing). It tells the engine which
            part of the front matters, as BoTorch's `ref_point` does: EHVI measures
            improvement up to it, and ParEGO normalizes each objective from its best observed
            value up to it (instead of up to its worst). None (the default): EHVI infers a
            reference per suggestion (the worst feasible posterior mean plus 10% of the
            observed range), ParEGO normalizes over the observed range.
        feasibility_margin: once a feasible trial is known, suggestions are held (by a soft
            barrier) where every constraint's posterior mean lies at least this many posterior
            standard deviations on the feasible side. log EI + log PoF alone peaks next to an
            active constraint, often where its model expects a violation, and such points
            came back infeasible (`docs/engines/gp.md`); 0.5 kept most suggestions of stored
            engineering-design runs feasible without stalling them (1.0 stalled where several
            constraints are active). None: the plain weighting. Used by the log-space
            acquisitions with one objective and with ParEGO; EHVI keeps the plain weighting
            (not measured there) and `"thompson"` its drawn constraints.

    Example:
        >>> import apogee as ap
        >>> result = ap.minimize(lambda x: float(((x - 0.3) ** 2).sum()), bounds=[(-1, 1)] * 2,
        ...                      budget=14, optimizer=ap.optimizers.GP(), seed=0, progress=False)
        >>> result.value < 0.01
        True
    """

    acquisition: str = "log_ei"
    n_startup: int | None = None
    beta: float = 4.0
    n_restarts: int = 10
    raw_samples: int = 512
    warping: bool = True
    noise_floor: float = 1e-6
    noisy_above: float | None = None
    fit_points: int = 300
    max_points: int = 2000
    flatten_conditions: bool = False
    multi_objective: str = "auto"
    reference_point: tuple[float, ...] | None = None
    feasibility_margin: float | None = 0.5

    name: ClassVar[str] = "gp"
    handles_multi_objective: ClassVar[bool] = True
    handles_constraints: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_choice(self.acquisition, "acquisition", "GP", ACQUISITIONS)
        check_choice(self.multi_objective, "multi_objective", "GP", MULTI_OBJECTIVE)
        if self.n_startup is not None:
            check_int(self.n_startup, "n_startup", "GP", low=1)
        check_float(self.beta, "beta", "GP", low=0.0)
        check_int(self.n_restarts, "n_restarts", "GP", low=1)
        check_int(self.raw_samples, "raw_samples", "GP", low=1)
        for flag in ("warping", "flatten_conditions"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(
                    f"The '{flag}' parameter of GP must be a bool. Got {getattr(self, flag)!r} instead."
                )
        check_float(self.noise_floor, "noise_floor", "GP", low=0.0, low_open=True, high=1.0)
        if self.noisy_above is not None:
            check_float(self.noisy_above, "noisy_above", "GP", low=0.0)
        check_int(self.fit_points, "fit_points", "GP", low=2)
        check_int(self.max_points, "max_points", "GP", low=self.fit_points)
        if self.feasibility_margin is not None:
            check_float(self.feasibility_margin, "feasibility_margin", "GP")
        if self.reference_point is not None:
            reference = check_floats(
                self.reference_point, "reference_point", "GP", "one per objective"
            )
            object.__setattr__(self, "reference_point", reference)

    def uses_ehvi(self, n_objectives: int) -> bool:
        """Whether `n_objectives` (two or more) are handled by EHVI rather than ParEGO."""
        if self.multi_objective == "auto":
            return n_objectives == 2 or (n_objectives == 3 and self.reference_point is not None)
        return self.multi_objective == "ehvi"

    def check(self, spec: StudySpec) -> None:
        """Constraints need a log-space acquisition (or Thompson sampling), not `"ucb"`."""
        super().check(spec)
        if spec.constraints and self.acquisition == "ucb":
            raise UnsupportedError(
                f"The 'gp' engine cannot weight 'ucb' by the constraints {list(spec.constraints)}; "
                "use acquisition='log_ei', 'log_nei', 'pi' or 'thompson'."
            )
        if self.reference_point is not None:
            check_reference_point(self.reference_point, len(spec.objectives), "GP")

    def startup_trials(self, dim: int) -> int:
        """Complete trials needed before the model is used."""
        return self.n_startup if self.n_startup is not None else min(max(dim + 1, 5), 10)

    def suggest(self, history: History, numbers: Sequence[int], seed: int) -> Proposal:
        from apogee.optimizers.gp._suggest import suggest  # deferred: imports torch

        return suggest(self, history, numbers, seed)


def check_reference_point(reference: tuple[float, ...], n_objectives: int, owner: str) -> None:
    """A hypervolume reference point needs several objectives, and one value per objective."""
    if n_objectives < 2:
        raise UnsupportedError(
            f"{owner} uses reference_point={reference!r} only with several objectives; "
            "this study has one. Leave reference_point None."
        )
    if len(reference) != n_objectives:
        raise ValueError(
            f"The 'reference_point' parameter of {owner} must have one value per objective "
            f"({n_objectives}). Got {list(reference)!r} instead."
        )

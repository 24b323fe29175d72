"""How sure are we? The posterior of the global optimum, from GP sample paths (no torch here).

A GP fitted to any study's history (whichever engine ran it) gives posterior sample paths of the
objective; the minimum of each path is a draw of the optimal value `f*`, and its minimizer a
draw of `x*` (`_optimum_samples.py` does the numerics, imported on first use). From the draws:
the median and a credible interval of `f*`, per-parameter intervals of `x*`, the probability
that the best trial is within `eps` of `f*`, and the expected remaining improvement
`E[max(f_best - f*, 0)]`, where `f_best` is each path's value at the best trial (so a noisy
incumbent's own uncertainty counts). This is the posterior of the global optimum that BAL
(Bayesian active learning for protein docking) reports, with sample paths in place of its
kriging posterior. The interval of `f*` is widened by the model's track record
(`_optimum_backtest.py`: how much of the improvement the GP fitted to the first half of the
trials predicted at the second half came true).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from apogee._util.errors import UnsupportedError
from apogee._util.rng import generator
from apogee._util.validation import check_float, check_int, invalid
from apogee.history import Direction, History
from apogee.space import Categorical, Fixed, Space

_STREAM = 0x6F70  # keys these draws apart from every engine's streams
EPS_FRACTION = 0.01  # default eps: this fraction of the range of observed values
MIN_FEASIBLE_DRAWS = 0.5  # below this share of paths with a feasible point: cannot say

ParamSummary = tuple[float, float] | Mapping[Any, float]


@dataclass(frozen=True)
class OptimumOptions:
    """How many sample paths, and how hard each is minimized.

    Attributes:
        n_samples: posterior sample paths `S` (the Monte-Carlo error of a probability is at
            most `0.5 / sqrt(S)`, 0.044 at 128).
        n_features: random Fourier features of the prior part of each path.
        n_starts: L-BFGS-B starts per path (from its best candidates).
        raw_samples: Sobol' candidates scored under every path to choose the starts.
        maxiter: L-BFGS-B iterations of the batched search.
        noise_floor: smallest noise variance of the GP, on the standardized scale.
        local_fraction: share of the trials nearest to the incumbent that get a local GP of
            their own (`_optimum_local.py`); 0 uses the global GP alone.
        local_cells: with a local model, the global model also stays out of the cells of the
            local trials (the points nearest to them); False: only out of their box.
        track_record: widen the interval of `f*` by the model's track record: the GP fitted
            to the first half of the trials, checked on the second half, says how much of the
            improvement it predicts comes true (`_optimum_backtest.py`); the interval then
            spans the model's and the one with its gaps rescaled by that. False: the model's.

    Example:
        >>> OptimumOptions(n_samples=64).n_features
        1024
    """

    n_samples: int = 128
    n_features: int = 1024
    n_starts: int = 4
    raw_samples: int = 512
    maxiter: int = 100
    noise_floor: float = 1e-6
    local_fraction: float = 0.5
    local_cells: bool = True
    track_record: bool = True

    def __post_init__(self) -> None:
        owner = "OptimumOptions"
        check_int(self.n_samples, "n_samples", owner, low=2)
        check_int(self.n_features, "n_features", owner, low=1)
        check_int(self.n_starts, "n_starts", owner, low=1)
        check_int(self.raw_samples, "raw_samples", owner, low=1)
        check_int(self.maxiter, "maxiter", owner, low=0)
        check_float(self.noise_floor, "noise_floor", owner, low=0.0, low_open=True, high=1.0)
        check_float(self.local_fraction, "local_fraction", owner, low=0.0, high=1.0)
        for name in ("local_cells", "track_record"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(invalid(name, owner, "a bool", getattr(self, name)))


@dataclass(frozen=True)
class OptimumPosterior:
    """The posterior of a study's global optimum, in the user's units and direction.

    When the model cannot say anything (too few trials, the fit failed), `reason` says why and
    the numbers are None; nothing is invented.

    Attributes:
        level: credibility of the intervals.
        eps: the tolerance of `prob_incumbent_optimal`, in objective units.
        n_trials: complete trials the model saw.
        direction: `"minimize"` or `"maximize"`.
        value_median: median of the optimal value `f*`.
        value_interval: `(low, high)` credible interval of `f*`.
        params_interval: per searched parameter, `(low, high)` of `x*` for a numeric one and
            `{choice: probability}` for a categorical one (conditional ones over the draws
            where they are active).
        prob_incumbent_optimal: P(best trial is within `eps` of `f*`).
        expected_remaining_improvement: `E[max(f_best - f*, 0)]`, in objective units.
        incumbent_number, incumbent_value: the best (feasible) trial and its observed value.
        value_samples: the `f*` draws behind the summaries, best first.
        gap_samples: the matching draws of `f_best - f*` (>= 0, objective units), so that
            `prob_within(eps)` can answer for any other tolerance without new draws.
        constraints: how constraints entered: `"none"` or `"modelled"` (each constraint's own
            sample paths decide which points a draw calls feasible).
        reason: why nothing can be said, or None.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("opt", space=ap.Space({"x": ap.Float(-1, 1)}), seed=0)
        >>> study.optimize(lambda p: p["x"] ** 2, n_trials=12, progress=False)
        >>> optimum = study.optimum(options=ap.optimizers.gp.OptimumOptions(n_samples=32))
        >>> low, high = optimum.value_interval
        >>> low <= optimum.value_median <= high and optimum.reason is None
        True
    """

    level: float
    eps: float | None
    n_trials: int
    direction: str
    value_median: float | None = None
    value_interval: tuple[float, float] | None = None
    params_interval: Mapping[str, ParamSummary] = field(
        default_factory=lambda: MappingProxyType({})
    )
    prob_incumbent_optimal: float | None = None
    expected_remaining_improvement: float | None = None
    incumbent_number: int | None = None
    incumbent_value: float | None = None
    value_samples: tuple[float, ...] = ()
    gap_samples: tuple[float, ...] = ()
    constraints: str = "none"
    reason: str | None = None

    @property
    def known(self) -> bool:
        """Whether the model could say anything (else see `reason`)."""
        return self.reason is None

    def prob_within(self, eps: float) -> float | None:
        """P(best trial is within `eps` of `f*`) from the same draws (None if unknown)."""
        check_float(eps, "eps", "OptimumPosterior.prob_within", low=0.0)
        return float(np.mean(np.asarray(self.gap_samples) <= eps)) if self.known else None

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """The summary as text lines (for `print(result)` and `apogee show`)."""
        if not self.known:
            return [f"optimum: cannot say ({self.reason})"]
        assert self.value_interval is not None and self.value_median is not None
        percent = f"{100 * self.level:g}%"
        low, high = self.value_interval
        lines = [
            f"optimum ({self.direction}, GP posterior of {len(self.value_samples)} sample paths "
            f"over {self.n_trials} trials, constraints: {self.constraints}):",
            f"  f* median {self.value_median:.6g}, {percent} interval [{low:.6g}, {high:.6g}]",
            f"  P(trial {self.incumbent_number} is within eps={self.eps:.4g} of f*) = "
            f"{self.prob_incumbent_optimal:.3f}; expected remaining improvement "
            f"{self.expected_remaining_improvement:.4g}",
            f"  x* {percent} intervals:",
        ]
        for name, summary in self.params_interval.items():
            if isinstance(summary, tuple):
                low_x, high_x = (f"{v:.6g}" if isinstance(v, float) else repr(v) for v in summary)
                lines.append(f"    {name} in [{low_x}, {high_x}]")
            else:
                shares = ", ".join(f"{choice!r}: {p:.2f}" for choice, p in summary.items())
                lines.append(f"    {name}: {{{shares}}}")
        return lines


def posterior_of_optimum(
    history: History,
    *,
    level: float = 0.9,
    eps: float | None = None,
    seed: int = 0,
    options: OptimumOptions | None = None,
) -> OptimumPosterior:
    """The posterior of the global optimum of the single objective of `history`.

    Args:
        history: the trials (from any engine); failed and running trials are ignored.
        level: credibility of the intervals, in (0, 1).
        eps: tolerance of `prob_incumbent_optimal` in objective units; None means 1% of the
            range of observed values.
        seed: the random stream; the draws depend only on `seed` and the history.
        options: sample and search sizes.

    Raises:
        UnsupportedError: the study has several objectives.
    """
    owner = "optimum"
    check_float(level, "level", owner, low=0.0, high=1.0, low_open=True, high_open=True)
    if eps is not None:
        check_float(eps, "eps", owner, low=0.0, low_open=True)
    if history.spec.is_multi_objective:
        raise UnsupportedError(
            "The posterior of the optimum needs one objective; this study has "
            f"{list(history.spec.objective_names)}."
        )
    options = options or OptimumOptions()
    direction = history.spec.directions[0]
    y = history.objective_matrix()[:, 0]
    range_ = float(np.ptp(y)) if len(y) else 0.0
    eps = EPS_FRACTION * range_ if eps is None else float(eps)
    base = OptimumPosterior(
        level,
        eps,
        len(y),
        direction.value,
        constraints="modelled" if history.spec.constraints else "none",
    )
    reason = _cannot_say(history, y, range_)
    if reason is not None:
        return replace(base, reason=reason)
    return _summarize(base, history, direction, seed, options)


def _cannot_say(history: History, y: np.ndarray, range_: float) -> str | None:
    needed = max(5, history.spec.space.dim + 2)
    if len(y) < needed:
        return f"{len(y)} complete trials; the model needs at least {needed}"
    if history.spec.space.dim == 0:
        return "the space has no searched parameter"
    if not range_ > 0:
        return "every complete trial has the same value"
    if history.best() is None:
        return "no trial satisfies the constraints yet"
    return None


def _summarize(
    base: OptimumPosterior,
    history: History,
    direction: Direction,
    seed: int,
    options: OptimumOptions,
) -> OptimumPosterior:
    from apogee.optimizers.gp._optimum_samples import draw_optima  # deferred: imports torch

    rng = generator(seed, _STREAM, len(history.complete))
    try:
        draws = draw_optima(
            history,
            n_samples=options.n_samples,
            n_features=options.n_features,
            n_starts=options.n_starts,
            raw_samples=options.raw_samples,
            maxiter=options.maxiter,
            noise_floor=options.noise_floor,
            local_fraction=options.local_fraction,
            local_cells=options.local_cells,
            rng=rng,
        )
    except (np.linalg.LinAlgError, RuntimeError) as error:
        return replace(base, reason=f"the GP fit failed ({error})")
    feasible = draws.values < np.inf
    if feasible.mean() < MIN_FEASIBLE_DRAWS:
        reason = f"only {feasible.sum()} of {len(feasible)} posterior draws find a feasible point"
        return replace(base, reason=reason)
    values, points = draws.values[feasible], draws.points[feasible]
    gaps = np.maximum(draws.at_incumbent[feasible] - values, 0.0)
    sign = 1.0 if direction is Direction.MINIMIZE else -1.0
    order = np.argsort(values, kind="stable")  # quantiles in minimization form, then signed
    values, gaps = values[order], gaps[order]
    median = sign * float(np.quantile(values, 0.5, method="inverted_cdf"))
    best = history.best()
    assert best is not None and best.values is not None and base.eps is not None
    incumbent = float(best.values[history.spec.objective_names[0]])
    low, high = sign * np.array(
        _value_interval(history, values, sign * incumbent, base.level, rng, options)
    )
    return replace(
        base,
        value_median=median,
        value_interval=(float(min(low, high)), float(max(low, high))),
        params_interval=MappingProxyType(_params_summary(history.spec.space, points, base.level)),
        prob_incumbent_optimal=float(np.mean(gaps <= base.eps)),
        expected_remaining_improvement=float(np.mean(gaps)),
        incumbent_number=best.number,
        incumbent_value=incumbent,
        value_samples=tuple(float(v) for v in sign * values),
        gap_samples=tuple(float(v) for v in gaps),
    )


def _value_interval(
    history: History,
    values: np.ndarray,
    incumbent: float,
    level: float,
    rng: np.random.Generator,
    options: OptimumOptions,
) -> tuple[float, float]:
    """Interval of sorted minimization-form draws of `f*`, widened by the track record."""
    low, high = _interval(values, level)
    if not options.track_record:
        return low, high
    from apogee.optimizers.gp._optimum_backtest import improvement_ratios, rescaled_values

    try:
        ratios = improvement_ratios(
            history, n_samples=options.n_samples, noise_floor=options.noise_floor, rng=rng
        )
    except (np.linalg.LinAlgError, RuntimeError):
        ratios = None  # the check could not be made: the model's interval stands
    if ratios is None:
        return low, high
    scaled = np.sort(rescaled_values(values, incumbent, ratios), kind="stable")
    scaled_low, scaled_high = _interval(scaled, level)
    return min(low, scaled_low), max(high, scaled_high)


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed interval of draws (`inverted_cdf`: no interpolation across infinities)."""
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(low), float(high)


def _params_summary(space: Space, points: np.ndarray, level: float) -> dict[str, ParamSummary]:
    """Per searched parameter: an interval of numeric draws, choice shares of categorical ones."""
    decoded = [space.decode(point) for point in points]
    summary: dict[str, ParamSummary] = {}
    for name in space.names:
        param = space[name]
        drawn = [params[name] for params in decoded if name in params]
        if isinstance(param, Fixed) or not drawn:
            continue
        if isinstance(param, Categorical):
            summary[name] = {c: sum(v == c for v in drawn) / len(drawn) for c in param.choices}
        else:
            low, high = _interval(np.sort(np.asarray(drawn, dtype=float)), level)
            cast = type(drawn[0])
            summary[name] = (cast(low), cast(high))
    return summary

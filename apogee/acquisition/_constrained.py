"""Black-box constraints: the log probability of feasibility, and acquisitions weighted by it.

Each constraint `c_k(x) <= t_k` has its own GP. Under independent posteriors the probability
that `x` is feasible is `prod_k Phi((t_k - mu_k) / sigma_k)` (Schonlau et al. 1998; Gardner et
al. 2014). Multiplying an acquisition by it is adding its logarithm to a log-space acquisition;
`log_ndtr` keeps the sum finite and its gradient informative far inside the infeasible region,
where the probability itself underflows (the same argument as LogEI's, Ament et al. 2023).

A `margin` adds a smooth barrier `-BARRIER_WEIGHT sum_k relu(margin - z_k)^2` on the z-scores
`z_k = (t_k - mu_k) / sigma_k`: zero wherever every constraint's posterior mean lies `margin`
posterior standard deviations on the feasible side, steep past that. Why: `EI x PoF` is the
expected improvement of a feasible point, and where the optimum sits on active constraints it
peaks next to the boundary, often where the constraint model itself thinks a violation more
likely than not (EI grows faster than PoF falls), so those points are evaluated run after run
and come back infeasible. The barrier is a soft chance constraint `P(c_k <= t_k) >= Phi(margin)`
per constraint, in the spirit of Gelbart et al.'s (2014) probabilistic constraints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from apogee._util.validation import check_float
from apogee.acquisition._analytic import Posterior
from apogee.models import ExactGP, StackedGP, shares_data

BARRIER_WEIGHT = 100.0  # stiff enough that a z-score 0.1 short of the margin costs 1 log unit


@dataclass(frozen=True)
class LogProbabilityOfFeasibility:
    """`sum_k log P(c_k(x) <= t_k)` under independent constraint posteriors, `b x d -> b`.

    Alone it is the acquisition of the feasibility search (while no feasible point is known).
    Exact GPs on the same training points (the usual case: every complete trial reports every
    constraint) are queried together as one `StackedGP`. With a `margin` (in posterior
    standard deviations), `BARRIER_WEIGHT * sum_k relu(margin - z_k)^2` is subtracted (the
    module docstring says why).

    Example:
        >>> import torch
        >>> from apogee.models import ExactGP, Hyperparameters, InputSpec
        >>> X = torch.tensor([[0.2], [0.8]], dtype=torch.float64)
        >>> c = ExactGP(InputSpec.continuous(1), X, torch.tensor([-1.0, 1.0], dtype=torch.float64),
        ...             Hyperparameters((0.3,), 1.0, 1e-6, 0.0))
        >>> log_pof = LogProbabilityOfFeasibility((c,), (0.0,))
        >>> bool(log_pof(X[:1]) > -1e-3) and bool(log_pof(X[1:]) < -10)
        True
    """

    models: Sequence[Posterior]
    thresholds: Sequence[float]
    margin: float | None = None
    _stack: StackedGP | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if len(self.models) != len(self.thresholds):
            raise ValueError(
                "`len(models) == len(thresholds)` must hold, but got "
                f"({len(self.models)}, {len(self.thresholds)})."
            )
        if self.margin is not None:
            check_float(self.margin, "margin", type(self).__name__)
        if len(self.models) > 1 and shares_data(self.models):
            gps = [m for m in self.models if isinstance(m, ExactGP)]
            object.__setattr__(self, "_stack", StackedGP(gps))

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        z = self.z_scores(X)
        value: torch.Tensor = torch.special.log_ndtr(z).sum(0)
        if self.margin is not None:
            value = value - BARRIER_WEIGHT * (torch.clamp(self.margin - z, min=0.0) ** 2).sum(0)
        return value

    def z_scores(self, X: torch.Tensor) -> torch.Tensor:
        """`(t_k - mu_k(x)) / sigma_k(x)` per constraint, `b x d -> k x b` (positive: feasible)."""
        if self._stack is not None and X.dim() == 2:
            mean, variance = self._stack.posterior(X)
            thresholds = torch.tensor(self.thresholds, dtype=torch.float64)[:, None]
            return (thresholds - mean) / torch.sqrt(variance)
        rows = [torch.zeros((0, *X.shape[:-1]), dtype=torch.float64)]
        for model, threshold in zip(self.models, self.thresholds, strict=True):
            mean, variance = model.posterior(X)
            rows.append(((threshold - mean) / torch.sqrt(variance))[None])
        return torch.cat(rows)


@dataclass(frozen=True)
class FeasibilityWeighted:
    """`log a(x) + log P(feasible at x)`: a log-space acquisition weighted by feasibility.

    Example:
        >>> import torch
        >>> weighted = FeasibilityWeighted(lambda X: -X.sum(-1), lambda X: -2.0 * X.sum(-1))
        >>> float(weighted(torch.tensor([[1.0]], dtype=torch.float64)))
        -3.0
    """

    log_acquisition: Callable[[torch.Tensor], torch.Tensor]
    log_feasibility: Callable[[torch.Tensor], torch.Tensor]

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        """`b x d -> b`."""
        return self.log_acquisition(X) + self.log_feasibility(X)

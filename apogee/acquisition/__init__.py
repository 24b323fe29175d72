"""Acquisition functions of a model's posterior, and the inner optimizer that maximizes them.

An acquisition is a pure function of points, `b x d -> b` (torch, float64, NaN where a
conditional column is inactive), to be maximized; outcomes are minimized. The inner optimizer
knows only that callable and a `Domain` (which columns are continuous, discrete or conditional).
"""

from apogee.acquisition._analytic import (
    LogExpectedImprovement,
    LogProbabilityOfImprovement,
    Posterior,
    UpperConfidenceBound,
    log_h,
    noisy_incumbent,
)
from apogee.acquisition._constrained import FeasibilityWeighted, LogProbabilityOfFeasibility
from apogee.acquisition._continuous import maximize_continuous
from apogee.acquisition._discrete import best_response, best_response_round
from apogee.acquisition._domain import MAX_ENUMERATED, Domain
from apogee.acquisition._hypervolume import expected_hypervolume_improvement
from apogee.acquisition._log_ehvi import (
    LogExpectedHypervolumeImprovement,
    nondominated_boxes,
)
from apogee.acquisition._optimize import (
    OptimizeOptions,
    contains,
    maximize_acquisition,
    raw_candidates,
    score,
)
from apogee.acquisition._thompson import JointPosterior, joint_draws, thompson_sample

__all__ = [
    "MAX_ENUMERATED",
    "Domain",
    "FeasibilityWeighted",
    "JointPosterior",
    "LogExpectedHypervolumeImprovement",
    "LogExpectedImprovement",
    "LogProbabilityOfFeasibility",
    "LogProbabilityOfImprovement",
    "OptimizeOptions",
    "Posterior",
    "UpperConfidenceBound",
    "best_response",
    "best_response_round",
    "contains",
    "expected_hypervolume_improvement",
    "joint_draws",
    "log_h",
    "maximize_acquisition",
    "maximize_continuous",
    "noisy_incumbent",
    "nondominated_boxes",
    "raw_candidates",
    "score",
    "thompson_sample",
]

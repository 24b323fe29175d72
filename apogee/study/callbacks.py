"""Callbacks of `Study.optimize`: `StopWhenConfident`, the stopping rule of the optimum's posterior."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apogee._util.logging import get_logger
from apogee._util.validation import check_float, check_int
from apogee.history import TrialState
from apogee.optimizers.gp import OptimumOptions

if TYPE_CHECKING:
    from apogee.study.study import Study
    from apogee.study.trial import Trial

_logger = get_logger(__name__)


@dataclass(frozen=True)
class StopWhenConfident:
    """Stop a study once its best trial is within `eps` of the optimum with probability `prob`.

    After each complete trial (every `every`-th one), the posterior of the optimum
    (`Study.optimum`) is computed from the history, and the study stops when
    `prob_incumbent_optimal >= prob`. While the model cannot say anything (too few trials), the
    study goes on. The rule keeps no state: the same history gives the same decision.

    Args:
        eps: tolerance in objective units; None means 1% of the range of observed values at
            each check.
        prob: the confidence needed to stop, in (0, 1).
        min_trials: complete trials before the first check.
        every: check after every `every`-th complete trial.
        options: sample and search sizes of the posterior.

    Example:
        >>> import apogee as ap
        >>> stop = ap.StopWhenConfident(eps=0.02, prob=0.9, min_trials=8)
        >>> result = ap.minimize(lambda x: float((x**2).sum()), bounds=[(-1, 1)], budget=30,
        ...                      optimizer="sobol", seed=0, stop=stop, progress=False)
        >>> len(result.study.trials) < 30
        True
    """

    eps: float | None = None
    prob: float = 0.95
    min_trials: int = 10
    every: int = 1
    options: OptimumOptions | None = None

    def __post_init__(self) -> None:
        owner = "StopWhenConfident"
        if self.eps is not None:
            check_float(self.eps, "eps", owner, low=0.0, low_open=True)
        check_float(self.prob, "prob", owner, low=0.0, high=1.0, low_open=True, high_open=True)
        check_int(self.min_trials, "min_trials", owner, low=1)
        check_int(self.every, "every", owner, low=1)
        if self.options is not None and not isinstance(self.options, OptimumOptions):
            raise TypeError(
                f"The 'options' parameter of {owner} must be an OptimumOptions or None. "
                f"Got {self.options!r} instead."
            )

    def __call__(self, study: Study, trial: Trial) -> None:
        if trial.state is not TrialState.COMPLETE:
            return
        n_complete = len(study.history().complete)
        if n_complete < self.min_trials or (n_complete - self.min_trials) % self.every:
            return
        optimum = study.optimum(eps=self.eps, options=self.options)
        if (
            optimum.prob_incumbent_optimal is not None
            and optimum.prob_incumbent_optimal >= self.prob
        ):
            _logger.info(
                "Stopping after %d complete trials: trial %s is within eps=%.4g of the optimum "
                "with probability %.3f.",
                n_complete,
                optimum.incumbent_number,
                optimum.eps,
                optimum.prob_incumbent_optimal,
            )
            study.stop()

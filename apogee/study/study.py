"""`Study`: where an engine meets the storage. It moves records around and does no numerics."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from apogee._util.errors import InvalidValueError, NoCompleteTrialError, TrialFinishedError
from apogee._util.logging import get_logger
from apogee.history import JSON, History, StudySpec, TrialRecord, TrialState
from apogee.moo import hypervolume, nondominated_mask
from apogee.optimizers import Engine
from apogee.optimizers.gp import OptimumOptions, OptimumPosterior, posterior_of_optimum
from apogee.space import Space
from apogee.storage import Storage, StudyRecord
from apogee.study._optimize import run_optimization
from apogee.study._parallel import run_in_processes
from apogee.study._rows import minimized_reference, trial_rows
from apogee.study._tell import Outcome, describe_exception, outcome_of
from apogee.study.trial import Trial

_logger = get_logger(__name__)
# How often `ask` looks for trials of dead workers; their grace is 4 heartbeat intervals anyway.
STALE_CHECK_PERIOD_S = 0.5


class Study:
    """A named optimization: its space, objectives, engine and trials (kept in a storage).

    Create one with `apogee.create_study` or reopen one with `apogee.load_study`.

    Example:
        >>> import apogee as ap
        >>> study = ap.create_study("quad", space=ap.Space({"x": ap.Float(-2, 2)}), seed=0)
        >>> study.optimize(lambda p: (p["x"] - 1) ** 2, n_trials=20, progress=False)
        >>> round(study.best_params["x"], 1)
        1.0
    """

    def __init__(self, storage: Storage, record: StudyRecord, engine: Engine) -> None:
        self.storage = storage
        self._record = record
        self.engine = engine
        self._records: dict[int, TrialRecord] = {}
        self._last_number = -1
        self._cursor = 0
        self._stop_requested = False
        self._stale_checked = -float("inf")
        # When True, a trial failed for a lost worker is enqueued again with the same params.
        self.requeue_stale_trials = False

    def __repr__(self) -> str:
        return f"Study(name={self.name!r}, engine={self.engine.name!r}, objectives={list(self.spec.objective_names)})"

    # Identity ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._record.name

    @property
    def study_id(self) -> int:
        return self._record.study_id

    @property
    def spec(self) -> StudySpec:
        return self._record.spec

    @property
    def space(self) -> Space:
        return self._record.spec.space

    @property
    def seed(self) -> int:
        """The seed every suggestion derives from (stored, so a reloaded study continues it)."""
        return self._record.seed

    @property
    def attrs(self) -> dict[str, JSON]:
        """Study attributes, including what engines recorded (for example `auto`'s choice)."""
        return self.storage.get_study_attrs(self.study_id)

    # Reading -----------------------------------------------------------------------------
    def history(self, exclude: Sequence[int] = ()) -> History:
        """The current `History`, read incrementally (only trials changed since the last read)."""
        changes = self.storage.read_changes(self.study_id, self._cursor)
        self._cursor = changes.cursor
        for record in changes.trials:
            if (
                record.number not in self._records
                and self._records
                and record.number < self._last_number
            ):
                self._records = dict(sorted({**self._records, record.number: record}.items()))
            self._records[record.number] = record
            self._last_number = max(self._last_number, record.number)
        # New trials arrive in number order (the storage numbers them as it stamps changes),
        # so the dict is already ordered by number; the branch above keeps it so otherwise.
        trials = _without(list(self._records.values()), exclude)
        return History(self.spec, trials, changes.study_attrs)

    @property
    def trials(self) -> list[Trial]:
        """All trials, ordered by number."""
        return [Trial(self, record) for record in self.history().trials]

    def get_trials(self, states: Sequence[TrialState] | None = None) -> list[Trial]:
        """Trials in the given `states` (all when None)."""
        return [
            Trial(self, r) for r in self.history().trials if states is None or r.state in states
        ]

    @property
    def feasible_trials(self) -> list[Trial]:
        """Complete trials that satisfy every constraint (all complete trials without constraints)."""
        return [Trial(self, record) for record in self.history().feasible()]

    @property
    def best_trial(self) -> Trial:
        """The best feasible complete trial of a single-objective study."""
        if self.spec.is_multi_objective:
            raise InvalidValueError(
                f"Study '{self.name}' has several objectives {list(self.spec.objective_names)}, so "
                "there is no single best trial; use study.pareto_front()."
            )
        best = self.history().best()
        if best is None:
            what = "feasible complete" if self.spec.constraints else "complete"
            raise NoCompleteTrialError(f"Study '{self.name}' has no {what} trial yet.")
        return Trial(self, best)

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> Mapping[str, Any]:
        return self.best_trial.params

    def pareto_front(self) -> list[Trial]:
        """Feasible complete trials that no other feasible trial dominates."""
        history = self.history()
        feasible = history.feasible()
        mask = nondominated_mask(history.objective_matrix(feasible))
        return [Trial(self, record) for record, keep in zip(feasible, mask, strict=True) if keep]

    def hypervolume(self, reference: Sequence[float] | Mapping[str, float]) -> float:
        """Hypervolume of the feasible complete trials, bounded by `reference`.

        `reference` is in the user's units and directions (a list in objective order, or a dict by
        objective name): for a maximized objective it is a lower bound, for a minimized one an upper.
        """
        history = self.history()
        minimized = minimized_reference(self.spec, reference)
        return hypervolume(history.objective_matrix(history.feasible()), minimized)

    def optimum(
        self,
        level: float = 0.9,
        eps: float | None = None,
        *,
        seed: int | None = None,
        options: OptimumOptions | None = None,
    ) -> OptimumPosterior:
        """The posterior of the global optimum, from a GP fitted to this study's history.

        Whatever engine ran the study: credible intervals of `f*` and `x*` at `level`, the
        probability that the best trial is within `eps` of `f*` (None: 1% of the range of
        observed values) and the expected remaining improvement. `seed` defaults to the
        study's seed, so the same history gives the same answer (see `OptimumPosterior`).
        """
        return posterior_of_optimum(
            self.history(),
            level=level,
            eps=eps,
            seed=self.seed if seed is None else seed,
            options=options,
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per trial (for `pandas.DataFrame(study.to_records())` or CSV)."""
        return trial_rows(self.spec, self.history().trials)

    # Asking ------------------------------------------------------------------------------
    def ask(self) -> Trial:
        """A new running trial: an enqueued one if any waits, else the engine's suggestion."""
        return self.ask_batch(1)[0]

    def ask_batch(self, n: int) -> list[Trial]:
        """`n` running trials at once; the engine sees the others pending, so they differ."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InvalidValueError(
                f"The 'n' parameter of ask_batch must be an int >= 1. Got {n!r}."
            )
        now = time.time()
        if now - self._stale_checked >= STALE_CHECK_PERIOD_S:
            self._stale_checked = now
            self._fail_stale_trials(now)
        trials: list[Trial] = []
        while len(trials) < n and (claimed := self.storage.claim_waiting_trial(self.study_id, now)):
            trials.append(Trial(self, claimed))
        reserved = [
            self.storage.create_trial(
                self.study_id, TrialRecord(0, TrialState.RUNNING, datetime_start=now)
            )
            for _ in range(n - len(trials))
        ]
        if reserved:
            trials.extend(self._fill(reserved))
        return trials

    def _fail_stale_trials(self, now: float) -> None:
        """Fail (and maybe re-queue) trials whose worker stopped sending heartbeats."""
        for record in self.storage.fail_stale_trials(self.study_id, now):
            _logger.warning("Trial %d failed: %s", record.number, record.fail_reason)
            if self.requeue_stale_trials:
                self.enqueue(record.params, user_attrs={"requeued_from": record.number})

    def _fill(self, reserved: list[TrialRecord]) -> list[Trial]:
        numbers = [record.number for record in reserved]
        try:
            proposal = self.engine.suggest(self.history(exclude=numbers), numbers, self.seed)
            if len(proposal.suggestions) != len(numbers):
                raise RuntimeError(
                    f"Engine '{self.engine.name}' returned {len(proposal.suggestions)} suggestions "
                    f"for {len(numbers)} trials."
                )
            params = [self.space.validate(s.params) for s in proposal.suggestions]
        except BaseException as error:  # never leave reserved trials running forever
            for number in numbers:
                self._finish(
                    number,
                    Outcome(
                        TrialState.FAILED, fail_reason=f"engine failed: {describe_exception(error)}"
                    ),
                )
            raise
        if proposal.study_attrs:
            self.storage.set_study_attrs(self.study_id, proposal.study_attrs)
        return [
            Trial(self, self.storage.set_trial_params(self.study_id, number, p, dict(s.attrs)))
            for number, p, s in zip(numbers, params, proposal.suggestions, strict=True)
        ]

    # Telling -----------------------------------------------------------------------------
    def tell(
        self, trial: Trial | int, outcome: Any = None, *, state: TrialState | None = None
    ) -> Trial:
        """Finish a running trial with a value, a dict of named values, an exception or `Failed`.

        Pass `state=TrialState.PRUNED` (and no outcome) to mark it pruned. A NaN or infinite
        value fails the trial with the reason. Values with the wrong names raise
        `InvalidValueError` and leave the trial running, so the call can be corrected.
        """
        number = trial.number if isinstance(trial, Trial) else trial
        if state is not None and state not in (TrialState.PRUNED, TrialState.FAILED):
            raise InvalidValueError(
                f"The 'state' parameter of tell must be PRUNED or FAILED. Got {state!r}."
            )
        if state is not None:
            result = Outcome(state, fail_reason=None if outcome is None else str(outcome))
        else:
            result = outcome_of(self.spec, outcome)
        try:  # the storage checks atomically that the trial exists and is still running
            finished = self._finish(number, result)
        except TrialFinishedError as error:
            raise TrialFinishedError(
                f"Trial {number} of study '{self.name}' is already finished; a trial is told once ({error})"
            ) from None
        if isinstance(trial, Trial):
            trial._refresh(finished)
        return trial if isinstance(trial, Trial) else Trial(self, finished)

    def _finish(self, number: int, outcome: Outcome) -> TrialRecord:
        record = self.storage.finish_trial(
            self.study_id,
            number,
            outcome.state,
            values=outcome.values,
            fail_reason=outcome.fail_reason,
            now=time.time(),
        )
        _log_finished(self, record)
        return record

    def add_trial(
        self,
        params: Mapping[str, Any],
        values: Any,
        *,
        user_attrs: Mapping[str, JSON] | None = None,
    ) -> Trial:
        """Record an evaluation made elsewhere (validated against the space and objectives)."""
        checked = self.space.validate(params)
        outcome = outcome_of(self.spec, values)
        now = time.time()
        template = TrialRecord(
            0,
            outcome.state,
            checked,
            outcome.values,
            user_attrs=dict(user_attrs or {}),
            fail_reason=outcome.fail_reason,
            datetime_start=now,
            datetime_complete=now,
        )
        return Trial(self, self.storage.create_trial(self.study_id, template))

    def enqueue(
        self, params: Mapping[str, Any], *, user_attrs: Mapping[str, JSON] | None = None
    ) -> Trial:
        """Queue given parameters: the next `ask` returns them before asking the engine."""
        checked = self.space.validate(params)
        template = TrialRecord(0, TrialState.WAITING, checked, user_attrs=dict(user_attrs or {}))
        return Trial(self, self.storage.create_trial(self.study_id, template))

    # Running -----------------------------------------------------------------------------
    def optimize(
        self,
        objective: Callable[..., Any],
        n_trials: int | None = None,
        *,
        timeout: float | None = None,
        callbacks: Sequence[Callable[[Study, Trial], None]] | None = None,
        progress: bool = True,
        heartbeat_interval: float | None = 30.0,
        n_workers: int = 1,
    ) -> None:
        """Ask, evaluate `objective(params)` and tell, until `n_trials`, `timeout` or `stop()`.

        The objective receives the parameter dict; if it takes a second argument it also gets
        the `Trial` (to `report` intermediate values). A crash marks the trial failed and the
        study goes on. The progress bar shows only when `progress` and stderr is a terminal.
        While a trial runs, a heartbeat is stored every `heartbeat_interval` seconds (None: off);
        if this process dies, another worker's next `ask` fails the trial after four intervals.
        With `n_workers > 1`, that many local processes share the trials (the storage must be a
        URL such as `sqlite:///apogee.db`, and the objective picklable).
        """
        if n_workers != 1:
            run_in_processes(
                self,
                objective,
                n_trials=n_trials,
                n_workers=n_workers,
                timeout=timeout,
                heartbeat_interval=heartbeat_interval,
            )
            return
        run_optimization(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            callbacks=callbacks,
            progress=progress,
            heartbeat_interval=heartbeat_interval,
        )

    def stop(self) -> None:
        """Ask a running `optimize` to stop after the current trial (from a callback)."""
        self._stop_requested = True


def _log_finished(study: Study, record: TrialRecord) -> None:
    if not _logger.isEnabledFor(20):  # logging.INFO; skip the best-trial lookup when silent
        return
    if record.state is TrialState.COMPLETE:
        best = None if study.spec.is_multi_objective else study.history().best()
        best_text = (
            ""
            if best is None
            else f" Best is trial {best.number} with values {dict(best.values or {})}."
        )
        _logger.info(
            "Trial %d finished with values %s and params %s.%s",
            record.number,
            dict(record.values or {}),
            dict(record.params),
            best_text,
        )
    else:
        _logger.info(
            "Trial %d %s: %s", record.number, record.state.value.lower(), record.fail_reason
        )


def _without(records: list[TrialRecord], numbers: Sequence[int]) -> tuple[TrialRecord, ...]:
    """`records` (ordered by number) less the trials `numbers`, without a Python-level scan.

    The excluded trials are the ones being suggested, the newest, so deleting them by position
    from the end costs little; a position that does not hold its number falls back to a filter.
    """
    for number in sorted(set(numbers), reverse=True):
        if number < len(records) and records[number].number == number:
            del records[number]
        else:
            excluded = set(numbers)
            return tuple(record for record in records if record.number not in excluded)
    return tuple(records)

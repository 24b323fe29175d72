"""The optimize loop: ask, evaluate, tell, until a budget runs out (pymoo's readable loop).

Termination is progress in `[0, 1]` (`max` over the budgets given), and the same number drives
the progress bar.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from apogee._util.errors import InvalidValueError
from apogee._util.logging import get_logger
from apogee._util.validation import check_float, check_int
from apogee.history import TrialState
from apogee.study._heartbeat import Heartbeat
from apogee.study.trial import Failed, Trial

if TYPE_CHECKING:
    from apogee.study.study import Study

_logger = get_logger(__name__)
Callback = Callable[["Study", Trial], None]


def termination_progress(
    done: int, n_trials: int | None, elapsed: float, timeout: float | None
) -> float:
    """How far the run is, in `[0, 1]`: the furthest of the trial and time budgets (0 if none)."""
    fractions = [0.0]
    if n_trials is not None:
        fractions.append(done / n_trials)
    if timeout is not None:
        fractions.append(elapsed / timeout)
    return min(max(fractions), 1.0)


def accepts_trial(objective: Callable[..., Any]) -> bool:
    """Whether `objective` takes a second positional argument (the `Trial`)."""
    try:
        parameters = list(inspect.signature(objective).parameters.values())
    except (TypeError, ValueError):  # builtins and some C callables have no signature
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


def evaluate(study: Study, objective: Callable[..., Any], trial: Trial, pass_trial: bool) -> None:
    """Run the objective on one trial and tell the outcome; a crash fails only this trial."""
    try:
        params = dict(trial.params)
        returned = objective(params, trial) if pass_trial else objective(params)
    except KeyboardInterrupt:
        study.tell(trial, Failed("interrupted by the user (KeyboardInterrupt)"))
        raise
    except Exception as error:
        study.tell(trial, error)
        _logger.warning("Trial %d failed: %s", trial.number, trial.fail_reason)
        return
    try:
        study.tell(trial, returned)
    except InvalidValueError as error:
        study.tell(trial, Failed(f"invalid return value: {error}"))
        _logger.warning("Trial %d failed: %s", trial.number, trial.fail_reason)
        return
    if trial.state is TrialState.FAILED:
        _logger.warning("Trial %d failed: %s", trial.number, trial.fail_reason)


def run_optimization(
    study: Study,
    objective: Callable[..., Any],
    *,
    n_trials: int | None,
    timeout: float | None,
    callbacks: Sequence[Callback] | None,
    progress: bool,
    heartbeat_interval: float | None = None,
) -> None:
    """The loop behind `Study.optimize`."""
    if not callable(objective):
        raise TypeError(
            f"The 'objective' parameter of optimize must be callable. Got {objective!r}."
        )
    if n_trials is not None:
        check_int(n_trials, "n_trials", "optimize", low=1)
    if timeout is not None:
        check_float(timeout, "timeout", "optimize", low=0.0, low_open=True)
    if heartbeat_interval is not None:
        check_float(heartbeat_interval, "heartbeat_interval", "optimize", low=0.0, low_open=True)
    hooks = list(callbacks or [])
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"Every callback of optimize must be callable. Got {hook!r}.")
    pass_trial = accepts_trial(objective)
    start = time.monotonic()
    done = 0
    study._stop_requested = False
    with (
        progress_display(progress and sys.stderr.isatty(), study) as update,
        Heartbeat(study, heartbeat_interval) as heartbeat,
    ):
        while not study._stop_requested:
            if termination_progress(done, n_trials, time.monotonic() - start, timeout) >= 1.0:
                break
            trial = study.ask()
            heartbeat.start(trial.number)
            try:
                evaluate(study, objective, trial, pass_trial)
            finally:
                heartbeat.finish()
            done += 1
            for hook in hooks:
                hook(study, trial)
            update(termination_progress(done, n_trials, time.monotonic() - start, timeout), trial)


@contextmanager
def progress_display(enabled: bool, study: Study) -> Iterator[Callable[[float, Trial], None]]:
    """A rich progress bar on stderr (or a no-op), updated with the fraction done and the best."""
    if not enabled:
        yield lambda fraction, trial: None
        return
    from rich.console import Console  # deferred: only a terminal run draws a bar
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    best: list[float] = []
    single = not study.spec.is_multi_objective and not study.spec.constraints
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(study.name, total=1.0, status="")

        def update(fraction: float, trial: Trial) -> None:
            if single and trial.value is not None:
                best[:] = [trial.value if not best else _better(study, best[0], trial.value)]
            status = f"trial {trial.number}" + (f"  best {best[0]:.6g}" if best else "")
            bar.update(task, completed=fraction, status=status)

        yield update


def _better(study: Study, current: float, candidate: float) -> float:
    minimize = study.spec.directions[0].value == "minimize"
    return min(current, candidate) if minimize else max(current, candidate)

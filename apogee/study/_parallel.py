"""`optimize(n_workers=K)`: K local worker processes sharing one stored study.

Each worker reopens the study from the storage URL and runs its share of the trials; the
storage numbers trials and hands each enqueued trial to one worker, so nothing is lost or
duplicated, and a worker that dies only fails its own trial (heartbeats). Processes are
spawned (not forked), so the objective must be importable and picklable.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apogee._util.errors import UnsupportedError
from apogee._util.validation import check_int

if TYPE_CHECKING:
    from apogee.study.study import Study


def _worker(
    url: str,
    name: str,
    objective: Callable[..., Any],
    n_trials: int | None,
    options: dict[str, Any],
) -> None:
    from apogee.study._create import load_study  # runs in the child process

    load_study(name, storage=url).optimize(objective, n_trials, progress=False, **options)


def shares(n_trials: int | None, n_workers: int) -> list[int | None]:
    """Split `n_trials` as evenly as possible over `n_workers` (None: each runs until timeout)."""
    if n_trials is None:
        return [None] * n_workers
    return [
        n_trials // n_workers + (1 if i < n_trials % n_workers else 0) for i in range(n_workers)
    ]


def run_in_processes(
    study: Study,
    objective: Callable[..., Any],
    *,
    n_trials: int | None,
    n_workers: int,
    timeout: float | None,
    heartbeat_interval: float | None,
) -> None:
    """Run the optimize loop in `n_workers` spawned processes and wait for all of them."""
    check_int(n_workers, "n_workers", "optimize", low=1)
    url = getattr(study.storage, "url", None)
    if not isinstance(url, str):
        raise UnsupportedError(
            "optimize(n_workers > 1) needs a storage that other processes can open, such as "
            "storage='sqlite:///apogee.db'; this study lives in one process's memory."
        )
    try:
        pickle.dumps(objective)
    except Exception as error:
        raise UnsupportedError(
            f"optimize(n_workers > 1) sends the objective to worker processes, so it must be picklable "
            f"(a function defined at module level, not a lambda or a closure). Pickling failed: {error}"
        ) from None
    options = {"timeout": timeout, "heartbeat_interval": heartbeat_interval}
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_worker,
            args=(url, study.name, objective, share, options),
            name=f"apogee-worker-{i}",
        )
        for i, share in enumerate(shares(n_trials, n_workers))
        if share != 0
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    failed = [f"{w.name} (exit code {w.exitcode})" for w in workers if w.exitcode != 0]
    if failed:
        raise RuntimeError(
            f"Worker processes failed: {', '.join(failed)}; their finished trials are stored."
        )

"""Heartbeats: a worker's sign of life for the trial it evaluates.

One daemon thread per `optimize` call records a heartbeat for the current trial every
`interval` seconds. If the process dies, the beats stop, and after `GRACE_FACTOR * interval`
seconds the next `ask` of any worker fails the trial, so no engine waits on it forever.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

from apogee._util.logging import get_logger

if TYPE_CHECKING:
    from apogee.study.study import Study

GRACE_FACTOR = 4.0
_logger = get_logger(__name__)


class Heartbeat:
    """Context manager that beats for `current` trial number while it is set."""

    def __init__(self, study: Study, interval: float | None) -> None:
        self._study = study
        self._interval = interval
        self._current: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self._interval is not None:
            self._thread = threading.Thread(target=self._run, name="apogee-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def start(self, number: int) -> None:
        """Beat for trial `number` from now on (the first beat is immediate)."""
        self._current = number
        self._beat()

    def finish(self) -> None:
        self._current = None

    def _beat(self) -> None:
        number = self._current
        if number is None or self._interval is None:
            return
        try:
            self._study.storage.record_heartbeat(
                self._study.study_id, number, time.time(), GRACE_FACTOR * self._interval
            )
        except Exception as error:  # a missed beat must never crash the evaluation
            _logger.warning("Could not record a heartbeat for trial %d: %s", number, error)

    def _run(self) -> None:
        assert self._interval is not None
        while not self._stop.wait(self._interval):
            self._beat()

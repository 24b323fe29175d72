"""apogee's one library logger and its verbosity switch.

Importing apogee adds no handler and changes no global logging state; the first call to
`get_logger` attaches one stderr handler to the `apogee` logger only.
"""

from __future__ import annotations

import logging
import threading

_LOCK = threading.Lock()
_ROOT_NAME = "apogee"
_configured = False


def _configure_once() -> None:
    global _configured
    with _LOCK:
        if _configured:
            return
        root = logging.getLogger(_ROOT_NAME)
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[apogee %(levelname)s] %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        root.propagate = False
        _configured = True


def get_logger(name: str) -> logging.Logger:
    """The logger for an apogee module (a child of the `apogee` logger)."""
    _configure_once()
    return logging.getLogger(name if name.startswith(_ROOT_NAME) else f"{_ROOT_NAME}.{name}")


def set_verbosity(level: int | str) -> None:
    """Set how much apogee logs: `logging.INFO` prints one line per finished trial.

    Example:
        >>> import logging, apogee as ap
        >>> ap.set_verbosity(logging.INFO)
        >>> ap.set_verbosity("WARNING")
    """
    _configure_once()
    logging.getLogger(_ROOT_NAME).setLevel(level)


def get_verbosity() -> int:
    """The current level of the `apogee` logger."""
    _configure_once()
    return logging.getLogger(_ROOT_NAME).getEffectiveLevel()

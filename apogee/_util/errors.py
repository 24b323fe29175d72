"""The apogee exception hierarchy.

Every error apogee raises on purpose is an `ApogeeError`; errors about bad user input are also
`ValueError` or `TypeError`, so `except ValueError` keeps working for callers that expect it.
"""

from __future__ import annotations


class ApogeeError(Exception):
    """Base class of all errors raised by apogee on purpose."""


class InvalidSpaceError(ApogeeError, ValueError):
    """A search space or a parameter definition is invalid."""


class InvalidParamsError(ApogeeError, ValueError):
    """Parameter values do not fit the study's search space."""


class InvalidValueError(ApogeeError, ValueError):
    """An objective or constraint value is malformed (wrong names, wrong type)."""


class UnsupportedError(ApogeeError, ValueError):
    """An engine or component was asked to do something it cannot do (yet)."""


class DuplicatedStudyError(ApogeeError, ValueError):
    """A study with this name already exists in the storage."""


class StudyNotFoundError(ApogeeError, KeyError):
    """No study with this name exists in the storage."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable.
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(ApogeeError, KeyError):
    """No trial with this number exists in the study."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TrialFinishedError(ApogeeError, RuntimeError):
    """The trial is already finished and cannot be told or changed again."""


class NoCompleteTrialError(ApogeeError, RuntimeError):
    """A result was asked for before any trial completed (feasibly)."""


class StorageError(ApogeeError, RuntimeError):
    """The storage backend failed or holds data this version cannot read."""

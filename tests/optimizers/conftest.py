"""One torch thread per test, restored afterwards (the fixture and why: tests/models/conftest.py)."""

from tests.models.conftest import _one_torch_thread

__all__ = ["_one_torch_thread"]

"""Fixtures for `apogee.nn`: every torch test runs on the CPU, and also on CUDA when present."""

import pytest
import torch

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """A device to run on: `cpu`, then `cuda` when `torch.cuda.is_available()`."""
    return torch.device(request.param)

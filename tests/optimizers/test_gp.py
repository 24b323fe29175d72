"""The GP engine: the contract, pending and failed trials, integers, reproducibility, options."""

from __future__ import annotations

from apogee.optimizers import GP, Engine
from apogee.testing import OptimizerContract


class TestGPContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return GP(n_startup=5)

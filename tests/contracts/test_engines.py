"""Every engine in the registry passes `OptimizerContract`."""

from apogee.optimizers import Auto, Engine, Random, Sobol
from apogee.testing import OptimizerContract


class TestRandomContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Random()


class TestSobolContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Sobol()


class TestAutoContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Auto()

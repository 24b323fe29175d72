"""Contract suites shipped with apogee: every engine and every storage backend runs them.

Example (in a test module)::

    from apogee.testing import OptimizerContract

    class TestMyEngine(OptimizerContract):
        def make_engine(self):
            return MyEngine()
"""

from apogee.testing._optimizer_contract import OptimizerContract, contract_objective, contract_space
from apogee.testing._storage_contract import StorageContract

__all__ = ["OptimizerContract", "StorageContract", "contract_objective", "contract_space"]

"""One torch thread per test, restored afterwards.

The GP problems here are small: intra-op threads only add synchronization, and on a shared
2-core machine a spinning second thread makes them ~10x slower. The library itself never
changes torch's thread count; these tests do, and put it back.
"""

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

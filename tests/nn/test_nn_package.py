"""`apogee.nn` as a package: lazy torch import, the fixed public names, runnable examples."""

import doctest
import importlib
import subprocess
import sys

import pytest
import torch

import apogee.nn

MODULES = [
    "apogee.nn",
    "apogee.nn._estimators",
    "apogee.nn._zosgd",
    "apogee.nn._zoadam",
    "apogee.nn._forward",
    "apogee.nn._coordinate",
    "apogee.nn._lion",
    "apogee.nn._adamp",
]


def test_public_names_are_torch_optimizers() -> None:
    assert sorted(apogee.nn.__all__) == [
        "AdamP",
        "CoordinateZO",
        "ForwardGradient",
        "Lion",
        "ZOAdam",
        "ZOSGD",
    ]
    for name in apogee.nn.__all__:
        assert issubclass(getattr(apogee.nn, name), torch.optim.Optimizer)
        assert name in dir(apogee.nn)
    with pytest.raises(AttributeError):
        apogee.nn.SGD  # noqa: B018


def test_importing_has_no_side_effects() -> None:
    # Importing the optimizers changes no torch global (threads, default dtype, RNG) and prints nothing.
    script = (
        "import torch\n"
        "before = (torch.get_num_threads(), torch.get_default_dtype(), torch.random.get_rng_state().sum().item())\n"
        "from apogee.nn import ZOSGD, ZOAdam, ForwardGradient, CoordinateZO, Lion, AdamP\n"
        "after = (torch.get_num_threads(), torch.get_default_dtype(), torch.random.get_rng_state().sum().item())\n"
        "assert before == after, (before, after)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    state = torch.random.get_rng_state()
    try:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    finally:
        torch.random.set_rng_state(state)
    assert result.attempted > 0 and result.failed == 0

"""Package promises: the public names, a cheap import, no global side effects, the layers."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import apogee as ap

ROOT = Path(__file__).resolve().parents[1]

FIXED_NAMES = [
    "Space",
    "Float",
    "Int",
    "Categorical",
    "create_study",
    "load_study",
    "minimize",
    "Failed",
    "TrialState",
]


def test_fixed_public_names() -> None:
    for name in FIXED_NAMES:
        assert name in ap.__all__ and hasattr(ap, name)
    assert {state.name for state in ap.TrialState} >= {"RUNNING", "COMPLETE", "FAILED", "PRUNED"}
    for method in ("ask", "tell", "optimize", "add_trial"):
        assert callable(getattr(ap.Study, method))
    for attribute in ("trials", "best_trial"):
        assert isinstance(getattr(ap.Study, attribute), property)
    for attribute in ("number", "params", "state", "values", "user_attrs"):
        assert isinstance(getattr(ap.Trial, attribute), property)


def test_import_is_cheap_and_has_no_side_effects() -> None:
    script = (
        "import logging, sys, json\n"
        "root_handlers = list(logging.getLogger().handlers)\n"
        "import apogee\n"
        "heavy_modules = ('torch', 'scipy.stats', 'sklearn', 'matplotlib', 'sqlalchemy', 'rich')\n"
        "heavy = [m for m in heavy_modules if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'root_same': logging.getLogger().handlers == root_handlers}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert output.stderr == ""
    assert json.loads(output.stdout) == {"heavy": [], "root_same": True}


def test_version_and_typed_marker() -> None:
    assert ap.__version__.count(".") == 2
    assert (ROOT / "apogee" / "py.typed").exists()


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter is not installed")
def test_layer_contract_holds() -> None:
    result = subprocess.run(["lint-imports"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

"""`apogee.plot`: every figure renders to a non-empty PNG; bad input is a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import apogee as ap
from apogee.plot import best_value_history, hypervolume_history, pareto_front

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def three_objective_study() -> ap.Study:
    space = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})
    objectives = {"f1": "minimize", "f2": "maximize", "f3": "minimize"}
    study = ap.create_study("three", space=space, objectives=objectives, constraints=["c"], seed=0)

    def evaluate(p: dict[str, Any]) -> dict[str, float]:
        x, y = p["x"], p["y"]
        return {"f1": x, "f2": -(1 - x) * y, "f3": 1 - y, "c": x + y - 1.8}

    study.optimize(evaluate, n_trials=30, progress=False)
    return study


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000


@pytest.mark.parametrize("objectives", [None, ["f1", "f2"]])
def test_pareto_front_in_two_and_three_dimensions(tmp_path: Path, objectives: Any) -> None:
    path = tmp_path / "front.png"
    figure = pareto_front(three_objective_study(), objectives=objectives, path=path)
    assert_png(path)
    name = type(figure.axes[0]).__name__
    assert ("3D" in name) == (objectives is None)


def test_hypervolume_and_best_value_over_trials(tmp_path: Path) -> None:
    study = three_objective_study()
    figure = hypervolume_history(study, {"f1": 1.1, "f2": 0.1, "f3": 1.1}, path=tmp_path / "hv.png")
    assert_png(tmp_path / "hv.png")
    heights = figure.axes[0].lines[0].get_ydata()
    assert list(heights) == sorted(heights) and heights[-1] == pytest.approx(
        study.hypervolume([1.1, 0.1, 1.1])
    )
    single = ap.create_study("one", space=ap.Space({"x": ap.Float(-1, 1)}), seed=0)
    single.optimize(lambda p: p["x"] ** 2, n_trials=12, progress=False)
    best_value_history(single, path=tmp_path / "best.png")
    assert_png(tmp_path / "best.png")


def test_bad_input_is_a_clear_error() -> None:
    study = three_objective_study()
    with pytest.raises(ap.InvalidValueError, match="must name 2 or 3 of the study's objectives"):
        pareto_front(study, objectives=["f1", "nope"])
    with pytest.raises(ap.InvalidValueError, match="one value per objective"):
        hypervolume_history(study, [1.0, 1.0])
    with pytest.raises(ap.InvalidValueError, match="several objectives"):
        best_value_history(study)


def test_importing_apogee_does_not_import_matplotlib() -> None:
    code = (
        "import sys, apogee, apogee.plot; assert 'matplotlib' not in sys.modules; "
        "apogee.plot.pareto_front"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

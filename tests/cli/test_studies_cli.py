"""The `apogee` command on a SQLite file: run, studies, show, export, delete, and user errors."""

import csv
import io
import json
from pathlib import Path

import pytest

import apogee as ap
from apogee.cli import main

OBJECTIVE = """
def sphere(params):
    return (params["x"] - 0.5) ** 2 + (params["k"] == "b")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_objective.py").write_text(OBJECTIVE)
    space = ap.Space({"x": ap.Float(-1, 1), "k": ap.Categorical(["a", "b"])})
    (tmp_path / "space.json").write_text(json.dumps(space.to_json()))
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_run_show_export_delete(project: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--space",
        "space.json",
        "--trials",
        "12",
        "--study",
        "demo",
        "--storage",
        project,
        "--seed",
        "0",
    ]
    assert main(["run", "my_objective:sphere", *args]) == 0
    assert (
        main(["run", "my_objective:sphere", *args[:2], "--trials", "3", *args[4:]]) == 0
    )  # continues
    assert len(ap.load_study("demo", storage=project).trials) == 15
    output = capsys.readouterr().out
    assert "best value" in output and "best value over" in output
    assert main(["studies", "--storage", project]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["export", "demo", "--format", "csv", "--storage", project]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 15 and {"number", "state", "value", "params_x", "params_k"} <= set(rows[0])
    assert main(["export", "demo", "--format", "json", "--storage", project]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 15
    assert main(["delete", "demo", "--storage", project]) == 0
    assert ap.list_studies(storage=project) == []


def test_user_errors_exit_2_without_a_traceback(
    project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "nope", "--storage", project]) == 2
    assert "No study named 'nope'" in capsys.readouterr().err
    assert main(["studies", "--storage", "mysql://host/db"]) == 2
    assert "known scheme" in capsys.readouterr().err
    assert (
        main(
            [
                "run",
                "my_objective",
                "--space",
                "space.json",
                "--trials",
                "2",
                "--study",
                "s",
                "--storage",
                project,
            ]
        )
        == 2
    )
    assert "module:function" in capsys.readouterr().err
    assert (
        main(
            [
                "run",
                "my_objective:sphere",
                "--space",
                "missing.json",
                "--trials",
                "2",
                "--study",
                "s",
            ]
        )
        == 2
    )
    assert "missing.json" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "studies" in capsys.readouterr().out

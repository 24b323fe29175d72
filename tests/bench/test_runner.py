"""End to end: runs in their own processes, JSON lines, resume, crashes, timeouts, the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from apogee import bench
from apogee.cli import main

CHEAP = ["branin", "hartmann3"]
FAST_SOLVERS = ["apogee-random", "apogee-sobol"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "runs.jsonl"
    plan = bench.make_plan(problem_names=CHEAP, solvers=FAST_SOLVERS, seeds=[0], budget=6)
    summary = bench.run_bench(plan.jobs, bench.RunOptions(out, jobs=2, progress=False))
    assert summary.statuses == {"ok": 4} and summary.skipped == 0
    return out


def test_each_run_is_one_record_with_every_evaluation(finished_run: Path) -> None:
    records = bench.read_records(finished_run)
    assert sorted((r["problem"], r["solver"]) for r in records) == sorted(
        (p, s) for p in CHEAP for s in FAST_SOLVERS
    )
    for record in records:
        assert record["status"] == "ok" and record["error"] is None
        assert len(record["evaluations"]) == 6
        assert record["versions"]["apogee"]
        assert record["problem_facts"]["optimal_value"] is not None
        for evaluation in record["evaluations"]:
            assert set(evaluation["values"]) == {"value"}
            assert evaluation["solver_s"] >= 0 and evaluation["eval_s"] >= 0


def test_resume_skips_runs_already_in_the_file(finished_run: Path) -> None:
    plan = bench.make_plan(problem_names=CHEAP, solvers=FAST_SOLVERS, seeds=[0, 1], budget=6)
    before = finished_run.read_text()
    summary = bench.run_bench(
        [job for job in plan.jobs if job.seed == 0], bench.RunOptions(finished_run, progress=False)
    )
    assert summary.skipped == 4 and summary.statuses == {}
    assert finished_run.read_text() == before


def test_report_has_tables_and_plots(finished_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    bench.write_report(finished_run, out)
    text = out.read_text()
    assert "| problem | budget | apogee-random | apogee-sobol |" in text
    assert "| solver | mean rank | wins |" in text
    assert '"engine": "sobol"' in text
    images = sorted((tmp_path / "report").glob("*.png"))
    assert [image.name for image in images] == ["custom-branin-6.png", "custom-hartmann3-6.png"]
    assert all(image.read_bytes()[:4] == b"\x89PNG" for image in images)


def test_crash_and_timeout_are_recorded_and_the_bench_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "runs.jsonl"
    jobs = [
        bench.Job("t", "branin", "tests.bench._solvers:CrashingSolver", 0, 10),
        bench.Job("t", "branin", "tests.bench._solvers:HangingSolver", 0, 10),
        bench.Job("t", "branin", "apogee-random", 0, 3),
    ]
    summary = bench.run_bench(jobs, bench.RunOptions(out, jobs=2, timeout_s=8.0, progress=False))
    assert summary.statuses == {"crashed": 1, "timeout": 1, "ok": 1}
    by_solver = {r["solver"].rsplit(":", 1)[-1]: r for r in bench.read_records(out)}
    crashed, hung = by_solver["CrashingSolver"], by_solver["HangingSolver"]
    assert crashed["status"] == "crashed" and "broke on purpose" in crashed["error"]
    assert hung["status"] == "timeout" and "time limit" in hung["error"]
    assert len(crashed["evaluations"]) == 2 and len(hung["evaluations"]) == 2  # partial runs kept
    assert by_solver["apogee-random"]["status"] == "ok"
    report = bench.write_report(out, tmp_path / "r.md", plots=False).read_text()
    assert "| 1 / 0 / 0 |" in report and "| 0 / 1 / 0 |" in report and "| 0 / 0 / 1 |" in report


def test_cli_runs_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.jsonl"
    common = ["bench", "run", "--problems", "branin", "--solvers", "apogee-random"]
    args = [*common, "--seeds", "0-1", "--budget", "3", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    assert "2 ok" in capsys.readouterr().out
    assert main(["bench", "report", str(out), "--out", str(tmp_path / "r.md"), "--no-plots"]) == 0
    assert (tmp_path / "r.md").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--problems", "branin", "--solvers", "nope", "--budget", "3"],
            "Valid solvers are: apogee-",
        ),
        (
            ["--problems", "no-such-problem", "--solvers", "apogee-random", "--budget", "3"],
            "no-such-problem",
        ),
        (["--suite", "nope"], "Valid suites are: quick"),
        (["--problems", "branin"], "give --problems, --solvers and --budget"),
    ],
)
def test_bad_names_are_one_line_errors(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "run", *args, "--out", str(tmp_path / "x.jsonl")]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error

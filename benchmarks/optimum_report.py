"""Tables and plots from the JSON lines of `optimum_calibration.py run` (see its docstring)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

STOP_PROB = 0.95
DEFAULT_EPS = "0.01"
EPS_KEYS = ("0.001", "0.01", "0.1")
NEAR = 0.001  # the secondary coverage: the interval widened by 0.1% of the observed range


def load_runs(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every run once (the first line seen for a problem and seed)."""
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            runs.setdefault((row["problem"], row["seed"]), row)
    return [runs[key] for key in sorted(runs)]


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None with one class only."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    positive, negative = s[y], s[~y]
    if len(positive) == 0 or len(negative) == 0:
        return None
    greater = (positive[:, None] > negative[None, :]).sum()
    ties = (positive[:, None] == negative[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(positive) * len(negative)))


def _checkpoints(run: dict[str, Any]) -> list[dict[str, Any]]:
    d = run["dim"]
    return [c for c in run["checks"] if c["n"] in (10 * d, 20 * d, 30 * d)]


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    covered, near, x_covered, widths, known, total = [], [], [], [], 0, 0
    scores: dict[str, list[float]] = defaultdict(list)
    labels: dict[str, list[bool]] = defaultdict(list)
    for run in runs:
        for check in _checkpoints(run):
            total += 1
            if not check["known"]:
                continue
            known += 1
            covered.append(check["low"] <= run["f_opt"] <= check["high"])
            slack = NEAR * check["range"]
            near.append(check["low"] - slack <= run["f_opt"] <= check["high"] + slack)
            widths.append((check["high"] - check["low"]) / check["range"])
            x_covered += [c for c in check.get("x_covered", []) if c is not None]
            for key in EPS_KEYS:
                scores[key].append(check["prob"][key])
                labels[key].append(check["gap_true"] <= float(key) * check["range"])
    every: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for run in runs:
        for check in run["checks"]:
            for key in EPS_KEYS if check["known"] else ():
                ok = check["gap_true"] <= float(key) * check["range"]
                every[key].append((check["prob"][key], ok))
    stops = [_stop(run) for run in runs]
    stopped = [s for s in stops if s is not None]
    return {
        "runs": len(runs), "checks": total, "known": known,
        "coverage": np.mean(covered) if covered else None,
        "near": np.mean(near) if near else None,
        "x_coverage": np.mean(x_covered) if x_covered else None, "n_x": len(x_covered),
        "width": float(np.median(widths)) if widths else None,
        "auroc": {key: auroc(scores[key], labels[key]) for key in EPS_KEYS},
        "positives": {key: int(np.sum(labels[key])) for key in EPS_KEYS},
        "auroc_all": {k: auroc([p for p, _ in v], [t for _, t in v]) for k, v in every.items()},
        "negatives_all": {k: sum(not t for _, t in v) for k, v in every.items()},
        "n_all": {k: len(v) for k, v in every.items()},
        "stopped": len(stopped),
        "false_stops": sum(not ok for _, ok in stopped),
        "savings": float(np.mean([0.0 if s is None else s[0] for s in stops])) if runs else None,
    }  # fmt: skip


def _stop(run: dict[str, Any]) -> tuple[float, bool] | None:
    """Where `StopWhenConfident(prob=0.95)` stops: (fraction of budget saved, truly eps-optimal).

    The rule looks at every check of the run, or only at the prefixes `stop_at` (multiples of
    `d`) where the run says so (the offline checks: `min_trials=10 d, every=10 d`).
    """
    budget, d = 30 * run["dim"], run["dim"]
    schedule = {m * d for m in run.get("stop_at", [])}
    for check in run["checks"]:
        if schedule and check["n"] not in schedule:
            continue
        if check["known"] and check["prob"][DEFAULT_EPS] >= STOP_PROB:
            ok = check["gap_true"] <= float(DEFAULT_EPS) * check["range"]
            return 1.0 - check["n"] / budget, bool(ok)
    return None


def _fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def auroc_table(runs: list[dict[str, Any]]) -> list[str]:
    """AUROC over every prefix checked (4 d, 6 d, ..., 30 d), where both classes occur."""
    s = _summary(runs)
    lines = ["| eps (of range) | checks | not eps-optimal | AUROC |", "|---|---|---|---|"]
    for key in EPS_KEYS:
        lines.append(
            f"| {float(key):.1%} | {s['n_all'].get(key, 0)} | {s['negatives_all'].get(key, 0)} "
            f"| {_fmt(s['auroc_all'].get(key))} |"
        )
    return lines


def table(runs: list[dict[str, Any]]) -> list[str]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["problem"]].append(run)
    for d in sorted({run["dim"] for run in runs}):
        groups[f"all d={d}"] = [run for run in runs if run["dim"] == d]
    groups["all"] = runs
    lines = [
        "| problem | runs | checks (known) | f* coverage | ±0.1% | x* coverage (n) | median width / range "
        "| AUROC 0.1% | AUROC 1% (pos) | AUROC 10% | stopped | false stops | savings |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, group in groups.items():
        s = _summary(group)
        lines.append(
            f"| {name} | {s['runs']} | {s['checks']} ({s['known']}) | {_fmt(s['coverage'])} "
            f"| {_fmt(s['near'])} "
            f"| {_fmt(s['x_coverage'])} ({s['n_x']}) | {_fmt(s['width'], '{:.3f}')} "
            f"| {_fmt(s['auroc']['0.001'])} | {_fmt(s['auroc']['0.01'])} ({s['positives']['0.01']}) "
            f"| {_fmt(s['auroc']['0.1'])} | {s['stopped']}/{s['runs']} | {s['false_stops']} "
            f"| {_fmt(s['savings'], '{:.0%}')} |"
        )
    return lines


def reliability_plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.linspace(0.0, 1.0, 11)
    figure, axis = plt.subplots(figsize=(5, 4.5))
    axis.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for key, color in zip(EPS_KEYS, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        probs, truth = [], []
        for run in runs:
            for check in run["checks"]:
                if check["known"]:
                    probs.append(check["prob"][key])
                    truth.append(check["gap_true"] <= float(key) * check["range"])
        p, t = np.asarray(probs), np.asarray(truth, dtype=float)
        bins = np.clip(np.digitize(p, edges) - 1, 0, len(edges) - 2)
        xs = [p[bins == b].mean() for b in range(len(edges) - 1) if (bins == b).sum() >= 5]
        ys = [t[bins == b].mean() for b in range(len(edges) - 1) if (bins == b).sum() >= 5]
        axis.plot(xs, ys, marker="o", color=color, label=f"eps = {float(key):.1%} of range")
    axis.set_xlabel("predicted P(incumbent within eps of f*)")
    axis.set_ylabel("observed frequency (truly eps-optimal)")
    axis.set_title("Reliability of prob_incumbent_optimal (all checks)")
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def trajectory_plot(run: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    checks = [c for c in run["checks"] if c["known"]]
    n = [c["n"] for c in checks]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.fill_between(n, [c["low"] for c in checks], [c["high"] for c in checks], alpha=0.3,
                      label="90% interval of f*")  # fmt: skip
    axis.plot(n, [c["median"] for c in checks], marker=".", label="median of f*")
    axis.plot(n, [run["f_opt"] + c["gap_true"] for c in checks], drawstyle="steps-post",
              color="black", label="best observed")  # fmt: skip
    axis.axhline(run["f_opt"], color="red", linestyle="--", label="true f*")
    axis.set_xlabel("trials")
    axis.set_ylabel("objective")
    axis.set_title(f"posterior of f* against trials: {run['problem']}, seed {run['seed']}")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(paths: list[Path], markdown: Path, figures: Path) -> None:
    runs = load_runs(paths)
    figures.mkdir(parents=True, exist_ok=True)
    reliability_plot(runs, figures / "optimum_reliability.png")
    example = next((r for r in runs if r["problem"] == "bbob-f8-d2"), runs[0])
    trajectory_plot(example, figures / "optimum_trajectory.png")
    seeds = sorted({run["seed"] for run in runs})
    lines = [
        f"runs: {len(runs)} (seeds {seeds[0]}..{seeds[-1]}, not all problems have all seeds)",
        "",
        *table(runs),
        "",
        "AUROC of prob_incumbent_optimal over every prefix checked (all runs pooled):",
        "",
        *auroc_table(runs),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    markdown.with_suffix(".table.md").write_text(text)

"""Consensus-based optimization: apogee's `cbo` engine against CBXpy (`cbx`), same settings.

Success (CBXpy's `dist_to_min`): the final consensus point is within 0.25 of the global
minimizer `x* = 0` in the sup-norm. Both libraries start from `N` particles uniform in
`[-3, 3]^d`, run `T` steps of the same dynamics (`dt`, `lambda`, `sigma`, `alpha`, noise, and
CBXpy's default scheduler `alpha <- min(1.05 alpha, 1e5)`), so both use `N * T` evaluations
per run (cbx evaluates its `N` particles once per step as well). Objectives are the formulas of
CBXpy's code (`cbx.objectives.Rastrigin`, `Ackley`; reference doc 2.9), written out here for
apogee and taken from cbx for cbx. The best particle's success rate is reported as well.

apogee's engine is driven through its ask/tell protocol (`CBO.suggest` on a `History`, one
generation of `N` trial numbers per call). CBO's next step depends only on the newest closed
iteration, so the driver passes the last two iterations as the history, which keeps a run
linear in `T`; `--check-full-history` replays a few runs with the whole history and asserts
the same trajectory.

Usage: OMP_NUM_THREADS=1 nice -n 10 python benchmarks/cbo_vs_cbx.py --runs 100 --particles 100 \
           --steps 300 --dt 0.05 --sigma 1.0 --noise anisotropic --out benchmarks/results/cbo_vs_cbx.md
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from apogee.history import History, StudySpec, TrialRecord, TrialState
from apogee.optimizers import CBO
from apogee.space import Float, Space

TOLERANCE = 0.25
LOW, HIGH = -3.0, 3.0


def rastrigin(x: np.ndarray) -> np.ndarray:
    """CBXpy's code: `10 d + Σ (x_i² − 10 cos(2π x_i))`, rows of `(n, d)`."""
    return 10.0 * x.shape[-1] + np.sum(x**2 - 10.0 * np.cos(2 * np.pi * x), axis=-1)


def ackley(x: np.ndarray) -> np.ndarray:
    """CBXpy's code: `−20 exp(−0.2 √(1/d) ‖x‖) − exp(mean cos(2π x)) + 20 + e`."""
    d = x.shape[-1]
    norm = np.linalg.norm(x, axis=-1)
    return (
        -20.0 * np.exp(-0.2 * math.sqrt(1.0 / d) * norm)
        - np.exp(np.mean(np.cos(2 * np.pi * x), axis=-1))
        + 20.0
        + math.e
    )


OBJECTIVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rastrigin": rastrigin,
    "ackley": ackley,
}


def run_apogee(
    engine: CBO,
    objective: Callable[[np.ndarray], np.ndarray],
    dim: int,
    steps: int,
    seed: int,
    *,
    full_history: bool = False,
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """One run: the consensus point, the best particle, and the trajectory of suggestions."""
    space = Space({f"x{i}": Float(LOW, HIGH) for i in range(dim)})
    names = list(space.names)
    spec = StudySpec.build(space)
    window: list[list[TrialRecord]] = []
    every: list[TrialRecord] = []
    best_value, best_x = math.inf, np.zeros(dim)
    trajectory: list[Any] = []
    number = 0
    for _ in range(steps):
        records = every if full_history else [t for generation in window for t in generation]
        numbers = list(range(number, number + engine.particles))
        proposal = engine.suggest(History(spec, tuple(records)), numbers, seed)
        x = np.array([[s.params[name] for name in names] for s in proposal.suggestions])
        values = objective(x)
        generation = [
            TrialRecord(
                n, TrialState.COMPLETE, s.params, {"value": float(v)}, system_attrs=dict(s.attrs)
            )
            for n, s, v in zip(numbers, proposal.suggestions, values, strict=True)
        ]
        every.extend(generation)
        window = [*window[-1:], generation]
        number += engine.particles
        if values.min() < best_value:
            best_value, best_x = float(values.min()), x[int(np.argmin(values))]
        trajectory.append(x[0].tolist())
    last = History(spec, tuple(t for generation in window for t in generation))
    point = engine.consensus_point(last)
    assert point is not None
    return np.array([point[name] for name in names]), best_x, trajectory


def run_cbx(
    name: str, dim: int, runs: int, args: argparse.Namespace, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`runs` independent cbx runs at once (its `M` axis): consensus and best particle."""
    from cbx.dynamics import CBO as CBX_CBO
    from cbx.objectives import Ackley, Rastrigin
    from cbx.scheduler import multiply

    objective = {"rastrigin": Rastrigin(), "ackley": Ackley()}[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(LOW, HIGH, (runs, args.particles, dim))
    np.random.seed(seed)  # cbx draws its noise from numpy's global generator
    dynamics = CBX_CBO(
        objective,
        x=x,
        max_it=args.steps,
        sigma=args.sigma,
        dt=args.dt,
        alpha=args.alpha,
        lamda=args.drift,
        noise=args.noise,
        verbosity=0,
    )
    dynamics.optimize(sched=multiply(factor=1.05, maximum=1e5))
    return dynamics.consensus.reshape(runs, dim), dynamics.best_particle.reshape(runs, dim)


def distance(points: np.ndarray) -> float:
    """The mean sup-norm distance of the final consensus points to `x* = 0`."""
    return float(np.mean(np.abs(points).max(axis=1)))


def success(points: np.ndarray) -> float:
    return float(np.mean(np.abs(points).max(axis=1) < TOLERANCE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--dim", type=int, default=20)
    parser.add_argument("--particles", type=int, default=100)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--dt", type=float, default=0.05)
    parser.add_argument("--sigma", type=float, default=1.0)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--drift", type=float, default=1.0)
    parser.add_argument("--noise", default="anisotropic")
    parser.add_argument("--functions", nargs="+", default=["rastrigin", "ackley"])
    parser.add_argument("--check-full-history", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    engine = CBO(
        particles=args.particles,
        dt=args.dt,
        drift=args.drift,
        sigma=args.sigma,
        alpha=args.alpha,
        noise=args.noise,
    )
    rows = []
    for name in args.functions:
        objective = OBJECTIVES[name]
        for seed in range(args.check_full_history):
            short = run_apogee(engine, objective, args.dim, 5, seed)
            full = run_apogee(engine, objective, args.dim, 5, seed, full_history=True)
            assert short[2] == full[2], "windowed and full histories must agree"
        start = time.perf_counter()
        results = []
        for seed in range(args.runs):
            results.append(run_apogee(engine, objective, args.dim, args.steps, seed))
            if (seed + 1) % 10 == 0:
                done = np.array([r[0] for r in results])
                print(f"{name}: {seed + 1} runs, consensus success {success(done):.2f}", flush=True)
        apogee_time = time.perf_counter() - start
        start = time.perf_counter()
        cbx_consensus, cbx_best = run_cbx(name, args.dim, args.runs, args, seed=12345)
        cbx_time = time.perf_counter() - start
        ours = np.array([r[0] for r in results]), np.array([r[1] for r in results])
        rows.append(
            (
                name,
                success(ours[0]),
                success(cbx_consensus),
                success(ours[1]),
                success(cbx_best),
                apogee_time,
                cbx_time,
                distance(ours[0]),
                distance(cbx_consensus),
            )
        )
        print(rows[-1], flush=True)
    report(rows, args, engine)


def report(rows: list[tuple[Any, ...]], args: argparse.Namespace, engine: CBO) -> None:
    evaluations = args.particles * args.steps
    se = lambda p: math.sqrt(max(p * (1 - p), 1e-12) / args.runs)  # noqa: E731
    lines = [
        "# CBO: apogee `cbo` against CBXpy (`cbx`)",
        "",
        f"d = {args.dim}, {args.runs} runs per library and function, N = {args.particles} particles, "
        f"T = {args.steps} steps ({evaluations} evaluations per run for both), dt = {args.dt}, "
        f"lambda = {args.drift}, sigma = {args.sigma}, alpha_0 = {args.alpha} (x1.05 per step, cap 1e5), "
        f"{args.noise} noise, start uniform in [{LOW}, {HIGH}]^d. Success: sup-norm distance of the "
        f"final consensus to x* = 0 below {TOLERANCE} (cbx `dist_to_min`); ± is one binomial standard error.",
        "",
        "| function | apogee consensus | cbx consensus | apogee best particle | cbx best particle "
        "| mean distance apogee / cbx | time apogee / cbx |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ours, theirs, ours_best, theirs_best, t_ours, t_theirs, d_ours, d_theirs in rows:
        lines.append(
            f"| {name} | {ours:.2f} ± {se(ours):.2f} | {theirs:.2f} ± {se(theirs):.2f} | "
            f"{ours_best:.2f} | {theirs_best:.2f} | {d_ours:.3f} / {d_theirs:.3f} | "
            f"{t_ours / t_theirs:.1f} |"
        )
    lines += [
        "",
        f"Engine options: `{engine.options()}`. Python {platform.python_version()}, "
        f"{platform.machine()}; the timing ratio includes apogee's per-trial decoding into "
        "parameter dicts and cbx's vectorised runs (all M runs in one array), on a shared machine.",
        "",
        "Command:",
        "",
        "```",
        "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 10 python benchmarks/cbo_vs_cbx.py "
        f"--runs {args.runs} --dim {args.dim} --particles {args.particles} --steps {args.steps} "
        f"--dt {args.dt} --sigma {args.sigma} --alpha {args.alpha} --drift {args.drift} "
        f"--noise {args.noise} --out {args.out}",
        "```",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()

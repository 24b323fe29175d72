"""Hypergradient time and peak memory against the inner dimension (10^2 .. 10^6 parameters).

Problem: ridge regression with `p` inner parameters, `g(λ, w) = ½ mean((Xw − t)²) + ½ λ‖w‖²`,
`f(λ, w) = mean((X_val w − t_val)²)`, 16 training and 16 validation rows, float32. Each
configuration (method, p) runs in a fresh subprocess, which reports its peak resident set
size (`ru_maxrss`, which sees torch's allocator, unlike tracemalloc) after building the data
and after the hypergradient, and the median time of the hypergradient as a ratio to one
plain gradient `∇_w g` (one backward pass) measured in the same process.

Run: `OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 10 python benchmarks/bilevel_memory.py`
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

METHODS = ("cg", "neumann", "fixed_point", "unrolled")


def child(method: str, dim: int, repeats: int) -> None:
    import torch

    from apogee.bilevel import BilevelProblem, HypergradientOptions, hypergradient

    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    X, X_val = (torch.randn(16, dim, generator=generator) / dim**0.5 for _ in range(2))
    t, t_val = torch.randn(16, generator=generator), torch.randn(16, generator=generator)
    problem = BilevelProblem(
        outer=lambda lam, w: ((X_val @ w - t_val) ** 2).mean(),
        inner=lambda lam, w: 0.5 * ((X @ w - t) ** 2).mean() + 0.5 * lam * (w @ w),
    )
    lam, w = torch.tensor(1.0), torch.zeros(dim)
    options = HypergradientOptions(
        max_iter=20, tol=0.0, step_size=0.5, unroll_steps=20, raise_on_failure=False
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grad_times, hyper_times = [], []
    for _ in range(repeats):
        leaf = w.clone().requires_grad_(True)
        start = time.perf_counter()
        torch.autograd.grad(problem.inner(lam, leaf), leaf)
        grad_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hypergradient(problem, lam, w, method=method, options=options)
        hyper_times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ratio = statistics.median(hyper_times) / statistics.median(grad_times)
    print(json.dumps({"before_mib": before / 1024, "after_mib": after / 1024, "ratio": ratio}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dims", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child[0], int(args.child[1]), args.repeats)
        return
    lines = [
        "| method (20 iterations) | inner dim p | data (MiB, 2 × 16 × p floats) "
        "| peak RSS before (MiB) | peak RSS after (MiB) | increase (MiB) | time / one inner gradient |",
        "|---|---|---|---|---|---|---|",
    ]
    for method in args.methods:
        for dim in args.dims:
            command = [
                sys.executable,
                __file__,
                "--child",
                method,
                str(dim),
                "--repeats",
                str(args.repeats),
            ]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            row = json.loads(output.strip().splitlines()[-1])
            data = 2 * 16 * dim * 4 / 2**20
            increase = row["after_mib"] - row["before_mib"]
            lines.append(
                f"| {method} | {dim:,} | {data:.1f} | {row['before_mib']:.0f} | {row['after_mib']:.0f} | "
                f"{increase:.0f} | {row['ratio']:.1f} |"
            )
            print(lines[-1], flush=True)
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()

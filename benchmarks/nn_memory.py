"""Peak memory of zeroth-order training against backpropagation, at several MLP widths.

Each configuration runs in a fresh subprocess: an MLP 64 -> W -> W -> W -> W -> 10 (ReLU) on
scikit-learn's digits (batches of B rows drawn with replacement, so that activations matter)
makes a few training steps. On the CPU the figure is the process's peak RSS (`ru_maxrss`);
"extra" is the peak minus the peak after the model, the data and the optimizer were built and
one inference pass (no_grad forward) ran: the memory that training adds beyond inference. With
`--device cuda` it is torch's allocator instead (`max_memory_allocated` after the steps minus
`memory_allocated` after that warm-up pass). Medians over repeats.

Sizes: a width sweep at a fixed batch (parameters and activations grow together) and a batch sweep
at a fixed width (only the activations grow). Each child runs with glibc's mmap threshold pinned
(`MALLOC_MMAP_THRESHOLD_`, see `_spawn`) so that large buffers are returned to the system when
freed and the RSS high-water mark follows live memory, not allocation order. 'saved MB' is
measured after the peak: the bytes of the tensors autograd saves for backward in one forward pass
(`torch.autograd.graph.saved_tensors_hooks`, unique storages, parameters and input excluded).

Methods: inference (forward passes under no_grad: the floor), ZO-SGD (two-sided, one Gaussian
direction: two forward passes under no_grad and seeded in-place perturbations), ZO-Adam (the
same plus Adam's two state tensors), forward gradient (jvp), SGD and Adam with backpropagation.

Usage: python benchmarks/nn_memory.py --widths 256 1024 2048 4096 --batch 1024 \
    --sweep-width 1024 --sweep-batches 64 1024 16384 --repeats 3

The committed results (`benchmarks/results/nn_memory.md`, with its exact command) use fewer
sizes and methods, so that the run fits a shared 2-core machine in under an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable
from typing import Any

METHODS = [
    "inference",
    "ZO-SGD",
    "ZO-Adam",
    "forward gradient",
    "SGD (backprop)",
    "Adam (backprop)",
]
MB = 1024.0 * 1024.0


def child(method: str, width: int, batch: int, steps: int, device: str) -> dict[str, float]:
    """One configuration, measured in this (fresh) process."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from torch.func import functional_call

    from apogee.nn import ZOSGD, ForwardGradient, ZOAdam

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x_all, y_all = load_digits(return_X_y=True)
    rows = np.random.default_rng(0).integers(0, len(x_all), batch)
    x = torch.tensor(x_all[rows] / 16.0, dtype=torch.float32, device=device)
    y = torch.tensor(y_all[rows], device=device)
    layers: list[torch.nn.Module] = []
    for n_in in (64, width, width, width):
        layers += [torch.nn.Linear(n_in, width), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10)).to(device)
    params = sum(p.numel() for p in model.parameters())
    loss = torch.nn.functional.cross_entropy
    names = [name for name, _ in model.named_parameters()]
    steppers: dict[str, Callable[[], Callable[[], object]]] = {
        "inference": lambda: lambda: _no_grad(lambda: loss(model(x), y)),
        "ZO-SGD": lambda: _zo(
            ZOSGD(model.parameters(), lr=1e-4, seed=0), lambda: loss(model(x), y)
        ),
        "ZO-Adam": lambda: _zo(
            ZOAdam(model.parameters(), lr=1e-4, seed=0), lambda: loss(model(x), y)
        ),
        "forward gradient": lambda: _zo(
            ForwardGradient(model.parameters(), lr=1e-4, seed=0),
            lambda ps: loss(functional_call(model, dict(zip(names, ps, strict=True)), (x,)), y),
        ),
        "SGD (backprop)": lambda: _backprop(
            torch.optim.SGD(model.parameters(), lr=1e-4), model, x, y
        ),
        "Adam (backprop)": lambda: _backprop(
            torch.optim.Adam(model.parameters(), lr=1e-4), model, x, y
        ),
    }
    torch.optim.SGD(model.parameters(), lr=1e-4)  # every row pays torch.optim's lazy imports
    step = steppers[method]()
    _no_grad(lambda: loss(model(x), y))  # warm-up: the base includes one inference pass
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = float(torch.cuda.memory_allocated())
    else:
        base = _rss()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        peak = float(torch.cuda.max_memory_allocated())
    else:
        peak = _rss()
    return {
        "params_mb": params * 4 / MB,
        "saved_mb": saved_bytes(model, x, y) / MB,
        "base_mb": base / MB,
        "peak_mb": peak / MB,
        "extra_mb": (peak - base) / MB,
    }


def saved_bytes(model: Any, x: Any, y: Any) -> int:
    """Bytes autograd saves for backward in one forward pass with gradients (unique storages,
    the parameters and the input batch left out): the activations backpropagation must keep."""
    import torch

    own = {p.untyped_storage().data_ptr() for p in model.parameters()}
    own.add(x.untyped_storage().data_ptr())
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in own:
            seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        value = torch.nn.functional.cross_entropy(model(x), y)
    del value
    return sum(seen.values())


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0  # Linux reports KiB


def _no_grad(compute: Callable[[], object]) -> object:
    import torch

    with torch.no_grad():
        return compute()


def _zo(optimizer: object, closure: object) -> Callable[[], object]:
    return lambda: optimizer.step(closure)  # type: ignore[attr-defined]


def _backprop(optimizer: Any, model: Any, x: Any, y: Any) -> Callable[[], object]:
    import torch

    def step() -> object:
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        return loss

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 1024, 2048, 4096])
    parser.add_argument("--batch", type=int, default=1024, help="the width sweep's batch")
    parser.add_argument("--sweep-width", type=int, default=1024, help="the batch sweep's width")
    parser.add_argument("--sweep-batches", type=int, nargs="*", default=[64, 1024, 16384])
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--out", help="default: benchmarks/results/nn_memory[_cuda].md")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "WIDTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child[0], int(args.child[1]), args.batch, args.steps, args.device)
        print(json.dumps(result))
        return
    if args.out is None:
        args.out = f"benchmarks/results/nn_memory{'_cuda' if args.device == 'cuda' else ''}.md"
    sweeps = {
        "width": [(width, args.batch) for width in args.widths],
        "batch": [(args.sweep_width, batch) for batch in args.sweep_batches],
    }
    table: dict[tuple[int, int, str], dict[str, float]] = {}
    for width, batch in dict.fromkeys(sweeps["width"] + sweeps["batch"]):
        for method in args.methods:
            runs = [_spawn(method, width, batch, args) for _ in range(args.repeats)]
            row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            table[width, batch, method] = row
            print(width, batch, method, {k: round(v, 1) for k, v in row.items()}, flush=True)
    write(args, sweeps, table)


def _spawn(method: str, width: int, batch: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", method, str(width), "--batch", str(batch)]
    command += ["--steps", str(args.steps), "--device", args.device]
    # A fixed threshold turns off glibc's adaptive one, which after the first large free keeps
    # freed blocks on the heap, so the RSS peak would depend on allocation order.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


HEADER = [
    "| width W | batch | params MB | saved MB | method | peak MB | extra MB | extra / params |",
    "|---|---|---|---|---|---|---|---|",
]


def write(
    args: argparse.Namespace,
    sweeps: dict[str, list[tuple[int, int]]],
    table: dict[tuple[int, int, str], dict[str, float]],
) -> None:
    import torch

    unit = "peak RSS" if args.device == "cpu" else "torch max_memory_allocated"
    machine = f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}"
    if args.device == "cuda":
        machine += f", {torch.cuda.get_device_name()}"
    else:
        machine += f", CPU, 1 torch thread ({os.cpu_count()} visible cores, shared)"
    command = (
        f"python benchmarks/nn_memory.py --widths {' '.join(map(str, args.widths))} "
        f"--batch {args.batch} --sweep-width {args.sweep_width} "
        f"--sweep-batches {' '.join(map(str, args.sweep_batches))} --steps {args.steps} "
        f"--repeats {args.repeats} --device {args.device} --methods "
        + " ".join(f"'{method}'" for method in args.methods)
    )
    lines = [
        f"# apogee.nn: training memory, zeroth-order against backpropagation ({args.device})",
        "",
        "MLP 64 -> W -> W -> W -> W -> 10 (ReLU) on scikit-learn digits (rows drawn with replacement),",
        f"{args.steps} training steps, one fresh process per configuration, {unit}, median over",
        f"{args.repeats} repeats. 'extra' = peak minus the peak after the model, data and optimizer were",
        "built and one no_grad forward pass ran: what training adds beyond inference. 'saved' = the",
        "bytes autograd saves for backward in one forward pass (measured with saved_tensors_hooks;",
        "parameters and input excluded); 'params' = the float32 parameters. ZO-SGD: two-sided, one",
        "Gaussian direction (MeZO), plain update (no momentum).",
        "",
        f"Command: `{command}`",
        f"Machine: {machine}.",
    ]
    titles = {
        "width": f"Width sweep, batch {args.batch}: parameters and activations grow together.",
        "batch": f"Batch sweep, width {args.sweep_width}: only the activations grow.",
    }
    for name, configs in sweeps.items():
        if not configs:
            continue
        lines += ["", f"## {titles[name]}", "", *HEADER]
        for width, batch in configs:
            for method in args.methods:
                row = table[width, batch, method]
                lines.append(
                    f"| {width} | {batch} | {row['params_mb']:.1f} | {row['saved_mb']:.1f} "
                    f"| {method} | {row['peak_mb']:.1f} | {row['extra_mb']:.1f} "
                    f"| {row['extra_mb'] / row['params_mb']:.2f} |"
                )
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

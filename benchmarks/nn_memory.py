"""Peak memory of zeroth-order training against backpropagation, at several MLP widths.

Each configuration runs in a fresh subprocess: an MLP 64 -> W -> W -> W -> W -> 10 (ReLU) on
scikit-learn's digits (batches of B rows drawn with replacement, so that activations matter)
makes a few training steps. On the CPU the figure is the process's peak RSS (`ru_maxrss`);
"extra" is the peak minus the peak after the model, the data and the optimizer were built and
one inference pass (no_grad forward) ran: the memory that training adds beyond inference. With
`--device cuda` it is torch's allocator instead (`max_memory_allocated` after the steps minus
`memory_allocated` after that warm-up pass). Medians over repeats.

Methods: inference (forward passes under no_grad: the floor), ZO-SGD (two-sided, one Gaussian
direction: two forward passes under no_grad and seeded in-place perturbations), ZO-Adam (the
same plus Adam's two state tensors), forward gradient (jvp), SGD and Adam with backpropagation.

Usage: python benchmarks/nn_memory.py --widths 256 1024 2048 4096 --batch 2048 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable

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
        base = torch.cuda.memory_allocated()
    else:
        base = _rss()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = _rss()
    return {
        "params_mb": params * 4 / MB,
        "base_mb": base / MB,
        "peak_mb": peak / MB,
        "extra_mb": (peak - base) / MB,
    }


def _rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0  # Linux reports KiB


def _no_grad(compute: Callable[[], object]) -> object:
    import torch

    with torch.no_grad():
        return compute()


def _zo(optimizer: object, closure: object) -> Callable[[], object]:
    return lambda: optimizer.step(closure)  # type: ignore[attr-defined]


def _backprop(optimizer: object, model: object, x: object, y: object) -> Callable[[], object]:
    import torch

    def step() -> object:
        optimizer.zero_grad(set_to_none=True)  # type: ignore[attr-defined]
        loss = torch.nn.functional.cross_entropy(model(x), y)  # type: ignore[operator]
        loss.backward()
        optimizer.step()  # type: ignore[attr-defined]
        return loss

    return step


def activation_mb(width: int, batch: int) -> float:
    """What backpropagation keeps for the backward pass: each hidden layer's Linear output and
    ReLU output, `batch x width` float32 each, four layers (plus the small logits)."""
    return 4 * 2 * batch * width * 4 / MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 1024, 2048, 4096])
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--out", help="default: benchmarks/results/nn_memory[_cuda].md")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "WIDTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(
            json.dumps(
                child(args.child[0], int(args.child[1]), args.batch, args.steps, args.device)
            )
        )
        return
    if args.out is None:
        args.out = f"benchmarks/results/nn_memory{'_cuda' if args.device == 'cuda' else ''}.md"
    table: dict[tuple[int, str], dict[str, float]] = {}
    for width in args.widths:
        for method in METHODS:
            runs = [_spawn(method, width, args) for _ in range(args.repeats)]
            table[width, method] = {
                key: statistics.median(run[key] for run in runs) for key in runs[0]
            }
            print(
                width, method, {k: round(v, 1) for k, v in table[width, method].items()}, flush=True
            )
    write(args, table)


def _spawn(method: str, width: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", method, str(width), "--batch", str(args.batch)]
    command += ["--steps", str(args.steps), "--device", args.device]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def write(args: argparse.Namespace, table: dict[tuple[int, str], dict[str, float]]) -> None:
    import torch

    unit = "peak RSS" if args.device == "cpu" else "torch max_memory_allocated"
    widths = " ".join(map(str, args.widths))
    machine = f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}"
    if args.device == "cuda":
        machine += f", {torch.cuda.get_device_name()}"
    else:
        machine += ", CPU, 1 torch thread (2 shared cores)"
    lines = [
        f"# apogee.nn: training memory, zeroth-order against backpropagation ({args.device})",
        "",
        f"MLP 64 -> W -> W -> W -> W -> 10 (ReLU) on scikit-learn digits, batch {args.batch} (rows drawn with",
        f"replacement), {args.steps} training steps, one fresh process per configuration, {unit},",
        f"median over {args.repeats} repeats. 'extra' = peak minus the peak after the model, data and optimizer",
        "were built and one no_grad forward pass ran (what training adds beyond inference); 'activations' =",
        "what backpropagation keeps (4 hidden layers x (Linear out + ReLU out),",
        "float32); 'params' = the float32 parameters. ZO-SGD: two-sided, one Gaussian direction (MeZO).",
        "",
        f"Command: `python benchmarks/nn_memory.py --widths {widths} --batch {args.batch} "
        f"--steps {args.steps} --repeats {args.repeats} --device {args.device}`",
        f"Machine: {machine}.",
        "",
        "| width W | params MB | activations MB | method | peak MB | extra MB | extra / params |",
        "|---|---|---|---|---|---|---|",
    ]
    for width in args.widths:
        for method in METHODS:
            row = table[width, method]
            lines.append(
                f"| {width} | {row['params_mb']:.1f} | {activation_mb(width, args.batch):.1f} | {method} "
                f"| {row['peak_mb']:.1f} | {row['extra_mb']:.1f} | {row['extra_mb'] / row['params_mb']:.2f} |"
            )
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

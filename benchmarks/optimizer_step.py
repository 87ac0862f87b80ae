"""One optimizer update over the 784-1024-1024-10 net's 1.86 million float32 parameters.

deepgrad's update runs once over the flat buffer, in one pass by a C loop built with the
machine's compiler where there is one, by numba's kernel where it is installed, and with
NumPy's in-place operations otherwise (all three are timed); PyTorch's
``torch.optim`` runs with ``foreach=True`` (its multi-tensor implementation) over the six
parameter tensors. All run in this process, one after the other, with the same number of
threads, and the report gives the median time per step and deepgrad's ratio to PyTorch.

``--rounds N`` repeats the whole measurement N times, interleaved (every executor once per
round, in turn), and reports the minimum over rounds of each median, with the spread
(largest/smallest median): on a shared machine the minimum is the least disturbed run.
The last column is the kernel's speed-up over deepgrad's own NumPy executor; a rule keeps
its numba kernel only where that is at least 1.3x (``docs/optimizer-kernels.md``).

    python benchmarks/optimizer_step.py                # full run
    python benchmarks/optimizer_step.py --rounds 3     # what the kernel decisions use
    python benchmarks/optimizer_step.py --quick        # smoke run (CI)
    python benchmarks/optimizer_step.py --json results/optimizer_step.json
    python benchmarks/optimizer_step.py --layers 784,256,256,10   # another net's weights
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

SHAPES = [(784, 1024), (1024,), (1024, 1024), (1024,), (1024, 10), (10,)]


def shapes_of(layers: list[int]) -> list[tuple[int, ...]]:
    """The weights and biases of a dense net of these layer widths."""
    shapes: list[tuple[int, ...]] = []
    for fan_in, fan_out in itertools.pairwise(layers):
        shapes += [(fan_in, fan_out), (fan_out,)]
    return shapes


CONFIGS = {
    "sgd": ({"learning_rate": 0.01}, {"lr": 0.01}),
    "momentum": ({"learning_rate": 0.01, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.9}),
    "nesterov": (
        {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True},
        {"lr": 0.01, "momentum": 0.9, "nesterov": True},
    ),
    "adam": ({"learning_rate": 1e-3}, {"lr": 1e-3}),
    "amsgrad": ({"learning_rate": 1e-3, "amsgrad": True}, {"lr": 1e-3, "amsgrad": True}),
}
ADAM = ("adam", "amsgrad")


def arrays(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]


def median_ms(step: Callable[[], None], repeats: int, warmup: int = 20) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def deepgrad_step(name: str) -> Callable[[], None]:
    import deepgrad as dg
    from deepgrad import optimizers

    params = [dg.tensor(a, requires_grad=True) for a in arrays(0)]
    kwargs = CONFIGS[name][0]
    cls = optimizers.Adam if name in ADAM else optimizers.SGD
    opt = cls(params, **kwargs)
    for p, g in zip(params, arrays(1), strict=True):
        p.grad.data[...] = g
    return opt.step


def torch_step(name: str) -> Callable[[], None]:
    import torch

    params = [torch.tensor(a, requires_grad=True) for a in arrays(0)]
    for p, g in zip(params, arrays(1), strict=True):
        p.grad = torch.tensor(g)
    kwargs = CONFIGS[name][1]
    cls = torch.optim.Adam if name in ADAM else torch.optim.SGD
    return cls(params, foreach=True, **kwargs).step


def one_round(repeats: int, use_torch: bool) -> dict[str, dict[str, float]]:
    """Every configuration once: deepgrad with kernels, NumPy only, and PyTorch."""
    from deepgrad import kernels

    results = {}
    for name in CONFIGS:
        ours = median_ms(deepgrad_step(name), repeats)
        os.environ["DEEPGRAD_NATIVE"] = "0"  # read at every step: numba's kernel runs
        try:
            by_numba = median_ms(deepgrad_step(name), repeats) if kernels.enabled() else np.nan
        finally:
            del os.environ["DEEPGRAD_NATIVE"]
        with kernels.disabled():
            numpy_only = median_ms(deepgrad_step(name), repeats)
        theirs = median_ms(torch_step(name), repeats) if use_torch else float("nan")
        results[name] = {
            "deepgrad_ms": ours,
            "deepgrad_numba_ms": by_numba,
            "deepgrad_numpy_only_ms": numpy_only,
            "torch_foreach_ms": theirs,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few repeats (smoke run)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (min of medians)")
    parser.add_argument(
        "--repeats", type=int, help="steps per median (default 200; 5 with --quick)"
    )
    parser.add_argument("--no-torch", action="store_true", help="deepgrad only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--layers", default="784,1024,1024,10", help="the net's layer widths")
    args = parser.parse_args()
    SHAPES[:] = shapes_of([int(width) for width in args.layers.split(",")])
    from deepgrad import native

    native.BUILD_IN_BACKGROUND = False  # a C loop missing from the cache: built first
    repeats = args.repeats or (5 if args.quick else 200)
    use_torch = not args.no_torch
    if use_torch:
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            use_torch = False

    rounds = [one_round(repeats, use_torch) for _ in range(args.rounds)]
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(
        f"one update over {n:,} float32 parameters: min over {args.rounds} interleaved "
        f"round(s) of the median of {repeats} steps (spread: largest/smallest median)"
    )
    print(
        "| optimizer | deepgrad ms (C loop) | numba kernel ms | NumPy-only ms | torch foreach ms "
        "| ratio | speed-up over NumPy |"
    )
    print("|---|---|---|---|---|---|---|")
    results = {}
    for name in CONFIGS:
        row = {key: min(r[name][key] for r in rounds) for key in rounds[0][name]}  # min of medians
        spread = {key: max(r[name][key] for r in rounds) / row[key] for key in rounds[0][name]}
        results[name] = {**row, "spread": spread}
        ours, by_numba, numpy_only, theirs = (
            row["deepgrad_ms"],
            row["deepgrad_numba_ms"],
            row["deepgrad_numpy_only_ms"],
            row["torch_foreach_ms"],
        )
        print(
            f"| {name} | {ours:.3f} ({spread['deepgrad_ms']:.2f}) "
            f"| {by_numba:.3f} ({spread['deepgrad_numba_ms']:.2f}) "
            f"| {numpy_only:.3f} ({spread['deepgrad_numpy_only_ms']:.2f}) "
            f"| {theirs:.3f} | {ours / theirs:.2f}x | {numpy_only / ours:.2f}x |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpu_count": os.cpu_count(), **results}, indent=2))


if __name__ == "__main__":
    main()

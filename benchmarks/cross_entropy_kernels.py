"""The sparse cross-entropy kernels of two deepgrad source trees, interleaved.

Times ``losses``, ``softmax_minus_one_hot`` and ``losses_and_gradient`` of
``deepgrad.ops.cross_entropy_kernels`` (float32 logits of a classifier's sizes) for each
tree given, each round in a fresh process per tree, the order alternating, and reports per
row and tree the median over rounds of each round's best time (µs per call), its minimum
and its spread (max/min). Used to compare a change to the kernels with the commit before
it:

    git worktree add /tmp/before 34371ba
    python benchmarks/cross_entropy_kernels.py --trees /tmp/before . --rounds 5
    python benchmarks/cross_entropy_kernels.py --quick       # smoke run (CI), this tree
    python benchmarks/cross_entropy_kernels.py --against-numpy --rounds 5

With ``--against-numpy`` it times instead, in this tree, the kernels (one call computing
the losses and the gradient) against NumPy's form (the two calls) on shapes from 256 × 10
to 128 × 1000, whichever ``fits`` would pick: where the one wins and the other loses.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path

import machine

SHAPES = [(64, 10), (200, 10), (256, 10), (200, 5)]


# Where the kernels run and where NumPy's form runs: few classes against many, small
# batches against large (the kernels' in-order sum over a long row is what loses).
WIDE_SHAPES = [
    (256, 10), (2048, 10), (8192, 10), (1024, 64), (2048, 128), (4096, 128),
    (1024, 256), (512, 512), (128, 1000),
]  # fmt: skip


def entry_points(kernels, logits, labels, gradient) -> dict:
    """The three entry points, as ``fits`` would route them."""
    return {
        "loss": functools.partial(kernels.losses, logits, labels),
        "gradient": functools.partial(kernels.softmax_minus_one_hot, logits, labels),
        "both": functools.partial(kernels.losses_and_gradient, logits, labels, gradient),
    }


def kernels_against_numpy(kernels, logits, labels, gradient) -> dict:
    """A loss and its gradient by the kernels (one call computing both) and by NumPy's
    form (two calls), whatever ``fits`` would choose."""
    return {
        "kernels": functools.partial(kernels._run_kernels, logits, labels, gradient),
        "NumPy": lambda: (
            kernels._losses_numpy(logits, labels),
            kernels._softmax_minus_one_hot_numpy(logits, labels),
        ),
    }


def worker(number: int, against_numpy: bool = False) -> dict:
    """µs per call on each shape, for the deepgrad on sys.path: the entry points, or
    (``against_numpy``) the kernels against NumPy's form, with fewer calls per timing for
    larger logits."""
    import numpy as np

    from deepgrad.ops import cross_entropy_kernels as kernels

    times = {}
    for shape in WIDE_SHAPES if against_numpy else SHAPES:
        rng = np.random.default_rng(0)
        logits = (rng.standard_normal(shape) * 3).astype(np.float32)
        labels = rng.integers(0, shape[1], shape[0])
        gradient = np.empty_like(logits)
        make_calls = kernels_against_numpy if against_numpy else entry_points
        calls_per_timing = max(5, number * 2000 // logits.size) if against_numpy else number
        for name, call in make_calls(kernels, logits, labels, gradient).items():
            call()  # compiled, or loaded from numba's cache
            best = min(timeit.repeat(call, number=calls_per_timing, repeat=5))
            times[f"{shape[0]} × {shape[1]}, {name}"] = best / calls_per_timing * 1e6
    return times


def run_tree(tree: Path, number: int, against_numpy: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    command = [sys.executable, __file__, "--worker", "--number", str(number)]
    command += ["--against-numpy"] if against_numpy else []
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", nargs="+", type=Path, default=[Path(".")])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="one round of few calls")
    parser.add_argument(
        "--against-numpy",
        action="store_true",
        help="the kernels against NumPy's form on shapes from 256 × 10 to 128 × 1000",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.number, args.against_numpy)))
        return
    if args.quick:
        args.rounds, args.number = 1, 50
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    results: dict[Path, list[dict]] = {tree: [] for tree in args.trees}
    for round_number in range(args.rounds):
        order = args.trees if round_number % 2 == 0 else args.trees[::-1]
        for tree in order:
            results[tree].append(run_tree(tree.resolve(), args.number, args.against_numpy))
    print(f"load average after: {os.getloadavg()}")
    rows = list(results[args.trees[0]][0])
    header = "".join(f" | {tree} median (min) ×spread" for tree in args.trees)
    print(f"| µs per call{header} |")
    print("| --- " * (len(args.trees) + 1) + "|")
    for row in rows:
        cells = []
        for tree in args.trees:
            values = [r[row] for r in results[tree]]
            median, low = statistics.median(values), min(values)
            cells.append(f"{median:.2f} ({low:.2f}) ×{max(values) / low:.2f}")
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

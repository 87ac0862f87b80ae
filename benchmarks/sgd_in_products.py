"""Plain SGD inside the weights' gradient products, against the product then the update.

A compiled step with plain SGD adds −η·(aᵀ @ δ) into each dense weight with one BLAS call
(``deepgrad.blas.add_product``, ``gemm`` with β = 1) instead of computing the gradient
with ``matmul`` (OpenBLAS writes zeros over it first) and then running the SGD update over
the gradient and the weights. This times both:

1. each weight-gradient product of a suite configuration alone: ``matmul(aᵀ, δ, out=g)``
   then deepgrad's SGD rule ``w ← w − ηg`` (numba's kernel where numba is installed,
   as the optimizer runs it), against ``add_product(w, aᵀ, δ, −η)``;
2. the whole training step (``model.compile(jit=True)`` + ``train_on_batch``), with the
   descent and without it (``deepgrad.blas.disabled()``: the step is recorded again).

Both in one process, the two variants alternating round by round (``--rounds``); each row
gives the median over the rounds of each round's median, the minimum and the spread
(max/min), and the load average is printed before and after.

    python benchmarks/sgd_in_products.py --configs medium,deep --rounds 5
    python benchmarks/sgd_in_products.py --quick       # smoke run (CI)
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable

import machine
import numpy as np
from suite import CONFIGS

import deepgrad as dg
from deepgrad import blas
from deepgrad.optimizers.sgd import sgd

RATE = 0.01


def _median_time(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _summary(values: list[float], scale: float) -> str:
    low, high = min(values), max(values)
    return f"{statistics.median(values) * scale:.3f} (min {low * scale:.3f}, ×{high / low:.2f})"


def products(config: str, rounds: int, repeats: int) -> None:
    sizes, batch = CONFIGS[config]
    shapes = sorted(set(itertools.pairwise(sizes)))
    print(f"\n{config}: each weight-gradient product and its update, batch {batch}, ms")
    print("| weight | product, then update | inside the product | ratio |")
    print("|---|---:|---:|---:|")
    for fan_in, fan_out in shapes:
        two, one = _one_weight(fan_in, fan_out, batch, rounds, repeats)
        ratio = statistics.median(one) / statistics.median(two)
        print(
            f"| {fan_in} × {fan_out} | {_summary(two, 1e3)} | {_summary(one, 1e3)} | {ratio:.2f}x |"
        )


def _one_weight(
    fan_in: int, fan_out: int, batch: int, rounds: int, repeats: int
) -> tuple[list[float], list[float]]:
    """Each round's median seconds: the product then the update, and one BLAS call."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((batch, fan_in), dtype=np.float32)
    delta = rng.standard_normal((batch, fan_out), dtype=np.float32)
    weights = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
    gradient = np.empty_like(weights)
    scratch: dict = {}

    def product_then_update() -> None:
        np.matmul(a.T, delta, out=gradient)
        sgd(gradient.reshape(-1), weights.reshape(-1), RATE, scratch=scratch)

    def inside() -> None:
        if not blas.add_product(weights, a.T, delta, -RATE):
            raise RuntimeError("no usable BLAS here: nothing to compare")

    two, one = [], []
    for _ in range(rounds):
        two.append(_median_time(product_then_update, repeats))
        one.append(_median_time(inside, repeats))
    return two, one


def steps(config: str, rounds: int, repeats: int) -> None:
    sizes, batch = CONFIGS[config]
    rng = np.random.default_rng(0)
    dg.random.seed(0)
    model = dg.Sequential(
        [dg.layers.Dense(n, activation="relu") for n in sizes[1:-1]] + [dg.layers.Dense(sizes[-1])]
    )
    loss = dg.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(dg.optimizers.SGD(learning_rate=RATE), loss, jit=True)
    xs = [rng.standard_normal((batch, sizes[0]), dtype=np.float32) for _ in range(4)]
    ys = [rng.integers(0, sizes[-1], batch) for _ in range(4)]

    def block() -> float:
        for i in range(3):  # recorded twice, then replayed: not timed
            model.train_on_batch(xs[i], ys[i])
        counter = iter(range(1 << 30))

        def one() -> None:
            i = next(counter) % 4
            model.train_on_batch(xs[i], ys[i])

        return _median_time(one, repeats)

    both: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(rounds):
        with blas.disabled():
            both["without"].append(block())
        both["with"].append(block())
    ratio = statistics.median(both["with"]) / statistics.median(both["without"])
    print(
        f"| {config}/sgd | {_summary(both['without'], 1e3)} | {_summary(both['with'], 1e3)} "
        f"| {ratio:.2f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="medium,deep")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per round")
    parser.add_argument("--quick", action="store_true", help="tiny, 1 round: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.configs, args.rounds, args.repeats = "tiny", 1, 3
    if not blas.available(np.float32):
        print("NumPy's OpenBLAS was not found: plain SGD runs as product, then update")
        return
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    configs = args.configs.split(",")
    for config in configs:
        products(config, args.rounds, args.repeats)
    print("\nthe training step (train_on_batch, compile(jit=True)), ms")
    print("| config | product, then update | inside the products | ratio |")
    print("|---|---:|---:|---:|")
    for config in configs:
        steps(config, args.rounds, args.repeats)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

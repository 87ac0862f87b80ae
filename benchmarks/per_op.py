"""Per-op cost of the engine, for A/B comparisons of two checkouts run in turn.

The chain of ``overhead.py`` (50 elementwise ops on 16 float32 elements, then a sum and
the gradient), timed for the tape, ``grad`` and ``compile(grad)``; each figure is the
minimum over 9 batches of 200 calls, in µs per op. The minimum resists a shared machine's
noise better than a median, so alternate two checkouts process by process:

    for i in 1 2 3 4 5; do
      PYTHONPATH=/tmp/before/src python benchmarks/per_op.py
      PYTHONPATH=src python benchmarks/per_op.py
    done
"""

from __future__ import annotations

import time

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp

N_OPS = 50


def chain(x, c):
    for i in range(N_OPS):
        kind = i % 3
        x = x * c if kind == 0 else (x + c if kind == 1 else dnp.tanh(x))
    return x


def best_us_per_op(fn, batches: int = 9, calls: int = 200) -> float:
    for _ in range(20):
        fn()
    best = float("inf")
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best / (N_OPS + 1) * 1e6


def main() -> None:
    c = np.full(16, 0.5, np.float32)
    x0 = np.ones(16, np.float32)
    leaf = dg.tensor(x0.copy(), requires_grad=True)

    def tape():
        leaf.grad = None
        chain(leaf, c).sum().backward()

    gradient = dg.grad(lambda x: chain(x, c).sum())
    compiled = dg.compile(gradient)
    compiled(x0)
    compiled(x0 + 1)  # recorded twice and checked: later calls replay the plan
    figures = {
        "tape": best_us_per_op(tape),
        "grad": best_us_per_op(lambda: gradient(x0)),
        "compiled": best_us_per_op(lambda: compiled(x0)),
    }
    print(" ".join(f"{name} {value:.3f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()

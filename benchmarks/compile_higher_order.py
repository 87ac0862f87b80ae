"""Second derivatives, eager and compiled: an 8 × 8 Hessian (forward over reverse) and a
scalar second derivative (reverse over reverse), in ms per call.

Eager and compiled calls alternate, batch by batch, and each figure is the minimum over
the batches (the minimum resists a shared machine's noise better than a median). The
compiled result is checked equal to the eager one, bit for bit, before timing.

    python benchmarks/compile_higher_order.py
"""

from __future__ import annotations

import time

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp


def f(x):
    return dnp.sum(dnp.tanh(x) * dnp.sin(x[0]) + x**3)


CASES = {
    "hessian, 8 x 8": (dg.hessian(f), np.linspace(0.1, 1.0, 8)),
    "grad(grad(u^3 sin u))": (dg.grad(dg.grad(lambda u: u**3 * dnp.sin(u))), np.array(0.7)),
}


def best_ms(fn, x, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn(x)
    return (time.perf_counter() - start) / calls * 1e3


def main(batches: int = 9, calls: int = 20) -> None:
    for name, (eager, x) in CASES.items():
        compiled = dg.compile(eager)
        for _ in range(3):  # two recordings, then a replay
            compiled(x)
        if not np.array_equal(compiled(x), eager(x)):
            raise AssertionError(f"{name}: the compiled result differs from eager")
        eager_ms = compiled_ms = float("inf")
        for _ in range(batches):  # interleaved
            eager_ms = min(eager_ms, best_ms(eager, x, calls))
            compiled_ms = min(compiled_ms, best_ms(compiled, x, calls))
        print(
            f"{name}: eager {eager_ms:.3f} ms, compiled {compiled_ms:.3f} ms "
            f"({eager_ms / compiled_ms:.1f}x)"
        )


if __name__ == "__main__":
    main()

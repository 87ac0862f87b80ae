"""The small kernels a compiled MLP step runs, against the NumPy calls they replace.

At an MLP's batch sizes most of a NumPy call is set-up, not arithmetic. Each row times one
replacement and what it replaces, on the same arrays (float32, a batch of 200 as in
``benchmarks/sklearn_mlp.py``), interleaved call for call, and reports the median of
``--rounds`` rounds in µs and the ratio:

- a bias gradient: ``np.sum(g, axis=0)`` against ``column_sum`` (compiler/column_sums.py);
- a one-unit layer's backward product ``g @ Wᵀ`` (200, 1) @ (1, 100): ``np.matmul`` against
  the broadcast multiply and the ``outer_matmul`` loop (ops/outer_products.py);
- a cross-entropy and its gradient: the two kernel calls against the one pass
  (compiler/cross_entropy_pair.py);
- the L2 penalty Σw²: ``np.sum(w * w)`` against ``sum_of_squares``'s dot product;
- a loss's scalar arithmetic: the ufunc against NumPy's scalar operator (compiler/plan.py);
- a kernel call through ``compile_kernel``'s float-casting wrapper against numba's own
  dispatcher (``kernels.numba_kernel``), for a kernel that takes no float, and against the
  same loop in C (``deepgrad/native_loops.c``, an extension module);
- bias + ReLU and the bias gradient by each executor: NumPy's calls, numba's kernel, the
  C loop.

    python benchmarks/plan_kernels.py
    python benchmarks/plan_kernels.py --quick     # smoke run (CI)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import machine
import numpy as np

from deepgrad import kernels as fused
from deepgrad import native, native_loops
from deepgrad.compiler import fusion
from deepgrad.compiler.column_sums import add_rows, column_sum
from deepgrad.ops import cross_entropy_kernels
from deepgrad.ops.outer_products import outer_matmul
from deepgrad.ops.sum_of_squares import _sum_of_squares_impl


def per_call(fn: Callable, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number * 1e6


def rows(batch: int) -> list[tuple[str, dict[str, Callable]]]:
    rng = np.random.default_rng(0)
    f32 = np.float32
    g = rng.standard_normal((batch, 100)).astype(f32)
    sums = np.empty(100, f32)
    column, row = rng.standard_normal((batch, 1)).astype(f32), rng.standard_normal((1, 100))
    row = row.astype(f32)
    outer = np.empty((batch, 100), f32)
    logits = rng.standard_normal((batch, 5)).astype(f32)
    labels = rng.integers(0, 5, batch)
    gradient = np.empty_like(logits)
    w = rng.standard_normal((50, 100)).astype(f32)
    penalty = _sum_of_squares_impl(w)
    in_place = fusion._loops(fusion.positive_part_of)["in_place"]
    fusion._kernels(fusion.positive_part_of)  # registers the rule with numba
    wrapped, dispatcher = fused.compile_kernel(in_place), fused.numba_kernel(in_place)
    bias = rng.standard_normal(100).astype(f32)
    bias_relu_numba = fusion._kernels(fusion.relu_of_sum)["into"]
    column_sum_numba = fused.numba_kernel(add_rows)
    g_relu = rng.standard_normal((batch, 100)).astype(f32)
    y_relu = np.maximum(rng.standard_normal((batch, 100)).astype(f32), 0)
    return [
        (
            f"bias gradient ({batch}, 100)",
            {
                "np.sum(axis=0)": lambda: np.sum(g, axis=0, out=sums),
                "column_sum": lambda: column_sum(g, out=sums),
            },
        ),
        (
            f"outer product ({batch}, 1) @ (1, 100)",
            {
                "np.matmul": lambda: np.matmul(column, row, out=outer),
                "np.multiply": lambda: np.multiply(column, row, out=outer),
                "outer_matmul": lambda: outer_matmul(column, row, out=outer),
            },
        ),
        (
            f"cross-entropy + gradient ({batch}, 5)",
            {
                "two calls": lambda: (
                    cross_entropy_kernels.losses(logits, labels),
                    cross_entropy_kernels.softmax_minus_one_hot(logits, labels),
                ),
                "one pass": lambda: cross_entropy_kernels.losses_and_gradient(
                    logits, labels, gradient
                ),
            },
        ),
        (
            "L2 penalty Σw² (50, 100)",
            {
                "np.sum(w * w)": lambda: np.sum(w * w),
                "sum_of_squares": lambda: _sum_of_squares_impl(w),
            },
        ),
        (
            "a scalar's multiply 2.5e-07 · s (float32)",
            {
                "np.multiply": lambda: np.multiply(2.5e-07, penalty),
                "operator *": lambda: 2.5e-07 * penalty,
            },
        ),
        (
            f"a kernel call: ReLU's backward ({batch}, 100), in place",
            {
                "casting wrapper": lambda: wrapped(g_relu, y_relu, True),
                "numba dispatcher": lambda: dispatcher(g_relu, y_relu, True),
                **c_loop(lambda loops: loops.positive_part_of(g_relu, y_relu, g_relu)),
            },
        ),
        (
            f"bias + ReLU ({batch}, 100), into a buffer",
            {
                "NumPy's pair": lambda: np.maximum(np.add(g, bias, out=outer), 0, out=outer),
                "numba kernel": lambda: bias_relu_numba(g, bias[None, :], outer),
                **c_loop(lambda loops: loops.relu_of_sum(g, bias, outer)),
            },
        ),
        (
            f"bias gradient ({batch}, 100), by executor",
            {
                "np.sum(axis=0)": lambda: np.sum(g, axis=0, out=sums),
                "numba kernel": lambda: column_sum_numba(g, sums),
                **c_loop(lambda loops: loops.column_sum(g, sums)),
            },
        ),
    ]


def c_loop(call: Callable) -> dict[str, Callable]:
    """A row's C loop (deepgrad/native_loops.c), where its module can be built here."""
    loops = native_loops.module()
    return {} if loops is None else {"C loop": lambda: call(loops)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.number = 1, 20
    native.BUILD_IN_BACKGROUND = False  # a C module missing from the cache: built first
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    print("| operation | call | µs (median) | spread | vs the first |")
    print("| --- | --- | ---: | ---: | ---: |")
    for title, calls in rows(200):
        for fn in calls.values():
            fn()  # compile the kernels first
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, fn in calls.items():
                times[name].append(per_call(fn, args.number))
        reference = statistics.median(next(iter(times.values())))
        for name, measured in times.items():
            median = statistics.median(measured)
            print(
                f"| {title} | {name} | {median:.2f} | {max(measured) / min(measured):.2f} | "
                f"{reference / median:.2f}x |"
            )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

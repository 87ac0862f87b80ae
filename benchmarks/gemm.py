"""The matrix products of the suite's training steps: NumPy's BLAS against PyTorch's and MKL.

A compiled deepgrad step spends most of its time in ``numpy.matmul`` (OpenBLAS, in NumPy's
wheels), so how fast that BLAS multiplies the step's shapes bounds how fast the step can
be. This times each distinct product of a configuration's step (forward ``a @ W``, the
weight gradient ``aᵀ @ δ`` on a transposed view, the input gradient ``δ @ Wᵀ`` on one)
with NumPy and with PyTorch's CPU build (its own BLAS), float32, two threads each, into
an output allocated once, as a compiled plan's buffers are, and with Intel MKL as deepgrad
calls it under ``DEEPGRAD_BLAS=mkl`` (``deepgrad.blas.product``; the row is skipped where
MKL is not installed). Each (library, round) is a
fresh process (PyTorch's idle threads would otherwise spin on the cores NumPy's threads
need), the libraries alternate round by round, and the report gives each product's
median µs and GFLOP/s over the rounds and the step's products summed (each counted as
often as the step computes it).

    python benchmarks/gemm.py --configs deep,medium --rounds 5
    python benchmarks/gemm.py --quick         # smoke run (CI)
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import machine
import numpy as np
from fresh_process import mkl_installed, run_worker
from suite import CONFIGS

LIBRARIES = ["NumPy", "PyTorch", "MKL"]


def products(sizes: list[int], batch: int) -> Counter:
    """(kind, m, k, n) → how many times one step computes that product."""
    count: Counter = Counter()
    for layer, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        count[("a @ W", batch, n_in, n_out)] += 1
        count[("aᵀ @ δ", n_in, batch, n_out)] += 1
        if layer > 0:  # no gradient for the input
            count[("δ @ Wᵀ", batch, n_out, n_in)] += 1
    return count


def operands(kind: str, m: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The two operands as the step reads them: views of the arrays it holds."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    if kind == "aᵀ @ δ":  # the activations are (batch, n_in)
        return rng.standard_normal((k, m), f32).T, rng.standard_normal((k, n), f32)
    if kind == "δ @ Wᵀ":  # the weights are (n_in, n_out)
        return rng.standard_normal((m, k), f32), rng.standard_normal((n, k), f32).T
    return rng.standard_normal((m, k), f32), rng.standard_normal((k, n), f32)


def per_call(fn: Callable, seconds: float) -> float:
    for _ in range(20):  # PyTorch's first calls choose and prepare its kernels
        fn()
    number, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        number += 1
    return (time.perf_counter() - start) / number * 1e6


def worker(library: str, configs: list[str], seconds: float) -> dict:
    """µs per call of every product of the configurations, in this process."""
    if library == "PyTorch":
        import torch

        torch.set_num_threads(2)
    times = {}
    for config in configs:
        for kind, m, k, n in products(*CONFIGS[config]):
            a, b = operands(kind, m, k, n)
            out = np.empty((m, n), np.float32)  # as a compiled plan's buffer: no page faults
            if library == "PyTorch":  # the same memory and strides: a view stays a view
                a, b, out = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
                product = functools.partial(torch.matmul, a, b, out=out)
            elif library == "MKL":  # as deepgrad's matmul calls it under DEEPGRAD_BLAS=mkl
                from deepgrad import blas

                if blas.product(a, b, out) is out:
                    product = functools.partial(blas.product, a, b, out)
                else:  # too small for a ctypes call to pay: NumPy's, as in deepgrad's matmul
                    product = functools.partial(np.matmul, a, b, out=out)
            else:
                product = functools.partial(np.matmul, a, b, out=out)
            times[json.dumps([config, kind, m, k, n])] = per_call(product, seconds)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="tiny,small,medium,deep")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2, help="per product per round")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, configs, seconds, out = args.worker
        result = worker(library, configs.split(","), float(seconds))
        Path(out).write_text(json.dumps(result))
        return
    if args.quick:
        args.configs, args.rounds, args.seconds = "tiny", 1, 0.01
    env = {**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}
    env["MKL_NUM_THREADS"] = "2"
    libraries = [lib for lib in LIBRARIES if lib != "MKL" or mkl_installed()]
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    measured: dict[str, list[dict]] = {library: [] for library in libraries}
    for round_number in range(args.rounds):
        shift = round_number % len(libraries)
        for library in libraries[shift:] + libraries[:shift]:  # the order rotated
            library_env = {**env, "DEEPGRAD_BLAS": "mkl"} if library == "MKL" else env
            result = run_worker(
                __file__, [library, args.configs, args.seconds], library_env, library
            )
            if result is None:
                raise SystemExit(f"gemm: the {library} worker failed")
            measured[library].append(result)
    print(f"load average after: {os.getloadavg()}")
    for config in args.configs.split(","):
        sizes, batch = CONFIGS[config]
        print(f"\n{config}: {sizes}, batch {batch}; µs per product, median over rounds")
        print(
            "| product (m × k @ k × n) | per step | "
            + " | ".join(f"{lib} µs" for lib in libraries)
            + " | GFLOP/s (each) |"
        )
        print("| --- | ---: | " + "---: | " * len(libraries) + "--- |")
        totals = dict.fromkeys(libraries, 0.0)
        for (kind, m, k, n), times in products(sizes, batch).items():
            key = json.dumps([config, kind, m, k, n])
            medians = {lib: statistics.median(r[key] for r in measured[lib]) for lib in libraries}
            for library in libraries:
                totals[library] += times * medians[library]
            rates = " / ".join(f"{2 * m * k * n / medians[lib] / 1e3:.0f}" for lib in libraries)
            cells = " | ".join(f"{medians[lib]:.1f}" for lib in libraries)
            print(f"| {kind} {m} × {k} @ {k} × {n} | {times} | {cells} | {rates} |")
        cells = " | ".join(f"{totals[lib] / 1e3:.3f} ms" for lib in libraries)
        print(f"| the step's products | | {cells} | |")


if __name__ == "__main__":
    main()

"""How much of the GEMM floor an optimizer's update must add: the memory it has to stream.

The suite's target for the compiled step is 1.05x the GEMM floor (the step's matrix
products alone) at medium and large, 1.3x at deep. Plain SGD can meet it because its
update rides inside a product (``W ← W − η aᵀδ`` is one GEMM that accumulates). Adam
cannot: every step it must read and write each weight and its two moments, 24 bytes per
float32 weight even if the gradient never leaves the cache (28 with it). That traffic
takes at least ``24 B × weights / bandwidth``, and the products keep both cores busy, so
it cannot hide behind them.

For each configuration this times, in one process with two threads, interleaved round by
round: the GEMM floor (``suite.gemm_floor``: the step's products as bare ``numpy.matmul``),
an in-place ``a += b`` over the weights' count (12 B per element: the machine's streaming
rate for arrays of that size) and deepgrad's Adam update (the numba kernel where numba is
installed, else the NumPy plan). It reports the medians over the rounds and the least
time 24 B per weight can take at the fastest streaming rate measured in the run (the best
of all configurations, so the bound is generous), as a share of the floor, beside what the
target allows.

    python benchmarks/update_traffic.py --rounds 5
    python benchmarks/update_traffic.py --quick      # smoke run (CI)
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "2")  # before NumPy loads its BLAS, as the suite does

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine  # noqa: E402  (benchmarks/machine.py)
from optimizer_step import median_ms  # noqa: E402  (beside this script)
from suite import CONFIGS, gemm_floor  # noqa: E402

from deepgrad import kernels  # noqa: E402
from deepgrad.optimizers.adam_rules import adam  # noqa: E402

ALLOWED = {"medium": 1.05, "large": 1.05, "deep": 1.3}  # the targets, x the floor
ADAM_SCALARS = (1e-3, 0.1, 0.999, 0.001, 1.0, 1e-7)  # step size, 1 − β₁, β₂, 1 − β₂, …


def weight_count(sizes: list[int]) -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def steps_for(config: str) -> dict[str, Callable]:
    sizes, batch = CONFIGS[config]
    n = weight_count(sizes)
    rng = np.random.default_rng(0)
    gradient, parameter, m, v = (rng.random(n, dtype=np.float32) for _ in range(4))
    scratch: dict = {}
    use_kernel = kernels.available(parameter)

    def update() -> None:
        if use_kernel:
            adam.compiled(gradient, parameter, m, v, *ADAM_SCALARS)
        else:
            adam.numpy(gradient, parameter, m, v, *ADAM_SCALARS, scratch=scratch)

    return {
        "floor": gemm_floor(sizes, batch),
        "stream": lambda: np.add(m, v, out=m),
        "adam": update,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="medium,deep,large")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="deep only, one round: smoke run")
    args = parser.parse_args()
    if args.quick:
        args.configs, args.rounds, args.repeats = "deep", 1, 3
    configs = args.configs.split(",")
    for config in configs:
        if config not in ALLOWED:
            parser.error(f"unknown config {config!r}; choose from {', '.join(ALLOWED)}")

    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    steps = {config: steps_for(config) for config in configs}
    times: dict = {(c, name): [] for c in configs for name in ("floor", "stream", "adam")}
    for round_number in range(args.rounds):
        order = configs[round_number % len(configs) :] + configs[: round_number % len(configs)]
        for config in order:
            for name, step in steps[config].items():
                times[config, name].append(median_ms(step, args.repeats, warmup=1))
    print(f"load average after: {os.getloadavg()}")

    median = {key: statistics.median(values) for key, values in times.items()}
    counts = {c: weight_count(CONFIGS[c][0]) for c in configs}
    fastest = max(12 * counts[c] / median[c, "stream"] / 1e6 for c in configs)  # GB/s
    on_kernel = kernels.available(np.zeros(min(counts.values()), np.float32))
    executor = "numba kernel" if on_kernel else "NumPy plan"
    print(f"\nms, median over {args.rounds} rounds (spread max/min); Adam: the {executor}")
    print(f"fastest streaming rate in this run: {fastest:.1f} GB/s (a += b, 12 B per element)\n")
    print(
        "| config | weights | GEMM floor | a += b | Adam's update | 24 B per weight at "
        f"{fastest:.1f} GB/s | that, x the floor | the target allows |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for config in configs:
        cells = []
        for name in ("floor", "stream", "adam"):
            values = times[config, name]
            cells.append(f"{median[config, name]:.2f} (×{max(values) / min(values):.2f})")
        least = 24 * counts[config] / fastest / 1e6
        floor = median[config, "floor"]
        print(
            f"| {config} | {counts[config]:,} | {' | '.join(cells)} | {least:.2f} "
            f"| {1 + least / floor:.2f}x | {ALLOWED[config]:.2f}x |"
        )


if __name__ == "__main__":
    main()

"""Where a training step's run-to-run spread comes from: thread settings, interleaved.

The compiled step shares the machine's cores between OpenBLAS's threads (the matrix
products), numba's (none: deepgrad's kernels are serial, but the pool may start) and
anything else running. This times one step, ``suite.py``'s worker in a fresh process, under
each thread setting below, the settings interleaved round by round (every setting once per
round, the order rotated), and reports per setting the median over rounds of each
process's median step, the minimum, the spread (max/min over rounds) and the step's spread
inside a process (its 90th percentile over its median), with the load average before and
after:

    python benchmarks/threads.py                                   # tiny, medium, deep; SGD
    python benchmarks/threads.py --configs medium --rounds 7
    python benchmarks/threads.py --frameworks "GEMM floor,JAX jit"  # the same, for others
    python benchmarks/threads.py --quick                           # smoke run (CI)

The GEMM floor (bare ``numpy.matmul`` calls at the step's shapes) tells whether a spread is
OpenBLAS's own. Results go to benchmarks/results/threads.json and threads.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import machine
from fresh_process import run_worker
from suite import CONFIGS, batches, gemm_floor, initial_weights

# name -> environment. "blas" is OpenBLAS's (and OpenMP's) thread count, "numba" numba's.
SETTINGS = {
    "blas 2, numba 2": {"OPENBLAS_NUM_THREADS": "2", "NUMBA_NUM_THREADS": "2"},
    "blas 1, numba 2": {"OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "2"},
    "blas 2, numba 1": {"OPENBLAS_NUM_THREADS": "2", "NUMBA_NUM_THREADS": "1"},
    "blas 1, numba 1": {"OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"},
    # OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s) before they sleep; 2^4:
    # at once. Read when OpenBLAS loads (with NumPy), so only the environment can set it.
    "blas 2, short spin": {
        "OPENBLAS_NUM_THREADS": "2",
        "NUMBA_NUM_THREADS": "2",
        "OPENBLAS_THREAD_TIMEOUT": "4",
    },
    "blas 2, numba 2 (omp layer)": {
        "OPENBLAS_NUM_THREADS": "2",
        "NUMBA_NUM_THREADS": "2",
        "NUMBA_THREADING_LAYER": "omp",
    },
}


def worker(framework: str, config: str, optimizer: str, steps: int, out: Path) -> None:
    """In a fresh process: build, warm up, time ``steps`` steps, report."""
    from frameworks import FRAMEWORKS

    sizes, batch = CONFIGS[config]
    data = batches(sizes, batch)
    if framework == "GEMM floor":
        step = gemm_floor(sizes, batch)
    else:
        step = FRAMEWORKS[framework](initial_weights(sizes), optimizer)
    for i in range(10):  # recording, compilation and the first replays
        step(*data[i % len(data)])
    times = []
    for i in range(steps):
        begin = time.perf_counter()
        step(*data[i % len(data)])
        times.append(time.perf_counter() - begin)
    median = statistics.median(times)
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else -1
    out.write_text(
        json.dumps(
            {
                "ms": median * 1e3,
                "p90_over_median": float(np.percentile(times, 90)) / median,
                "threads": threads,
            }
        )
    )


def measure(setting: str, framework: str, config: str, optimizer: str, steps: int) -> dict | None:
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", **SETTINGS[setting]}
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
    arguments = [framework, config, optimizer, steps]
    return run_worker(__file__, arguments, env, f"{setting} {framework} {config}")


def summary(runs: list[dict]) -> dict:
    values = [r["ms"] for r in runs]
    return {
        "median_ms": statistics.median(values),
        "min_ms": min(values),
        "spread": max(values) / min(values),
        "in_process_p90": statistics.median(r["p90_over_median"] for r in runs),
        "threads": max(r["threads"] for r in runs),
        "rounds_ms": values,
    }


def table(results: dict) -> str:
    lines = [
        "| row | setting | median ms | min ms | spread over rounds | p90/median in a run "
        "| threads |",
        "|---|---|---|---|---|---|---|",
    ]
    for row, settings in results.items():
        for setting, s in settings.items():
            lines.append(
                f"| {row} | {setting} | {s['median_ms']:.2f} | {s['min_ms']:.2f} "
                f"| ×{s['spread']:.2f} | ×{s['in_process_p90']:.2f} | {s['threads']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--configs", default="tiny,medium,deep")
    parser.add_argument("--optimizers", default="sgd")
    parser.add_argument("--frameworks", default="deepgrad compiled")
    parser.add_argument("--settings", default=";".join(list(SETTINGS)[:4]), help="; between")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny, two settings, 1 round")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        framework, config, optimizer, steps, out = args.worker
        worker(framework, config, optimizer, int(steps), Path(out))
        return
    if args.quick:
        args.configs, args.rounds, args.steps = "tiny", 1, 5
        args.settings = "blas 2, numba 2;blas 1, numba 1"
    settings = [s.strip() for s in args.settings.split(";") if s.strip()]
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; known: {list(SETTINGS)}")
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    raw: dict = {}
    for round_number in range(args.rounds):
        for config in args.configs.split(","):
            for optimizer in args.optimizers.split(","):
                for framework in args.frameworks.split(","):
                    shift = round_number % len(settings)
                    for setting in settings[shift:] + settings[:shift]:
                        result = measure(setting, framework, config, optimizer, args.steps)
                        if result is not None:
                            row = raw.setdefault(f"{config}/{optimizer} {framework}", {})
                            row.setdefault(setting, []).append(result)
        print(f"round {round_number + 1}/{args.rounds} done, load {os.getloadavg()}")
    results = {
        row: {setting: summary(runs) for setting, runs in settings_runs.items()}
        for row, settings_runs in raw.items()
    }
    if not results:
        raise SystemExit("every run failed: nothing was measured")
    report = table(results)
    print(f"\none step, median over {args.rounds} rounds of each process's median")
    print(report)
    print(f"\nload average after: {os.getloadavg()}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "threads.json").write_text(json.dumps(results, indent=2))
    (args.out / "threads.md").write_text(report + "\n")


if __name__ == "__main__":
    main()

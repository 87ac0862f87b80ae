"""The training-step benchmark: deepgrad against PyTorch (eager and torch.compile), JAX
jit, HIPS autograd, a hand-written NumPy backprop, and the GEMM floor, side by side.

Each (configuration, optimizer, framework) runs in its own process with 2 threads
everywhere, from the same initial weights on the same batches, in ``--rounds`` rounds
(every framework once per round, order rotated; five by default). Reported per row: each
run's median ms per step, summarised over the rounds as their median (what a user meets),
minimum and spread (max/min); samples/s; by the medians, the ratio to the GEMM floor (the
step's matrix products timed as bare ``numpy.matmul`` calls at its exact shapes) and to
the best competitor; the warm-up (first step, compilation included), peak resident memory
and the load average. The losses after 10 steps must agree across frameworks, or the
timings mean nothing.

    python benchmarks/suite.py                        # every configuration (minutes)
    python benchmarks/suite.py --configs tiny,small   # some
    python benchmarks/suite.py --quick                # smoke run (CI)
    python benchmarks/suite.py --device gpu           # on an NVIDIA GPU (CuPy, CUDA builds)

``--device gpu`` runs deepgrad on CuPy (eager, compiled), PyTorch on CUDA (eager,
torch.compile) and JAX on its GPU backend (benchmarks/frameworks_gpu.py) on every
configuration plus ``large-gpu``, with the GEMM floor timed as CuPy matmuls; it stops with
a clear message where there is no GPU. Results go to suite_gpu.json and .md.

Frameworks that are not installed are skipped (``pip install -e ".[dev,bench]"`` has them
all). Results go to benchmarks/results/suite.json and .md.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import machine
import numpy as np
from fresh_process import MKL, mkl_installed, row_environment, run_worker

GPU_CONFIGS = {"large-gpu": ([8192, 8192, 8192, 1000], 4096)}  # fills a GPU, not a CPU
CONFIGS = {
    "tiny": ([784, 128, 10], 64),
    "small": ([784, 256, 256, 10], 128),
    "medium": ([784, 1024, 1024, 10], 256),
    "large": ([2048, 4096, 4096, 1000], 512),
    "deep": ([784, *[256] * 16, 10], 128),
}
THREADS = "2"
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
CHECK_STEPS = 10


def initial_weights(sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Glorot-uniform kernels and zero biases, the same for every framework."""
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        limit = np.sqrt(6 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        weights.append((kernel, np.zeros(fan_out, np.float32)))
    return weights


def batches(sizes: list[int], batch: int, count: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(1)
    return [
        (
            rng.standard_normal((batch, sizes[0])).astype(np.float32),
            rng.integers(0, sizes[-1], batch).astype(np.int64),
        )
        for _ in range(count)
    ]


def gemm_floor(sizes: list[int], batch: int) -> Callable:
    """The step's matrix products alone: a·W forward, aᵀ·δ and δ·Wᵀ backward (none for
    the input's gradient)."""
    weights = [w for w, _ in initial_weights(sizes)]
    rng = np.random.default_rng(2)
    activations = [rng.standard_normal((batch, n)).astype(np.float32) for n in sizes]

    def step(*_):
        for a, w in zip(activations, weights, strict=False):
            a @ w
        for layer, w in enumerate(weights):
            activations[layer].T @ activations[layer + 1]
            if layer > 0:
                activations[layer + 1] @ w.T
        return 0.0

    return step


def worker(framework: str, config: str, optimizer: str, steps: int, out: Path) -> None:
    """Run in a fresh process: build, warm up, time, report."""
    sys.path.insert(0, str(Path(__file__).parent))
    from frameworks import FRAMEWORKS

    sizes, batch = {**CONFIGS, **GPU_CONFIGS}[config]
    data = batches(sizes, batch)
    start = time.perf_counter()
    if os.environ.get("DEEPGRAD_BENCH_DEVICE") == "gpu":
        from frameworks_gpu import GPU_FRAMEWORKS, gemm_floor_gpu

        if framework == "GEMM floor":
            step = gemm_floor_gpu(sizes, batch, initial_weights(sizes))
        else:
            step = GPU_FRAMEWORKS[framework](initial_weights(sizes), optimizer)
    elif framework == "GEMM floor":
        step = gemm_floor(sizes, batch)
    else:
        step = FRAMEWORKS[framework](initial_weights(sizes), optimizer)
    losses = [step(*data[0])]
    warmup = time.perf_counter() - start
    for i in range(1, CHECK_STEPS):
        losses.append(step(*data[i % len(data)]))
    times = []
    for i in range(steps):
        begin = time.perf_counter()
        step(*data[i % len(data)])
        times.append(time.perf_counter() - begin)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    out.write_text(
        json.dumps(
            {
                "ms": statistics.median(times) * 1e3,
                "warmup_s": warmup,
                "peak_mib": peak,
                "losses": losses,
            }
        )
    )


def measure(
    framework: str, config: str, optimizer: str, steps: int, device: str = "cpu"
) -> dict | None:
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, THREADS)}
    env["DEEPGRAD_BENCH_DEVICE"] = device
    env.update(row_environment(framework))
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
    return run_worker(__file__, [framework, config, optimizer, steps], env, framework)


def over_rounds(runs: list[dict]) -> dict:
    """One framework's rounds of a row: the round with the median time stands for them (its
    losses, warm-up and memory), with the minimum, the spread (max/min) and every round."""
    ranked = sorted(runs, key=lambda r: r["ms"])
    times = [r["ms"] for r in runs]
    return {
        **ranked[(len(ranked) - 1) // 2],
        "ms": statistics.median(times),
        "min_ms": min(times),
        "spread": max(times) / min(times),
        "rounds_ms": times,
    }


def available(framework: str) -> bool:
    sys.path.insert(0, str(Path(__file__).parent))
    from frameworks import REQUIRES

    if framework.endswith(MKL) and not mkl_installed():
        return False
    module = REQUIRES.get(framework)
    return module is None or importlib.util.find_spec(module) is not None


def table(results: dict) -> str:
    frameworks = sorted({f for row in results.values() for f in row}, key=ORDER.index)
    lines = [
        "| config/opt | " + " | ".join(frameworks) + " |",
        "|---|" + "---|" * len(frameworks),
    ]
    for row_name, row in results.items():
        floor = row.get("GEMM floor", {}).get("ms")
        competitors = [r["ms"] for f, r in row.items() if not f.startswith(("deepgrad", "GEMM"))]
        best = min(competitors) if competitors else None
        cells = []
        for framework in frameworks:
            result = row.get(framework)
            if result is None:
                cells.append("—")
                continue
            notes = [f"min {result['min_ms']:.2f}", f"×{result['spread']:.2f}"]
            if floor and framework != "GEMM floor":
                notes.append(f"{result['ms'] / floor:.2f}x floor")
            if framework.startswith("deepgrad") and best:
                notes.append(f"{result['ms'] / best:.2f}x best")
            cells.append(f"{result['ms']:.2f} ({', '.join(notes)})")
        lines.append(f"| {row_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def throughput_table(results: dict) -> str:
    """Samples per second of every framework, row by row."""
    frameworks = [
        f
        for f in sorted({f for row in results.values() for f in row}, key=ORDER.index)
        if f != "GEMM floor"
    ]
    lines = ["| config/opt | " + " | ".join(frameworks) + " |", "|---|" + "---|" * len(frameworks)]
    for row_name, row in results.items():
        batch = {**CONFIGS, **GPU_CONFIGS}[row_name.split("/")[0]][1]
        cells = [f"{batch / row[f]['ms'] * 1e3:,.0f}" if f in row else "—" for f in frameworks]
        lines.append(f"| {row_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


ORDER = [
    "GEMM floor",
    "deepgrad eager",
    "deepgrad compiled",
    "deepgrad train_on_batch",
    "deepgrad compiled (MKL)",
    "deepgrad train_on_batch (MKL)",
    "PyTorch eager",
    "torch.compile",
    "JAX jit",
    "HIPS autograd",
    "NumPy by hand",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--frameworks", default=",".join(ORDER))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--quick", action="store_true", help="tiny/sgd, 3 frameworks, 5 steps")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        framework, config, optimizer, steps, out = args.worker
        worker(framework, config, optimizer, int(steps), Path(out))
        return
    if args.quick:
        args.configs, args.optimizers, args.steps, args.rounds = "tiny", "sgd", 5, 1
        args.frameworks = "GEMM floor,deepgrad eager,deepgrad compiled,NumPy by hand"
    frameworks = [f for f in args.frameworks.split(",") if f in ORDER]
    if args.device == "gpu":
        sys.path.insert(0, str(Path(__file__).parent))
        from frameworks_gpu import GPU_FRAMEWORKS, gpu_missing

        missing = gpu_missing()
        if missing:
            raise SystemExit(f"suite.py --device gpu: {missing}; run it on an NVIDIA GPU machine")
        frameworks = [f for f in frameworks if f in GPU_FRAMEWORKS or f == "GEMM floor"]
        if args.configs == ",".join(CONFIGS):
            args.configs = ",".join([*CONFIGS, *GPU_CONFIGS])
    for framework in frameworks:
        if not available(framework):
            print(f"{framework}: not installed, skipped")
    frameworks = [f for f in frameworks if available(f)]
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    results, memory, disagreements = {}, {}, []
    for config in args.configs.split(","):
        for optimizer in args.optimizers.split(","):
            runs: dict[str, list[dict]] = {}
            for round_number in range(args.rounds):
                # Each round runs every framework once, in a rotated order, so that the
                # machine's slow minutes fall on all of them alike (docs/benchmarks.md,
                # "Measuring on a noisy machine").
                shift = round_number % len(frameworks)
                for framework in frameworks[shift:] + frameworks[:shift]:
                    result = measure(framework, config, optimizer, args.steps, args.device)
                    if result is not None:
                        runs.setdefault(framework, []).append(result)
            row = results[f"{config}/{optimizer}"] = {f: over_rounds(r) for f, r in runs.items()}
            for framework, result in row.items():
                memory.setdefault(config, {})[framework] = result["peak_mib"]
            disagreements += check_losses(f"{config}/{optimizer}", row)
            print(
                f"{config}/{optimizer} (load {os.getloadavg()[0]:.2f}): "
                + ", ".join(
                    f"{f} {r['ms']:.2f} ms (min {r['min_ms']:.2f}, ×{r['spread']:.2f})"
                    for f, r in row.items()
                )
            )
    report = table(results)
    warmups = {
        row: {f: round(r["warmup_s"], 2) for f, r in v.items()} for row, v in results.items()
    }
    print(
        f"\nms/step, median over {args.rounds} rounds of each run's median step (minimum and "
        "spread max/min over the rounds; by the medians: the ratio to the GEMM floor and "
        "deepgrad's ratio to the best competitor)"
    )
    print(report)
    throughput = throughput_table(results)
    print("\nthroughput, samples/s")
    print(throughput)
    print("\nwarm-up (first step, compilation included), seconds:", json.dumps(warmups))
    print(
        "peak resident memory, MiB:",
        json.dumps({c: {f: round(m) for f, m in v.items()} for c, v in memory.items()}),
    )
    print(f"load average after: {os.getloadavg()}")
    args.out.mkdir(parents=True, exist_ok=True)
    name = "suite" if args.device == "cpu" else "suite_gpu"
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=2))
    (args.out / f"{name}.md").write_text(report + "\n\n" + throughput + "\n")
    if disagreements:
        raise SystemExit("\n".join(disagreements))


def check_losses(row_name: str, row: dict) -> list[str]:
    """Every framework's loss after the same 10 steps agrees with the median: to 0.5% with
    SGD; to 2% with Adam, whose first steps move each weight by about lr·sign(g), so a
    gradient component near zero that rounds to the other sign in another framework's
    matrix products moves its weight the other way (on the large net's 25M weights, 10
    Adam steps leave PyTorch eager and torch.compile, the same maths, about 1% apart).
    Returns the disagreements (the run goes on and fails at the end)."""
    finals = {f: r["losses"][-1] for f, r in row.items() if f != "GEMM floor"}
    if not finals:
        return []
    reference = float(np.median(list(finals.values())))
    tolerance = 2e-2 if row_name.endswith("/adam") else 5e-3
    spread = max(abs(loss / reference - 1) for loss in finals.values())
    print(f"{row_name}: losses after {CHECK_STEPS} steps agree to {spread:.2%}")
    return [
        f"{row_name}: {framework}'s loss after {CHECK_STEPS} steps is {loss:.6f}, the median "
        f"{reference:.6f}: beyond {tolerance:.1%}, the frameworks do not compute the same step"
        for framework, loss in finals.items()
        if not np.isclose(loss, reference, rtol=tolerance, atol=1e-4)
    ]


if __name__ == "__main__":
    main()

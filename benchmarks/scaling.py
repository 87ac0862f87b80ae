"""How the training step scales, and whether memory stays flat over a long run.

1. Step time (SGD, median ms) against the batch size (net 784-256-256-10) and against
   the width (784-w-w-10, batch 128), for deepgrad eager and compiled, PyTorch eager,
   JAX jit and NumPy by hand, each framework in its own process with 2 threads; a
   log-log plot when matplotlib is installed.
2. Resident memory over 10,000 training steps (tiny net, deepgrad compiled and eager):
   sampled every 1,000 steps; "flat" means it grows by less than 1 MiB after the first
   1,000 (the first steps load code and fill caches).

    python benchmarks/scaling.py            # both (a few minutes)
    python benchmarks/scaling.py --quick    # smoke run (CI)

Results go to benchmarks/results/scaling.json (and scaling.png).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from suite import THREAD_VARIABLES, THREADS, available, batches, initial_weights

FRAMEWORKS = ["deepgrad eager", "deepgrad compiled", "PyTorch eager", "JAX jit", "NumPy by hand"]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
WIDTHS = [64, 128, 256, 512, 1024, 2048]


def step_times(framework: str, shapes: list[tuple[list[int], int]], steps: int) -> list[float]:
    """Median ms/step for each (sizes, batch), in this process."""
    from frameworks import FRAMEWORKS as BUILDERS

    results = []
    for sizes, batch in shapes:
        step = BUILDERS[framework](initial_weights(sizes), "sgd")
        data = batches(sizes, batch)
        for i in range(5):  # warm up (and record, for the compiled step)
            step(*data[i % len(data)])
        times = []
        for i in range(steps):
            start = time.perf_counter()
            step(*data[i % len(data)])
            times.append(time.perf_counter() - start)
        results.append(statistics.median(times) * 1e3)
    return results


def memory_over_time(framework: str, total: int, every: int) -> list[float]:
    """Resident memory (MiB) every ``every`` steps of ``total``, tiny net, SGD."""
    from frameworks import FRAMEWORKS as BUILDERS

    sizes, batch = [784, 128, 10], 64
    step = BUILDERS[framework](initial_weights(sizes), "sgd")
    data = batches(sizes, batch)
    samples = []
    for i in range(1, total + 1):
        step(*data[i % len(data)])
        if i % every == 0:
            samples.append(_resident_mib())
    return samples


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:  # resident pages now (not the peak)
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def in_subprocess(task: str, framework: str, arguments: dict) -> object:
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, THREADS)}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        payload = json.dumps({"task": task, "framework": framework, **arguments})
        done = subprocess.run(
            [sys.executable, __file__, "--worker", payload, str(out)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"  {framework}: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
        return json.loads(out.read_text())


def worker(payload: str, out: str) -> None:
    job = json.loads(payload)
    if job["task"] == "time":
        shapes = [(sizes, batch) for sizes, batch in job["shapes"]]
        result = step_times(job["framework"], shapes, job["steps"])
    else:
        result = memory_over_time(job["framework"], job["total"], job["every"])
    Path(out).write_text(json.dumps(result))


def plot(results: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, (key, xs, label) in zip(
        axes,
        [
            ("batch", BATCHES, "batch size (784-256-256-10)"),
            ("width", WIDTHS, "width w (784-w-w-10, batch 128)"),
        ],
        strict=True,
    ):
        for framework, times in results[key].items():
            axis.loglog(xs[: len(times)], times, marker="o", label=framework)
        axis.set_xlabel(label)
        axis.set_ylabel("ms per SGD step")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    figure.suptitle("Training-step time against size (2 cores, float32)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    frameworks = [f for f in FRAMEWORKS if available(f)]
    batch_sizes, widths, steps, total, every = BATCHES, WIDTHS, 20, 10_000, 1_000
    if args.quick:
        frameworks = ["deepgrad eager", "deepgrad compiled"]
        batch_sizes, widths, steps, total, every = [16, 64], [64, 128], 3, 300, 100
    results: dict = {"batch": {}, "width": {}, "memory_mib": {}}
    for framework in frameworks:
        by_batch = [([784, 256, 256, 10], b) for b in batch_sizes]
        by_width = [([784, w, w, 10], 128) for w in widths]
        for key, shapes in (("batch", by_batch), ("width", by_width)):
            times = in_subprocess("time", framework, {"shapes": shapes, "steps": steps})
            if times is not None:
                results[key][framework] = times
                print(f"{framework} by {key}: " + ", ".join(f"{t:.2f}" for t in times))
    for framework in ("deepgrad compiled", "deepgrad eager"):
        samples = in_subprocess("memory", framework, {"total": total, "every": every})
        if samples is not None:
            results["memory_mib"][framework] = samples
            growth = samples[-1] - samples[0]
            verdict = "flat" if growth < 1.0 else "GROWS"
            print(
                f"{framework}: resident memory {samples[0]:.1f} MiB after {every} steps, "
                f"{samples[-1]:.1f} after {total} ({growth:+.2f} MiB: {verdict})"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scaling.json").write_text(json.dumps(results, indent=2))
    if not args.quick and plot(results, args.out / "scaling.png"):
        print(f"plot: {args.out / 'scaling.png'}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest child peak resident memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()

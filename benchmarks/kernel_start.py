"""What numba's start-up adds to a compiled ``fit``'s first epoch, kernel by kernel.

Each worker is a fresh process that imports deepgrad and numba (timed), builds
``benchmarks/fit.py``'s model, and fits two epochs with the kernels from the first step
(``DEEPGRAD_FUSED=1``: an imported numba is no longer a started kernel, so ``fit`` would
otherwise choose) and every numba kernel's first call timed apart: with a warm on-disk
cache that call loads the kernel, with a cold one (``NUMBA_CACHE_DIR`` in a new folder)
it compiles it, and the first of them also pays numba's set-up (the timing wrapper adds a
counter to every kernel call, well under a microsecond). Warm and cold workers alternate
round by round; each row reports the median over the rounds (min, spread).

    python benchmarks/kernel_start.py --configs tiny --optimizers sgd,adam --rounds 3
    python benchmarks/kernel_start.py --quick        # smoke run (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import machine
from fit import CONFIGS, THREAD_VARIABLES, THREADS, build_deepgrad, make_data
from fresh_process import run_worker


def worker(config: str, optimizer: str, samples: int, out: Path) -> None:
    sizes, batch = CONFIGS[config]
    x, y = make_data(sizes, samples)
    import deepgrad as dg
    from deepgrad import kernels

    first_calls: list[tuple[str, float]] = []
    names: list[str] = []
    make_kernel = kernels.numba_kernel

    def timed_kernel(function):
        dispatcher = make_kernel(function)
        name = function.__qualname__.replace("<locals>.", "")
        made = sum(1 for kernel in names if kernel.startswith(name))
        name += f" #{made + 1}" if made else ""  # fusion.py makes one loop per rule
        names.append(name)
        calls = 0

        def run(*args):
            nonlocal calls
            calls += 1
            if calls > 1:
                return dispatcher(*args)
            start = time.perf_counter()
            result = dispatcher(*args)
            first_calls.append((name, time.perf_counter() - start))
            return result

        return run

    kernels.numba_kernel = timed_kernel  # every kernel is made through it, on first use
    start = time.perf_counter()
    import numba  # noqa: F401  (what the first kernel would import)

    import_s = time.perf_counter() - start
    model = build_deepgrad(sizes, optimizer, True)
    ends = []

    class Clock(dg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0, callbacks=[Clock()])
    result = {
        "import numba": import_s,
        "first epoch": ends[0] - start,
        "second epoch": ends[1] - ends[0],
        "kernels": first_calls,
    }
    out.write_text(json.dumps(result))


def measure(config: str, optimizer: str, samples: int, cold: bool) -> dict | None:
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, THREADS), "DEEPGRAD_FUSED": "1"}
    arguments = [config, optimizer, samples]
    label = f"{config}/{optimizer} ({'cold' if cold else 'warm'})"
    if not cold:
        return run_worker(__file__, arguments, env, label)
    with tempfile.TemporaryDirectory() as cache:
        return run_worker(__file__, arguments, {**env, "NUMBA_CACHE_DIR": cache}, label)


def summary(values: list[float]) -> str:
    """Median (min, spread); a part that took no time in some round (no kernel ran) has no
    spread."""
    spread = f"×{max(values) / min(values):.2f}" if min(values) > 0 else "no spread: a zero"
    return f"{statistics.median(values):.3f} (min {min(values):.3f}, {spread})"


def report(runs: list[dict]) -> list[str]:
    """One line per timed part: its median over the runs (min, spread), in seconds."""
    parts = {
        key: [run[key] for run in runs] for key in ("import numba", "first epoch", "second epoch")
    }
    for run in runs:
        parts.setdefault("all kernels' first calls", []).append(sum(t for _, t in run["kernels"]))
        for name, seconds in run["kernels"]:
            parts.setdefault(f"  {name}", []).append(seconds)
    return [f"| {part} | {summary(values)} |" for part, values in parts.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="tiny")
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny/sgd, 1024 samples, 1 round")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        config, optimizer, samples, out = args.worker
        worker(config, optimizer, int(samples), Path(out))
        return
    if args.quick:
        args.configs, args.optimizers, args.samples, args.rounds = "tiny", "sgd", 1024, 1
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    for config in args.configs.split(","):
        for optimizer in args.optimizers.split(","):
            runs: dict[bool, list[dict]] = {False: [], True: []}
            for round_index in range(args.rounds):
                for cold in (False, True) if round_index % 2 == 0 else (True, False):
                    result = measure(config, optimizer, args.samples, cold)
                    if result is not None:
                        runs[cold].append(result)
            for cold, results in runs.items():
                if results:
                    cache = "cold cache: compiled" if cold else "warm cache: loaded"
                    print(f"\n{config}/{optimizer}, {cache}; seconds, median over {len(results)}")
                    print("| part | seconds |\n|---|---|")
                    print("\n".join(report(results)))
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

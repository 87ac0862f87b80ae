"""What ``fit``'s progress display costs per batch: ``verbose=1`` (a bar) and ``verbose=2``
(a line per epoch) against ``verbose=0``, on a net so small that the step is cheap and
the loop around it shows.

Each process fits one model (8-16-4, SGD, accuracy metric, 8,192 samples in batches of
64) for ``--epochs`` one-epoch fits per setting, the three settings alternating fit by
fit, so a slow minute of the machine falls on all three; it reports the medians'
differences, which is what the display adds to a batch. ``--processes`` fresh processes
are run; with ``--baseline FOLDER`` (another deepgrad's source, say a worktree's src) its
processes alternate with this tree's, to show what a change did. The output goes to a
string, so the bar is formatted and written as on a terminal but not displayed.

    python benchmarks/progress.py --processes 6
    git worktree add /tmp/base HEAD~1 && python benchmarks/progress.py --baseline /tmp/base/src
    python benchmarks/progress.py --quick     # smoke run (CI)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import machine

SETTINGS = (0, 1, 2)


def worker(epochs: int) -> dict:
    """µs per batch of one-epoch fits at each verbose setting, alternating, in this process."""
    sys.path.insert(0, str(Path(__file__).parent))
    from fit import build_deepgrad, make_data

    sizes, batch = [8, 16, 4], 64
    x, y = make_data(sizes, 8192)
    model = build_deepgrad(sizes, "sgd", True)
    steps = len(x) // batch
    times: dict[int, list[float]] = {v: [] for v in SETTINGS}
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
        model.fit(x, y, batch_size=batch, epochs=1, verbose=1)  # compile, import tqdm
        for round_number in range(epochs):
            order = SETTINGS if round_number % 2 else SETTINGS[::-1]
            for verbose in order:
                start = time.perf_counter()
                model.fit(x, y, batch_size=batch, epochs=1, verbose=verbose)
                times[verbose].append((time.perf_counter() - start) / steps * 1e6)
    medians = {v: statistics.median(t) for v, t in times.items()}
    return {
        "batch_us": medians[0],
        "bar_us": medians[1] - medians[0],
        "lines_us": medians[2] - medians[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--processes", type=int, default=6, help="fresh processes per tree")
    parser.add_argument("--epochs", type=int, default=15, help="fits per setting per process")
    parser.add_argument("--baseline", type=Path, help="another deepgrad's source folder")
    parser.add_argument("--quick", action="store_true", help="one process, three fits each")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker)))
        return
    if args.quick:
        args.processes, args.epochs = 1, 3
    trees = {"this tree": None}
    if args.baseline is not None:
        if not (args.baseline / "deepgrad" / "__init__.py").is_file():
            parser.error(f"--baseline {args.baseline}: no deepgrad package in that folder")
        trees["baseline"] = str(args.baseline.resolve())
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for process in range(args.processes):
        names = list(trees) if process % 2 == 0 else list(trees)[::-1]
        for name in names:
            env = dict(os.environ)
            if trees[name] is not None:
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [trees[name], env.get("PYTHONPATH")])
                )
            command = [sys.executable, __file__, "--worker", str(args.epochs)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(done.stdout.splitlines()[-1]))
    print(f"load average after: {os.getloadavg()}\n")
    print(f"µs per batch; medians over {args.processes} processes (each process's range after)")
    print("| tree | a batch at verbose=0 | verbose=1 adds | verbose=2 adds |")
    print("|---|---|---|---|")
    for name, runs in results.items():
        cells = []
        for key in ("batch_us", "bar_us", "lines_us"):
            values = [run[key] for run in runs]
            cells.append(
                f"{statistics.median(values):.1f} ({min(values):.1f} to {max(values):.1f})"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Per-op cost as CPU instructions, counted by valgrind: a measure the machine's noise cannot move.

``benchmarks/overhead.py`` times 50 chained elementwise ops (multiply, add, tanh) on 16
float32 elements, a sum and the gradient; on a shared machine the same row moves by 10–40%
between runs, more than most changes to the engine's hot path. This script runs the same
steps under valgrind's ``cachegrind`` (``--cache-sim=no``: it only counts the instructions
executed) and reports the instructions per op: a process that makes ``2n`` steps less one
that makes ``n`` (after the same warm-up), divided by ``n`` and by the 50 ops, so that
Python's start-up, the imports and the warm-up cancel out. Hash randomisation is off in the
counted processes (``PYTHONHASHSEED=0``), so a rerun gives the same counts within a few
dozen instructions per op (the garbage collector's timing moves them slightly).

Instructions are not time: NumPy's and PyTorch's C code retires more instructions per cycle
than Python's interpreter loop, so compare deepgrad with deepgrad (two revisions, or the
tape with the minimal tape), and read the ratios to PyTorch as a guide only. The frameworks
are ``overhead.py``'s; the forward-only rows count the forward pass (the recording included),
so a tape's backward pass is the difference.

    python benchmarks/instructions.py                     # deepgrad, the minimal tape, PyTorch
    python benchmarks/instructions.py --baseline HEAD~1   # the working tree against a revision
    python benchmarks/instructions.py --quick             # smoke run (CI)

Needs valgrind (``apt-get install valgrind``); without it the script says so and stops.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))

from overhead import COMPETITORS, N_OPS  # noqa: E402  (beside this script)

DEFAULT = [
    "deepgrad (tape)",
    "deepgrad tape (forward only)",
    "minimal Python tape (by hand)",
    "minimal Python tape (forward only)",
    "PyTorch eager",
    "NumPy (forward only)",
]

# What a counted process runs: ``overhead.py``'s step for one framework, warmed up, then
# called the given number of times.
CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
import overhead
x0, c = overhead.make_inputs()
step = overhead.COMPETITORS[sys.argv[2]](x0, c)
for _ in range(20):
    step()
for _ in range(int(sys.argv[3])):
    step()
"""


def count_instructions(framework: str, steps: int, source: Path) -> int:
    """Instructions executed by a Python process that makes ``steps`` steps of ``framework``
    with deepgrad imported from ``source`` (a ``src`` folder)."""
    environment = dict(
        os.environ,
        PYTHONPATH=str(source),
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-c",
        CHILD,
        str(BENCHMARKS),
        framework,
        str(steps),
    ]
    done = subprocess.run(command, env=environment, capture_output=True, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run of {framework!r} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_op(framework: str, steps: int, source: Path) -> float:
    """Instructions per op: ``2·steps`` steps less ``steps`` steps, over ``steps·N_OPS``."""
    more = count_instructions(framework, 2 * steps, source)
    fewer = count_instructions(framework, steps, source)
    return (more - fewer) / steps / N_OPS


def source_at(revision: str, folder: Path) -> Path:
    """deepgrad's ``src`` folder at a git revision, exported into ``folder``."""
    archive = folder / "source.tar"
    subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--output", str(archive), revision, "src"],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, two rows: a smoke run")
    parser.add_argument("--steps", type=int, default=100, help="n: 2n steps less n steps")
    parser.add_argument(
        "--frameworks",
        default=",".join(DEFAULT),
        help="comma-separated subset of: " + ", ".join(COMPETITORS),
    )
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also count deepgrad's rows with the src folder of this git revision",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind): nothing counted")
        return
    if args.quick:
        args.steps, args.frameworks = 5, "deepgrad (tape),minimal Python tape (by hand)"
    names = args.frameworks.split(",")
    for name in names:
        if name not in COMPETITORS:
            parser.error(f"unknown framework {name!r}; choose from {', '.join(COMPETITORS)}")

    with tempfile.TemporaryDirectory() as scratch:
        sources = {"": REPOSITORY / "src"}
        if args.baseline:
            sources = {f" at {args.baseline}": source_at(args.baseline, Path(scratch)), **sources}
        rows = {}
        for label, source in sources.items():
            for name in names:
                if label and not name.startswith("deepgrad"):
                    continue  # the other frameworks do not depend on deepgrad's revision
                rows[name + label] = per_op(name, args.steps, source)
                print(f"counted {name + label}: {rows[name + label]:,.0f}", flush=True)

    torch_count = rows.get("PyTorch eager")
    print(f"\n{N_OPS} chained ops on 16 float32 elements: instructions per op (valgrind)\n")
    print("| framework | instructions per op | ratio to PyTorch eager |")
    print("|---|---:|---:|")
    for name, count in rows.items():
        ratio = f"{count / torch_count:.2f}x" if torch_count else "n/a"
        print(f"| {name} | {count:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()

"""Data-parallel throughput on MPI: the medium net (784-1024-1024-10, global batch 256,
SGD) on 1 and 2 processes of this machine, the time spent in the gradient Allreduce, and
the Allreduce cost per megabyte from which docs/distributed.md projects N machines.

    python benchmarks/distributed_throughput.py            # launches mpiexec -n 1 and -n 2
    python benchmarks/distributed_throughput.py --quick    # smoke run (CI)

The machine's cores are shared out: one process gets 2 BLAS threads, two processes 1
each, so both runs use the same 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = [784, 1024, 1024, 10]
BATCH = 256


def worker(steps: int, out: Path) -> None:
    """Run under mpiexec: time ``steps`` training steps and raw Allreduces."""
    import deepgrad as dg
    from deepgrad import distributed, layers, losses, optimizers

    distributed.init()
    rank, size = distributed.rank(), distributed.size()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    dg.random.seed(0)
    model = dg.Sequential(
        [layers.Dense(n, activation="relu") for n in SIZES[1:-1]] + [layers.Dense(SIZES[-1])]
    )
    model(x[:1])
    opt = optimizers.SGD(model.trainable_weights, learning_rate=0.01)
    data_parallel = distributed.DataParallel(opt)
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)

    def step() -> None:
        part = data_parallel.shard(BATCH)
        loss_fn(y[part], model(x[part], training=True)).backward()
        opt.step()
        opt.zero_grad()

    for _ in range(3):
        step()
    distributed.barrier()
    data_parallel.allreduce_seconds = 0.0
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    buffer = opt.flat.groups[0].grads
    megabytes = buffer.nbytes / 2**20
    allreduce_times = []
    for _ in range(steps):
        distributed.barrier()
        start = time.perf_counter()
        distributed.comm.allreduce_in_place(buffer)
        allreduce_times.append(time.perf_counter() - start)
    if rank == 0:
        median = statistics.median(times)
        result = {
            "processes": size,
            "ms_per_step": median * 1e3,
            "samples_per_s": BATCH / median,
            "allreduce_ms_per_step": data_parallel.allreduce_seconds / steps * 1e3,
            "buffer_mb": megabytes,
            "allreduce_ms": statistics.median(allreduce_times) * 1e3,
        }
        out.write_text(json.dumps(result))


def launch(processes: int, steps: int) -> dict:
    mpiexec = shutil.which("mpiexec") or str(Path(sys.executable).parent / "mpiexec")
    threads = str(max(1, 2 // processes))
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "NUMBA_NUM_THREADS": threads,
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        # Open MPI binds each process to one core by default: let BLAS threads spread.
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
        binding = ["--bind-to", "none"] if "Open MPI" in version else []
        command = [mpiexec, *binding, "-n", str(processes), sys.executable, __file__]
        command += ["--worker", str(steps), str(out)]
        subprocess.run(command, check=True, env=env)
        return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps (smoke run)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.worker:
        worker(int(args.worker[0]), Path(args.worker[1]))
        return
    steps = 3 if args.quick else 30
    results = [launch(n, steps) for n in (1, 2)]
    print(f"medium net {'-'.join(map(str, SIZES))}, global batch {BATCH}, SGD")
    print("| processes | ms/step | samples/s | gradient Allreduce ms/step | speed-up |")
    print("|---|---|---|---|---|")
    for r in results:
        speedup = results[0]["ms_per_step"] / r["ms_per_step"]
        print(
            f"| {r['processes']} | {r['ms_per_step']:.1f} | {r['samples_per_s']:.0f} | "
            f"{r['allreduce_ms_per_step']:.2f} | {speedup:.2f}x |"
        )
    two = results[1]
    print(
        f"Allreduce of the {two['buffer_mb']:.2f} MiB gradient buffer between 2 processes: "
        f"{two['allreduce_ms']:.2f} ms ({two['allreduce_ms'] / two['buffer_mb']:.3f} ms/MiB)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

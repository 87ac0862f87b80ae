"""Per-op overhead of the autodiff engine on tiny arrays, where Python dominates.

50 chained elementwise ops (multiply, add, tanh in turn) on a 16-element float32 vector,
then a sum and the gradient with respect to the input, timed for deepgrad (imperative
tape, functional ``grad``, and ``compile(grad(f))``, which replays the recorded calls
with no graph), PyTorch eager, HIPS autograd and plain NumPy (forward only)
in one run. Reports the median time per op (forward + backward) and the ratio to PyTorch.

    python benchmarks/overhead.py            # full run
    python benchmarks/overhead.py --quick    # smoke run (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

N_OPS = 50
SIZE = 16


def chain(x, c, tanh):
    for i in range(N_OPS):
        kind = i % 3
        if kind == 0:
            x = x * c
        elif kind == 1:
            x = x + c
        else:
            x = tanh(x)
    return x


def make_inputs():
    rng = np.random.default_rng(0)
    return rng.standard_normal(SIZE).astype(np.float32), rng.uniform(0.5, 1.0, SIZE).astype(
        np.float32
    )


def bench_numpy(x0, c):
    def step():
        return chain(x0, c, np.tanh).sum()

    return step


def bench_deepgrad_tape(x0, c):
    import deepgrad as dg
    import deepgrad.numpy as dnp

    def step():
        x = dg.tensor(x0, requires_grad=True)
        chain(x, c, dnp.tanh).sum().backward()
        return x.grad

    return step


def bench_deepgrad_grad(x0, c):
    import deepgrad as dg
    import deepgrad.numpy as dnp

    gradient = dg.grad(lambda x: dnp.sum(chain(x, c, dnp.tanh)))

    def step():
        return gradient(x0)

    return step


def bench_deepgrad_compiled(x0, c):
    import deepgrad as dg
    import deepgrad.numpy as dnp

    gradient = dg.compile(dg.grad(lambda x: dnp.sum(chain(x, c, dnp.tanh))))
    gradient(x0)  # recorded,
    gradient(x0 + 1.0)  # recorded again and checked: every later call replays the plan

    def step():
        return gradient(x0)

    return step


def bench_torch(x0, c):
    import torch

    torch.set_num_threads(2)
    c_t = torch.from_numpy(c)

    def step():
        x = torch.tensor(x0, requires_grad=True)
        chain(x, c_t, torch.tanh).sum().backward()
        return x.grad

    return step


def bench_autograd(x0, c):
    import autograd
    import autograd.numpy as anp

    gradient = autograd.grad(lambda x: anp.sum(chain(x, c, anp.tanh)))

    def step():
        return gradient(x0)

    return step


COMPETITORS: dict[str, Callable] = {
    "deepgrad (tape)": bench_deepgrad_tape,
    "deepgrad (grad)": bench_deepgrad_grad,
    "deepgrad (compiled grad)": bench_deepgrad_compiled,
    "PyTorch eager": bench_torch,
    "HIPS autograd": bench_autograd,
    "NumPy, forward only": bench_numpy,
}


def median_seconds(step: Callable, repeats: int, number: int) -> float:
    step()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def check_agreement(steps: dict[str, Callable]) -> None:
    """Every framework must compute the same gradient, or the timings mean nothing."""
    reference = None
    for name, step in steps.items():
        if "forward only" in name:
            continue
        grad = np.asarray(step().detach() if hasattr(step(), "detach") else step())
        grad = np.asarray(getattr(grad, "data", grad), dtype=np.float64)
        if reference is None:
            reference = grad
        np.testing.assert_allclose(grad, reference, rtol=1e-4, err_msg=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke run")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/overhead.json"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    repeats, number = (3, 20) if args.quick else (15, 200)

    x0, c = make_inputs()
    steps = {}
    for name, make in COMPETITORS.items():
        try:
            steps[name] = make(x0, c)
        except ImportError as error:
            print(f"skipping {name}: {error}")
    check_agreement(steps)

    results = {name: median_seconds(step, repeats, number) for name, step in steps.items()}
    torch_time = results.get("PyTorch eager")
    title = f"{N_OPS} chained ops on {SIZE} float32 elements, sum, gradient"
    print(f"\n{title} (median of {repeats})\n")
    print("| framework | µs per op | ratio to PyTorch eager |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        ratio = f"{seconds / torch_time:.2f}x" if torch_time else "n/a"
        print(f"| {name} | {seconds / N_OPS * 1e6:.2f} | {ratio} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({name: seconds / N_OPS * 1e6 for name, seconds in results.items()}, indent=2)
    )


if __name__ == "__main__":
    main()

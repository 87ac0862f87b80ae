"""Per-op overhead of the autodiff engine on tiny arrays, where Python dominates.

50 chained elementwise ops (multiply, add, tanh in turn) on a 16-element float32 vector,
then a sum and the gradient with respect to the input, timed for deepgrad (imperative
tape, functional ``grad``, and ``compile(grad(f))``, which replays the recorded calls
with no graph), PyTorch eager, HIPS autograd, plain NumPy (forward only) and a minimal
Python tape written by hand for this chain alone (``MinimalTape``: about the least a Python
engine that records a node per op can cost) in one run. deepgrad's tape and the minimal
tape are also timed forward only (the recording included), so that each one's backward
pass is the difference. The frameworks take turns: in each of ``--rounds`` rounds every
one is timed once (``--repeats`` blocks of ``--number`` calls, the median block), the
order rotated from round to round, so a slow minute of the machine falls on all of them.
Reports each framework's median over the rounds per op (forward + backward), its
minimum, its spread (max/min) and the ratio of the medians to PyTorch eager's, with the
load average.

    python benchmarks/overhead.py --rounds 5    # full run
    python benchmarks/overhead.py --quick       # smoke run (CI)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import machine
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


def bench_deepgrad_tape_forward(x0, c):
    import deepgrad as dg
    import deepgrad.numpy as dnp

    def step():
        x = dg.tensor(x0, requires_grad=True)
        return chain(x, c, dnp.tanh).sum()  # the graph is recorded, and dropped unused

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


_MINIMAL_TAPE: list[MinimalTape] = []  # the nodes recorded since the last backward()


class MinimalTape:
    """The least a Python tape over NumPy does per op, written for this chain alone: a node
    holding a closure per op, appended to a list, and a walk back along that list. No
    broadcasting, no dtypes, no nesting, no hooks, no checks: a yardstick for what any
    Python engine's per-op cost is made of, not an engine."""

    __slots__ = ("backward_rule", "grad", "parent", "value")

    def __init__(self, value, parent=None, backward_rule=None):
        self.value = value
        self.grad = None
        self.parent = parent
        self.backward_rule = backward_rule
        if parent is not None:
            _MINIMAL_TAPE.append(self)

    def __mul__(self, constant):
        return MinimalTape(self.value * constant, self, lambda g: g * constant)

    def __add__(self, constant):
        return MinimalTape(self.value + constant, self, lambda g: g)

    def tanh(self):
        answer = np.tanh(self.value)
        return MinimalTape(answer, self, lambda g: g * (1 - answer * answer))

    def sum(self):
        shape = self.value.shape
        return MinimalTape(self.value.sum(), self, lambda g: np.broadcast_to(g, shape))

    def backward(self):
        self.grad = np.ones((), self.value.dtype)
        for node in reversed(_MINIMAL_TAPE):
            parent_grad = node.backward_rule(node.grad)
            parent = node.parent
            parent.grad = parent_grad if parent.grad is None else parent.grad + parent_grad
        _MINIMAL_TAPE.clear()


def bench_minimal_tape(x0, c):
    def step():
        x = MinimalTape(x0)
        chain(x, c, MinimalTape.tanh).sum().backward()
        return x.grad

    return step


def bench_minimal_tape_forward(x0, c):
    def step():
        total = chain(MinimalTape(x0), c, MinimalTape.tanh).sum()
        _MINIMAL_TAPE.clear()  # what backward() would have walked
        return total

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
    "minimal Python tape (by hand)": bench_minimal_tape,
    "deepgrad tape (forward only)": bench_deepgrad_tape_forward,
    "minimal Python tape (forward only)": bench_minimal_tape_forward,
    "NumPy (forward only)": bench_numpy,
}


def median_seconds(step: Callable, repeats: int, number: int) -> float:
    """The median over ``repeats`` blocks of ``number`` calls of one call's time."""
    step()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def interleaved(steps: dict[str, Callable], rounds: int, repeats: int, number: int) -> dict:
    """``{name: [seconds per call, one per round]}``, every framework once per round, the
    order rotated by one each round."""
    names = list(steps)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            per_round[name].append(median_seconds(steps[name], repeats, number))
    return per_round


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
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--frameworks",
        default=",".join(COMPETITORS),
        help="comma-separated subset of: " + ", ".join(COMPETITORS),
    )
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/overhead.json"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    repeats, number = (3, 20) if args.quick else (5, 200)
    if args.quick:
        args.rounds = 1

    x0, c = make_inputs()
    steps = {}
    for name in args.frameworks.split(","):
        if name not in COMPETITORS:
            parser.error(f"unknown framework {name!r}; choose from {', '.join(COMPETITORS)}")
        make = COMPETITORS[name]
        try:
            steps[name] = make(x0, c)
        except ImportError as error:
            print(f"skipping {name}: {error}")
    check_agreement(steps)

    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    per_round = interleaved(steps, args.rounds, repeats, number)
    print(f"load average after: {os.getloadavg()}")
    medians = {name: statistics.median(times) for name, times in per_round.items()}
    torch_time = medians.get("PyTorch eager")
    title = f"{N_OPS} chained ops on {SIZE} float32 elements, sum, gradient"
    print(f"\n{title}: µs per op, {args.rounds} interleaved rounds\n")
    print("| framework | median | min | spread | ratio to PyTorch eager |")
    print("|---|---:|---:|---:|---:|")
    for name, times in per_round.items():
        ratio = f"{medians[name] / torch_time:.2f}x" if torch_time else "n/a"
        print(
            f"| {name} | {medians[name] / N_OPS * 1e6:.2f} | {min(times) / N_OPS * 1e6:.2f} "
            f"| ×{max(times) / min(times):.2f} | {ratio} |"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                name: [seconds / N_OPS * 1e6 for seconds in times]
                for name, times in per_round.items()
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

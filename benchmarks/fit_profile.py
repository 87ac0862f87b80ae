"""Where an epoch of ``model.fit`` goes: the step itself against everything around it.

Times real ``fit`` epochs (the suite's configurations, ``benchmarks/fit.py``'s data and
model) with each part of the loop wrapped in a timer: the compiled plan's replay (or the
eager forward and backward), the compiled function's dispatch, the optimizer's update,
the metrics, the per-batch preparation and device checks, and what is left to the epoch
loop itself (shuffling, gathering batches, callbacks). Each part's time is exclusive of
the wrapped parts inside it; the wrappers cost about a microsecond per call. Reported per
part: its share of the epoch and microseconds per batch.

    python benchmarks/fit_profile.py                          # tiny, medium, deep; SGD
    python benchmarks/fit_profile.py --configs tiny --optimizers sgd,adam --epochs 10

Profilers that sample (py-spy, pyinstrument) give the same order but inflate the Python
parts at tiny sizes; this measures wall time directly.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from fit import CONFIGS, build_deepgrad, make_data

# (owner, method, label): owner "model" is the model's class, "optimizer" the optimizer's.
PARTS = [
    ("plan", "__call__", "compiled plan replay (the step's arrays)"),
    ("compiled", "__call__", "compiled function dispatch (signature, flatten, deliver)"),
    ("model", "_forward_backward", "eager forward + backward"),
    ("optimizer", "step", "optimizer update (sync + rule)"),
    ("model", "_update_metrics", "metrics and loss tracker"),
    ("model", "_prepare", "per-batch preparation (build check, optimizer binding)"),
    ("model", "_cast", "input cast"),
    ("model", "_train_batch_step", "train_step glue (closure, unpacking)"),
    ("model", "run_train_step", "run_train_step glue (device checks)"),
    ("model", "_train_batch", "_train_batch glue (strategy)"),
    ("model", "_train_epoch", "epoch loop: shuffling, gathering batches, callbacks"),
    ("model", "fit", "fit's setup (data checks, callbacks, history)"),
]


def build(config: str, optimizer: str, jit: bool) -> Any:
    return build_deepgrad(CONFIGS[config][0], optimizer, jit)


def instrument(owners: dict, totals: dict) -> list:
    """Wrap each part's method in a timer that adds its exclusive time to ``totals``;
    returns what to restore."""
    stack: list[float] = []
    restore = []
    for owner_name, method, label in PARTS:
        owner = owners[owner_name]
        original = owner.__dict__.get(method) or getattr(owner, method, None)
        if original is None:
            print(f"  ({owner.__name__}.{method} not found: {label!r} not timed)")
            continue

        def timed(*args: Any, _original: Any = original, _label: str = label, **kwargs: Any):
            begin = time.perf_counter()
            stack.append(0.0)
            try:
                return _original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - begin
                inner = stack.pop()
                totals[_label] = totals.get(_label, 0.0) + spent - inner
                if stack:
                    stack[-1] += spent

        functools.update_wrapper(timed, original)
        restore.append((owner, method, owner.__dict__.get(method)))
        setattr(owner, method, timed)
    return restore


def profile(config: str, optimizer: str, jit: bool, samples: int, epochs: int) -> None:
    from deepgrad.compiler.jit import CompiledFunction
    from deepgrad.compiler.plan import Plan

    sizes, batch = CONFIGS[config]
    x, y = make_data(sizes, samples)
    model = build(config, optimizer, jit)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # recording, compilation
    owners = {
        "plan": Plan,
        "compiled": CompiledFunction,
        "model": type(model),
        "optimizer": type(model.optimizer),
    }
    totals: dict[str, float] = {}
    restore = instrument(owners, totals)
    try:
        begin = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0)
        wall = time.perf_counter() - begin
    finally:
        for owner, method, original in restore:
            if original is None:
                delattr(owner, method)
            else:
                setattr(owner, method, original)
    batches = -(-samples // batch) * epochs
    mode = "compiled" if jit else "eager"
    print(f"\n{config}/{optimizer} {mode}: {wall / epochs * 1e3:.1f} ms per epoch")
    print("| part | share of the epoch | µs per batch |")
    print("|---|---|---|")
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"| {label} | {seconds / wall:.1%} | {seconds / batches * 1e6:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--configs", default="tiny,medium,deep")
    parser.add_argument("--optimizers", default="sgd")
    parser.add_argument("--modes", default="compiled,eager")
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    import os

    print(f"load average: {os.getloadavg()}")
    for config in args.configs.split(","):
        for optimizer in args.optimizers.split(","):
            for mode in args.modes.split(","):
                profile(config, optimizer, mode == "compiled", args.samples, args.epochs)
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""The user's path: ``model.fit`` end to end, deepgrad against Keras 3 (on JAX and on
PyTorch), PyTorch's idiomatic loop and scikit-learn's MLP.

One epoch is what a user waits for: shuffling, batching, the step, the loss and an
accuracy metric. Each (configuration, optimizer, framework) runs in a fresh process with
2 threads everywhere, on the same data (``--samples`` rows of Gaussian inputs with integer
labels), for ``--epochs`` epochs. Reported per framework:

- **epoch**: the median of the epochs after the first, in seconds;
- **first**: process start to the end of the first epoch (import, build, compile and
  the first epoch: what a start costs);
- **first from fit**: the start of ``fit`` (the model built and compiled) to the end of
  its first epoch, and its ratio to a later epoch: what a warm start adds to an epoch;
- **whole fit**: the start of ``fit`` to the end of its last epoch.

"deepgrad compiled" starts with numba's on-disk cache as earlier runs left it (warm after
the first run); "deepgrad compiled (cold cache)" starts each run with empty caches
(``NUMBA_CACHE_DIR`` and ``DEEPGRAD_CACHE_DIR`` set to a new folder), so its first epoch
includes compiling every kernel; "deepgrad compiled (no numba)", asked for by name, runs
with ``DEEPGRAD_FUSED=0`` (the NumPy rules only: numba is never imported, no kernel
compiled or loaded), "deepgrad compiled (no C compiler)" with ``DEEPGRAD_NATIVE=0`` (the
optimizer's update on numba's kernel or the NumPy rules, as without a C compiler), and
"deepgrad compiled (kernels from the start)", asked for by name, with ``DEEPGRAD_FUSED=1``
(the kernels from the first step, where by default a fit starts them once it has seen it
will run long enough to earn their start-up: ``training/kernel_start.py``). "deepgrad
default" is ``model.compile`` without ``jit``: ``"auto"``, which compiles this model
(every layer, activation and loss in it is deepgrad's), so it should match "deepgrad
compiled". Python should find deepgrad's modules compiled to bytecode, as
a user's install leaves them (``python -m compileall src`` for a checkout where
``PYTHONDONTWRITEBYTECODE`` is set): otherwise the first epoch also compiles the source of
the modules it imports.

Frameworks are interleaved round by round (every framework once per round, the order
rotated), at least five rounds by default. Each row reports, over the rounds, the median,
the minimum and the spread (max/min), and the load average before and after the run, so
that a verdict can be checked against the noise:

    python benchmarks/fit.py                                  # every configuration
    python benchmarks/fit.py --configs tiny,medium --rounds 5
    python benchmarks/fit.py --quick                          # smoke run (CI)

``--baseline FOLDER`` runs another deepgrad beside this one, interleaved the same way, to
show what a change did: ``git worktree add ../before HEAD~1``, then ``python
benchmarks/fit.py --frameworks "deepgrad compiled" --baseline ../before/src``; each
deepgrad row gets a twin, "... @baseline", that imports deepgrad from that folder.

``fit`` runs with ``verbose=0`` unless ``--verbose 1`` (a progress bar) or ``2`` (a line
per epoch) asks for what a user sees: those apply to deepgrad and Keras, whose ``fit``
draws them; PyTorch's loop and scikit-learn show nothing either way.

Frameworks that are not installed are skipped (``pip install keras jax`` adds Keras 3).
Results go to benchmarks/results/fit.json and fit.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import machine
import numpy as np
from fresh_process import (
    AVX512_OPENBLAS,
    KERNELS_FROM_START,
    MKL,
    NO_C_COMPILER,
    NO_NUMBA,
    mkl_installed,
    row_environment,
    run_worker,
)

START = time.perf_counter()  # the worker's "first epoch" counts from here, imports included
# --baseline: a deepgrad frameworks' twin row, "<framework> @baseline", runs the deepgrad
# whose source folder SOURCE_VARIABLE names (put first on PYTHONPATH).
BASELINE = " @baseline"
SOURCE_VARIABLE = "DEEPGRAD_BENCHMARK_SOURCE"

CONFIGS = {
    "tiny": ([784, 128, 10], 64),
    "small": ([784, 256, 256, 10], 128),
    "medium": ([784, 1024, 1024, 10], 256),
    "deep": ([784, *[256] * 16, 10], 128),
    "large": ([2048, 4096, 4096, 1000], 512),
}
LEARNING_RATES = {"sgd": 0.01, "adam": 1e-3}
THREADS = "2"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FRAMEWORKS = [
    "deepgrad eager",
    "deepgrad default",
    "deepgrad compiled",
    "deepgrad compiled (cold cache)",
    "deepgrad compiled (MKL)",
    "deepgrad compiled (AVX-512 OpenBLAS)",
    "deepgrad compiled (no numba)",
    "deepgrad compiled (no C compiler)",
    "deepgrad compiled (kernels from the start)",
    "Keras 3 (JAX)",
    "Keras 3 (PyTorch)",
    "PyTorch loop",
    "scikit-learn MLP",
]
REQUIRES = {
    "deepgrad eager": "deepgrad",
    "deepgrad default": "deepgrad",
    "deepgrad compiled": "deepgrad",
    "deepgrad compiled (cold cache)": "deepgrad",
    "deepgrad compiled (MKL)": "deepgrad",
    "deepgrad compiled (AVX-512 OpenBLAS)": "deepgrad",
    "deepgrad compiled (no numba)": "deepgrad",
    "deepgrad compiled (no C compiler)": "deepgrad",
    "deepgrad compiled (kernels from the start)": "deepgrad",
    "Keras 3 (JAX)": "keras",
    "Keras 3 (PyTorch)": "keras",
    "PyTorch loop": "torch",
    "scikit-learn MLP": "sklearn",
}


def make_data(sizes: list[int], samples: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], samples).astype(np.int64)
    return x, y


# ---- workers: each builds its model, trains ``epochs`` epochs, returns epoch end times --


def build_deepgrad(sizes, optimizer, jit):
    """The suite's MLP in deepgrad, compiled as a user would (accuracy metric included);
    ``jit`` True, False, or None for compile's default."""
    import deepgrad as dg

    dg.random.seed(0)
    widths = sizes[1:]
    model = dg.Sequential(
        [
            dg.layers.Dense(n, activation="relu" if i < len(widths) - 1 else None)
            for i, n in enumerate(widths)
        ]
    )
    model.build((None, sizes[0]))
    opt = dg.optimizers.get(optimizer)
    opt.learning_rate = LEARNING_RATES[optimizer]
    model.compile(
        optimizer=opt,
        loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        **({} if jit is None else {"jit": jit}),
    )
    return model


def run_deepgrad(sizes, batch, optimizer, x, y, epochs, jit, verbose=0):
    import deepgrad as dg

    model = build_deepgrad(sizes, optimizer, jit)
    ends = []

    class Clock(dg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    ends.append(time.perf_counter())  # the start of fit: the model is built and compiled
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=verbose, callbacks=[Clock()])
    return ends


def run_keras(sizes, batch, optimizer, x, y, epochs, verbose=0):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((sizes[0],)),
            *[keras.layers.Dense(n, activation="relu") for n in sizes[1:-1]],
            keras.layers.Dense(sizes[-1]),
        ]
    )
    make = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer]
    model.compile(
        optimizer=make(LEARNING_RATES[optimizer]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    ends = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    shown: Any = verbose  # Keras annotates verbose as str; its code takes 0, 1 and 2
    ends.append(time.perf_counter())  # the start of fit
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=shown, callbacks=[Clock()])
    return ends


def run_torch(sizes, batch, optimizer, x, y, epochs):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    torch.set_num_threads(int(THREADS))
    layers = []
    for fan_in, fan_out in itertools.pairwise(sizes[:-1]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = make(model.parameters(), lr=LEARNING_RATES[optimizer])
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch, shuffle=True
    )
    ends = [time.perf_counter()]  # the start of the training loop
    for _ in range(epochs):
        model.train()
        correct = 0
        for xb, yb in loader:
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == yb).sum())
        ends.append(time.perf_counter())
    return ends


def run_sklearn(sizes, batch, optimizer, x, y, epochs):
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        solver=optimizer,
        momentum=0.0,
        learning_rate_init=LEARNING_RATES[optimizer],
        batch_size=batch,
        random_state=0,
    )
    classes = np.arange(sizes[-1])
    ends = [time.perf_counter()]  # the start of training
    for _ in range(epochs):
        model.partial_fit(x, y, classes=classes)  # one pass over the data
        ends.append(time.perf_counter())
    return ends


def worker(
    framework: str, config: str, optimizer: str, samples: int, epochs: int, verbose: int, out: Path
):
    sizes, batch = CONFIGS[config]
    x, y = make_data(sizes, samples)
    source = os.environ.get(SOURCE_VARIABLE)
    if source is not None:  # a baseline row: the deepgrad of --baseline, nothing else
        import deepgrad

        if not Path(deepgrad.__file__).resolve().is_relative_to(Path(source).resolve()):
            raise SystemExit(f"{framework}: deepgrad came from {deepgrad.__file__}, not {source}")
    framework = framework.removesuffix(BASELINE)
    if framework.startswith("deepgrad"):
        jit = None if framework == "deepgrad default" else "compiled" in framework
        ends = run_deepgrad(sizes, batch, optimizer, x, y, epochs, jit, verbose)
    elif framework.startswith("Keras"):
        ends = run_keras(sizes, batch, optimizer, x, y, epochs, verbose)
    elif framework == "PyTorch loop":
        ends = run_torch(sizes, batch, optimizer, x, y, epochs)
    else:
        ends = run_sklearn(sizes, batch, optimizer, x, y, epochs)
    fit_start, ends = ends[0], ends[1:]
    result = {
        "first_s": ends[0] - START,
        "first_fit_s": ends[0] - fit_start,
        "fit_s": ends[-1] - fit_start,
        "epoch_s": np.diff(ends).tolist(),
    }
    out.write_text(json.dumps(result))


def measure(framework, config, optimizer, samples, epochs, baseline=None, verbose=0) -> dict | None:
    env = {**os.environ, **dict.fromkeys(THREAD_VARIABLES, THREADS)}
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
    env["KERAS_BACKEND"] = "torch" if "PyTorch)" in framework else "jax"
    env.update(row_environment(framework.removesuffix(BASELINE)))
    if framework.endswith(BASELINE):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [baseline, env.get("PYTHONPATH")]))
        env[SOURCE_VARIABLE] = baseline
    arguments = [framework, config, optimizer, samples, epochs, verbose]
    label = f"{framework} {config}/{optimizer}"
    if "cold cache" not in framework:
        return run_worker(__file__, arguments, env, label)
    with tempfile.TemporaryDirectory() as cache:  # every kernel is compiled again, here
        cold = {"NUMBA_CACHE_DIR": cache, "DEEPGRAD_CACHE_DIR": cache}  # numba's, the C loops'
        return run_worker(__file__, arguments, {**env, **cold}, label)


def summarise(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "spread": max(values) / min(values),
        "rounds": values,
    }


def table(results: dict, key: str, frameworks: list[str]) -> str:
    """One row per config/optimizer: each framework's median over rounds (min, spread),
    and deepgrad's ratio to the fastest other framework by the median."""
    lines = [
        "| config/opt | " + " | ".join(frameworks) + " |",
        "|---|" + "---|" * len(frameworks),
    ]
    for row_name, row in results.items():
        others = [row[f][key]["median"] for f in row if not f.startswith("deepgrad")]
        best = min(others) if others else None
        cells = []
        for framework in frameworks:
            if framework not in row:
                cells.append("—")
                continue
            s = row[framework][key]
            text = f"{s['median']:.3f} (min {s['min']:.3f}, ×{s['spread']:.2f})"
            if framework.startswith("deepgrad") and best:
                text += f", {s['median'] / best:.2f}x best other"
            cells.append(text)
        lines.append(f"| {row_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def first_epoch_table(results: dict, frameworks: list[str]) -> str:
    """One row per config/optimizer: each framework's first epoch counted from the start
    of its fit (median over rounds, min, spread) and that median's ratio to a later epoch's."""
    lines = [
        "| config/opt | " + " | ".join(frameworks) + " |",
        "|---|" + "---|" * len(frameworks),
    ]
    for row_name, row in results.items():
        cells = []
        for framework in frameworks:
            if framework not in row:
                cells.append("—")
                continue
            first, epoch = row[framework]["first_fit"], row[framework]["epoch"]
            cells.append(
                f"{first['median']:.3f} (min {first['min']:.3f}, ×{first['spread']:.2f}), "
                f"{first['median'] / epoch['median']:.2f}x a later epoch"
            )
        lines.append(f"| {row_name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--configs", default="tiny,small,medium,deep")
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument(
        "--frameworks",
        default=",".join(
            f
            for f in FRAMEWORKS
            if not f.endswith((NO_NUMBA, NO_C_COMPILER, KERNELS_FROM_START, AVX512_OPENBLAS))
        ),
    )
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3, help="the first, then the timed ones")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny/sgd, deepgrad only, 1 round")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another deepgrad's source folder (say a worktree's src) to run beside this one: "
        'each deepgrad framework gets a row "<framework> @baseline", interleaved with the rest',
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="fit's verbose for deepgrad and Keras (1: a progress bar, 2: a line per epoch); "
        "the bar goes to a pipe the benchmark reads and drops",
    )
    parser.add_argument("--worker", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        framework, config, optimizer, samples, epochs, verbose, out = args.worker
        worker(framework, config, optimizer, int(samples), int(epochs), int(verbose), Path(out))
        return
    if args.quick:
        args.configs, args.optimizers, args.rounds, args.samples = "tiny", "sgd", 1, 1024
        args.frameworks, args.epochs = "deepgrad eager,deepgrad compiled", 2
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is reported apart")
    wanted = [f for f in args.frameworks.split(",") if f in FRAMEWORKS]
    frameworks = [
        f
        for f in wanted
        if importlib.util.find_spec(REQUIRES[f]) is not None
        and (not f.endswith(MKL) or mkl_installed())
    ]
    for skipped in sorted(set(wanted) - set(frameworks)):
        print(f"{skipped}: not installed, skipped")
    baseline = None
    if args.baseline is not None:
        if not (args.baseline / "deepgrad" / "__init__.py").is_file():
            parser.error(f"--baseline {args.baseline}: no deepgrad package in that folder")
        baseline = str(args.baseline.resolve())
        frameworks += [f + BASELINE for f in frameworks if f.startswith("deepgrad")]
        print(f"baseline: {baseline}")
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    raw: dict = {}
    for round_number in range(args.rounds):
        for config in args.configs.split(","):
            for optimizer in args.optimizers.split(","):
                shift = round_number % len(frameworks)
                for framework in frameworks[shift:] + frameworks[:shift]:
                    result = measure(
                        framework,
                        config,
                        optimizer,
                        args.samples,
                        args.epochs,
                        baseline,
                        args.verbose,
                    )
                    if result is not None:
                        row = raw.setdefault(f"{config}/{optimizer}", {})
                        row.setdefault(framework, []).append(result)
        print(f"round {round_number + 1}/{args.rounds} done, load {os.getloadavg()}")
    results = {
        row_name: {
            framework: {
                "epoch": summarise([statistics.median(r["epoch_s"]) for r in runs]),
                "first": summarise([r["first_s"] for r in runs]),
                "first_fit": summarise([r["first_fit_s"] for r in runs]),
                "fit": summarise([r["fit_s"] for r in runs]),
            }
            for framework, runs in row.items()
        }
        for row_name, row in raw.items()
    }
    shown = [f for f in frameworks if any(f in row for row in results.values())]
    if not shown:
        raise SystemExit("every framework failed: nothing was measured")
    epoch_table = table(results, "epoch", shown)
    first_table = table(results, "first", shown)
    first_fit_table = first_epoch_table(results, shown)
    fit_table = table(results, "fit", shown)
    print(f"\nseconds per epoch of {args.samples} samples, median over {args.rounds} rounds")
    print(epoch_table)
    print("\nfirst epoch, process start included (import, build, compile, one epoch), seconds")
    print(first_table)
    print("\nfirst epoch from the start of fit (compile included), seconds, and its ratio to")
    print("a later epoch (this row's epoch median)")
    print(first_fit_table)
    print(f"\nthe whole fit of {args.epochs} epochs, from its start, seconds")
    print(fit_table)
    print(f"\nload average after: {os.getloadavg()}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fit.json").write_text(json.dumps(results, indent=2))
    (args.out / "fit.md").write_text(
        "\n\n".join([epoch_table, first_table, first_fit_table, fit_table]) + "\n"
    )


if __name__ == "__main__":
    main()

"""What ``deepgrad train``, ``evaluate`` and ``predict`` do (cli.py parses the arguments)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np

import deepgrad as dg
from deepgrad import datasets, distributed, layers, losses
from deepgrad.training.callbacks import CSVLogger

BUILT_IN = ("digits", "iris", "breast_cancer", "diabetes", "wine")


class CommandError(Exception):
    """A user error: printed as one line, no traceback."""


def load_data(spec: str, target: str, test_size: float, seed: int) -> tuple:
    """``((x_train, y_train), (x_test, y_test))`` from a built-in name or a CSV/NPZ path."""
    if spec in BUILT_IN:
        return getattr(datasets, f"load_{spec}")(test_size=test_size, seed=seed)
    path = Path(spec)
    if not path.is_file():
        raise CommandError(f"no data set or file named {spec!r} (built in: {', '.join(BUILT_IN)})")
    if path.suffix == ".npz":
        x, y = datasets.load_npz(path)
    else:
        x, y = datasets.load_csv(path, target=target)
    x_train, x_test, y_train, y_test = datasets.train_test_split(
        x, y, test_size=test_size, seed=seed
    )
    return (x_train, y_train), (x_test, y_test)


def is_classification(y: np.ndarray) -> bool:
    """Integer labels: a classification task."""
    return np.issubdtype(y.dtype, np.integer)


def build_model(args: argparse.Namespace, x_train: np.ndarray, y_train: np.ndarray) -> Any:
    """A compiled ``Sequential``: standardised inputs, the hidden layers of ``--hidden``,
    and an output layer and loss for classification (integer labels) or regression."""
    try:
        hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    except ValueError:
        raise CommandError(
            f"--hidden must be comma-separated integers, got {args.hidden!r}"
        ) from None
    normalize = layers.Normalization()
    normalize.adapt(x_train.reshape(len(x_train), -1))
    stack = [normalize] + [layers.Dense(h, activation=args.activation) for h in hidden]
    if is_classification(y_train):
        classes = int(y_train.max()) + 1
        stack.append(layers.Dense(classes))
        loss, metrics = losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"]
    else:
        stack.append(layers.Dense(y_train.shape[1] if y_train.ndim > 1 else 1))
        loss, metrics = losses.MeanSquaredError(), ["mae"]
    model = dg.Sequential(stack)
    optimizer = dg.optimizers.get(args.optimizer)
    if args.learning_rate is not None:
        optimizer.learning_rate = args.learning_rate
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    return model


def train(args: argparse.Namespace) -> int:
    """Train, print the metrics table, save the model, history and plot. Under mpiexec
    with several processes the training is data-parallel and rank 0 alone prints and
    writes (every process builds the same model from the same seed)."""
    parallel = distributed.launched()
    dg.random.seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.data, args.target, 0.2, args.seed)
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    model = build_model(args, x_train, y_train)
    output, main = Path(args.output), distributed.is_main()
    if main:
        output.mkdir(parents=True, exist_ok=True)
        if parallel:
            print(f"data-parallel training on {distributed.size()} processes")
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.1,
        verbose=args.verbose,
        callbacks=[CSVLogger(output / "history.csv")],  # fit runs it on rank 0 only
        distributed=parallel,
    )
    if not main:
        return 0
    model.save(output / "model.dg")
    plotted = _plot(history, output / "learning_curve.png")
    rows = {
        "train": {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")},
        "validation": {k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        "test": model.evaluate(x_test, y_test, verbose=0, return_dict=True),
    }
    print_table(rows)
    saved = [output / "model.dg", output / "history.csv"]
    if plotted:
        saved.append(output / "learning_curve.png")
    print(f"\nsaved {', '.join(str(path) for path in saved)}")
    return 0


def _plot(history: Any, path: Path) -> bool:
    """Draw the learning curves to ``path``; False when matplotlib is not installed."""
    try:  # matplotlib is optional (the ``plot`` extra)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ax = history.plot()
    ax.figure.savefig(path, dpi=100)
    plt.close(ax.figure)
    return True


def print_table(rows: dict[str, dict]) -> None:
    """One row per split (train, validation, test), one column per metric."""
    names = list(next(iter(rows.values())))
    print("\n" + f"{'':<12}" + "".join(f"{n:>12}" for n in names))
    for split, values in rows.items():
        print(f"{split:<12}" + "".join(f"{values.get(n, float('nan')):>12.4f}" for n in names))


def evaluate(args: argparse.Namespace) -> int:
    """Print the metrics of a saved model on the test part of a data set."""
    model = dg.load_model(args.model)
    _, (x_test, y_test) = load_data(args.data, args.target, 0.2, args.seed)
    logs = model.evaluate(x_test.reshape(len(x_test), -1), y_test, verbose=0, return_dict=True)
    print_table({"test": logs})
    return 0


def predict(args: argparse.Namespace) -> int:
    """Write a saved model's predictions for a CSV file of features to stdout, as CSV."""
    model = dg.load_model(args.model)
    path = Path(args.input)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    with path.open(newline="") as handle:
        rows = [r for r in csv.reader(handle) if r]
    if not rows:
        raise CommandError(f"{path}: empty file")
    body = rows if _numeric(rows[0]) else rows[1:]  # skip a header row
    try:
        x = np.array([[float(v) for v in r] for r in body], dtype=np.float32)
    except ValueError as error:
        raise CommandError(f"{path}: every value must be a number ({error})") from None
    outputs = model.predict(x)
    writer = csv.writer(sys.stdout)
    if isinstance(
        model.loss, losses.SparseCategoricalCrossentropy | losses.CategoricalCrossentropy
    ):
        writer.writerow(["class"])
        writer.writerows([[int(c)] for c in outputs.argmax(axis=-1)])
    else:
        writer.writerow([f"output_{i}" for i in range(outputs.shape[1])])
        writer.writerows(outputs.tolist())
    return 0


def _numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True

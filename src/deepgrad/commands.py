"""What ``deepgrad train``, ``evaluate`` and ``predict`` do (cli.py parses the arguments)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np

import deepgrad as dg
from deepgrad import datasets, distributed, layers, losses, viz
from deepgrad.tensor import raw_data
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
    regression = not is_classification(y_train)
    target_scale = standardizer(y_train) if regression else None
    model = build_model(args, x_train, y_train)
    output, main = Path(args.output), distributed.is_main()
    if main:
        output.mkdir(parents=True, exist_ok=True)
        if parallel:
            print(f"data-parallel training on {distributed.size()} processes")
    history = model.fit(
        x_train,
        y_train if target_scale is None else (y_train - target_scale[0]) / target_scale[1],
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.1,
        verbose=args.verbose,
        callbacks=[HistoryCSV(output / "history.csv")],  # fit runs it on rank 0 only
        distributed=parallel,
    )
    if not main:
        return 0
    if target_scale is not None:  # the saved model predicts in the target's own units
        append_unstandardize(model, *target_scale)
    model.save(output / "model.dg")
    plotted = _plot(history, output / "learning_curve.png")
    if target_scale is None:
        rows = {
            "train": {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")},
            "validation": {
                k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")
            },
        }
    else:  # the history is in standardized units: the table is in the target's own
        cut = int(len(x_train) * 0.9)
        rows = {
            "train": model.evaluate(x_train[:cut], y_train[:cut], verbose=0, return_dict=True),
            "validation": model.evaluate(x_train[cut:], y_train[cut:], verbose=0, return_dict=True),
        }
    rows["test"] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    rows["baseline"] = baseline(y_train, y_test)
    print_table(rows)
    print("(baseline: the test metrics of always predicting the training mean/majority class)")
    saved = [output / "model.dg", output / "history.csv"]
    if plotted:
        saved.append(output / "learning_curve.png")
    print(f"\nsaved {', '.join(str(path) for path in saved)}")
    return 0


class HistoryCSV(CSVLogger):
    """``history.csv`` with epochs counted from 1, as the progress display counts them
    (Keras' ``CSVLogger``, which this is otherwise, counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch + 1, logs)


def standardizer(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean and standard deviation of a regression target, per column (σ = 1 where a
    column is constant)."""
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    std = y.std(axis=0)
    return y.mean(axis=0), np.where(std > 0, std, 1.0)


def append_unstandardize(model: Any, mean: np.ndarray, std: np.ndarray) -> None:
    """Add a frozen layer z ↦ z·σ + μ, so the model trained on a standardized target
    predicts (and is saved predicting) in the target's own units."""
    layer = layers.Dense(len(mean), trainable=False, name="unstandardize_target")
    model.add(layer)
    dtype = raw_data(layer.kernel).dtype
    layer.set_weights([np.diag(std).astype(dtype), mean.astype(dtype)])


def baseline(y_train: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """The test metrics of the model that ignores x: the training mean (regression: its
    MSE and MAE) or the majority class (classification: its log-loss and accuracy).

    >>> baseline(np.array([1.0, 3.0]), np.array([2.0, 4.0]))
    {'loss': 2.0, 'mae': 1.0}
    """
    if is_classification(y_train):
        counts = np.bincount(y_train, minlength=int(max(y_train.max(), y_test.max())) + 1)
        frequencies = np.maximum(counts / counts.sum(), 1e-12)
        return {
            "loss": float(-np.mean(np.log(frequencies[y_test]))),
            "accuracy": float(np.mean(y_test == np.argmax(counts))),
        }
    y_train = np.asarray(y_train, np.float64).reshape(len(y_train), -1)
    errors = np.asarray(y_test, np.float64).reshape(len(y_test), -1) - y_train.mean(axis=0)
    return {"loss": float(np.mean(errors**2)), "mae": float(np.mean(np.abs(errors)))}


def _plot(history: Any, path: Path) -> bool:
    """Draw the learning curves to ``path`` (one panel per quantity, 110 dpi, nothing
    clipped); False when matplotlib is not installed."""
    try:  # matplotlib is optional (the ``plot`` extra)
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        return False
    viz.save(viz.plot_learning_curves(history), path)
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
    outputs = model.predict(x, verbose=0)
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

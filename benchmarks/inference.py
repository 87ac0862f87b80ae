"""The Laplace fit of the digits MLP (64 → 64 ReLU → 10, 4,810 weights) for each curvature.

The net is trained once (Adam, float32, 30 epochs on the 1,438 training images of
scikit-learn's 8×8 digits); then, for each curvature, ``Laplace(model, curvature).fit`` on
the training set (the curvature and the posterior, in float64) and the linearised
predictive on the 359 test images are timed, with the test accuracy and negative
log-likelihood of the predictive. The prior precision is 1 for every weight (the net was
trained without a penalty, and ReLU nets have weights the data leave undetermined); then
MacKay's updates set one prior precision δ by the evidence (timed), and the predictive is
scored again.

The exact Hessian needs one forward-over-reverse pass per weight, so by default it is
timed for the last layer's 650 weights only; ``--exact-all`` times it for all 4,810.

Each time is the minimum of ``--repeat`` runs. On a shared machine, say so with the
numbers.

    python benchmarks/inference.py [--repeat 3] [--exact-all] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

import deepgrad as dg
from deepgrad import datasets, inference, layers, losses, optimizers

T = TypeVar("T")
CASES = [
    ("last_layer", {"curvature": "last_layer"}),
    ("kfac", {"curvature": "kfac"}),
    ("diag", {"curvature": "diag"}),
    ("ggn", {"curvature": "ggn"}),
    ("exact, last layer", {"curvature": "exact", "subset": "last_layer"}),
]


def trained_mlp() -> tuple:
    (x_train, y_train), (x_test, y_test) = datasets.load_digits()
    scaler = datasets.Standardizer().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=1e-3),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    return model, x_train, y_train, x_test, y_test


def timed(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The least time of ``repeat`` calls, and the last call's result."""
    start = time.perf_counter()
    result = function()
    best = time.perf_counter() - start
    for _ in range(repeat - 1):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def score(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean negative log-likelihood of predicted class probabilities."""
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    return accuracy, float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--exact-all", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    model, x_train, y_train, x_test, y_test = trained_mlp()
    plug_in = model.predict(x_test, verbose=0)
    cases = list(CASES) + ([("exact", {"curvature": "exact"})] if args.exact_all else [])
    rows = []
    header = (
        "curvature",
        "weights",
        "fit (s)",
        "predict (s)",
        "acc",
        "NLL",
        "MacKay (s)",
        "δ",
        "NLL",
    )
    print("{:<20}{:>8}{:>9}{:>12}{:>7}{:>7}{:>11}{:>8}{:>7}".format(*header))
    for name, options in cases:
        fit_seconds, la = timed(
            lambda o=options: inference.Laplace(model, prior_precision=1.0, **o).fit(
                x_train, y_train
            ),
            args.repeat,
        )
        predict_seconds, probabilities = timed(lambda la=la: la.predict(x_test), args.repeat)
        accuracy, nll = score(np.asarray(probabilities), y_test)
        mackay_seconds, delta = timed(la.optimize_prior_precision, 1)
        _, tuned_nll = score(np.asarray(la.predict(x_test)), y_test)
        rows.append(
            {"curvature": name, "weights": len(la.theta), "fit_seconds": fit_seconds,
             "predict_seconds": predict_seconds, "accuracy": accuracy, "nll": nll,
             "mackay_seconds": mackay_seconds, "prior_precision": delta, "tuned_nll": tuned_nll}
        )  # fmt: skip
        print(
            f"{name:<20}{len(la.theta):>8}{fit_seconds:>9.2f}{predict_seconds:>12.2f}"
            f"{accuracy:>7.3f}{nll:>7.3f}{mackay_seconds:>11.2f}{delta:>8.2f}{tuned_nll:>7.3f}"
        )
    logits = plug_in - plug_in.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    accuracy, nll = score(np.exp(log_p), y_test)
    print(f"{'(plug-in softmax)':<20}{'':>8}{'':>9}{'':>12}{accuracy:>7.3f}{nll:>7.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

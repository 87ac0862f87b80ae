"""deepgrad's scikit-learn estimators against scikit-learn's own ``MLPClassifier`` and
``MLPRegressor``: the same data, the same architecture, the same number of epochs, Adam with
the same settings; fit time and test score side by side.

Tasks: digits (1,797 × 64, 10 classes), a synthetic classification and a synthetic
regression set of 100,000 × 50 (``make_classification``/``make_regression``, 80/20 split,
standardized). deepgrad runs with its default compiled training step and eagerly
(``jit=False``). Every estimator runs exactly ``--epochs`` epochs (``tol=0`` and
``n_iter_no_change`` = epochs, so neither stops early). Rounds are interleaved (each
estimator once per round, the order rotating) and the report gives, per estimator, the
median and minimum fit time over rounds, the spread (max/min), the median test score
(accuracy or R²), and scikit-learn's time over deepgrad's. The load average is printed
before and after: on a shared machine, read the minimum.

    python benchmarks/sklearn_mlp.py                 # full run (3 rounds)
    python benchmarks/sklearn_mlp.py --rounds 5
    python benchmarks/sklearn_mlp.py --quick         # smoke run (CI)
    python benchmarks/sklearn_mlp.py --tasks digits --estimators deepgrad --rounds 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import machine
from sklearn import neural_network
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from deepgrad import sklearn as dg_sklearn


def task_data(name: str, samples: int) -> tuple:
    if name == "digits":
        X, y = load_digits(return_X_y=True)
    elif name == "classification":
        X, y = make_classification(samples, 50, n_informative=30, n_classes=5, random_state=0)
    else:
        X, y = make_regression(samples, 50, n_informative=30, noise=10.0, random_state=0)
        y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def estimators(task: str, epochs: int, hidden: tuple) -> dict:
    kind = "Regressor" if task == "regression" else "Classifier"
    settings = {
        "hidden_layer_sizes": hidden,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": epochs,
        "batch_size": 200,
        "learning_rate_init": 1e-3,
        "random_state": 0,
    }
    return {
        "scikit-learn": lambda: getattr(neural_network, f"MLP{kind}")(**settings),
        "deepgrad": lambda: getattr(dg_sklearn, f"MLP{kind}")(**settings),  # compiled step
        "deepgrad eager": lambda: getattr(dg_sklearn, f"MLP{kind}")(jit=False, **settings),
    }


def measure(make, data) -> tuple[float, float]:
    X_train, X_test, y_train, y_test = data
    estimator = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    assert estimator.n_iter_ == estimator.max_iter, (estimator, estimator.n_iter_)
    return seconds, float(estimator.score(X_test, y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=100_000, help="synthetic sets' size")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny and 1 round")
    parser.add_argument("--tasks", default="digits,classification,regression")
    parser.add_argument(
        "--estimators",
        default="scikit-learn,deepgrad,deepgrad eager",
        help="comma-separated; the speed-up column needs scikit-learn among them",
    )
    args = parser.parse_args()
    plan = {"digits": 50, "classification": 10, "regression": 10}  # task: epochs
    plan = {task: plan[task] for task in args.tasks.split(",")}
    hidden = (100,)
    if args.quick:
        args.rounds, args.samples, plan = 1, 2_000, {"digits": 2, "regression": 2}
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    for task, epochs in plan.items():
        data = task_data(task, args.samples)
        makers = estimators(task, epochs, hidden)
        makers = {name: makers[name] for name in args.estimators.split(",")}
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in makers}
        names = list(makers)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                runs[name].append(measure(makers[name], data))
        score_name = "R²" if task == "regression" else "accuracy"
        n_train = len(data[0])
        print(
            f"\n{task}: {n_train:,} training samples × {data[0].shape[1]}, hidden {hidden}, "
            f"{epochs} epochs, batch 200, {args.rounds} rounds; load {os.getloadavg()}"
        )
        print(
            f"| estimator | fit s (median) | fit s (min) | spread | test {score_name} | "
            "speed-up vs scikit-learn (median) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        sklearn_times = [t for t, _ in runs.get("scikit-learn", [])]
        for name in names:
            times = [t for t, _ in runs[name]]
            score = statistics.median(s for _, s in runs[name])
            median = statistics.median(times)
            ratio = f"{statistics.median(sklearn_times) / median:.2f}x" if sklearn_times else "–"
            print(
                f"| {name} | {median:.3g} | {min(times):.3g} | {max(times) / min(times):.2f} | "
                f"{score:.4f} | {ratio} |"
            )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

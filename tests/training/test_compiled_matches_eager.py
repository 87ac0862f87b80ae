"""Random models trained compiled and eager from the same seeds must end the same.

Each case draws a model (Dense layers of random widths, activations, regularizers and
biases, with Dropout, normalization, noise or an activation layer between them), a task
and its loss, an optimizer (clipping, schedules and EMA included), float32 or float64,
a batch size that leaves a ragged last batch, sample weights and a validation split, and
fits it for three epochs with ``jit=True`` and with ``jit=False``. The histories, the
weights, ``evaluate`` and ``predict`` must agree bit for bit: every speed path of the
compiled step (the plan, buffers reused by liveness, fused bias+ReLU, the fused
cross-entropy, the numba update rules) promises eager's bits. The one documented
exception is plain SGD's update inside the weight-gradient products (``descent.py``),
whose product rounds once where eager rounds twice: there the weights agree to the
dtype's rounding.

A second set draws functional models: a random graph of Dense layers whose outputs fan
out, meet again in merges (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate) and skip ahead to the output, which is where a plan's buffers, reused by
liveness, have several readers and a gradient has several contributions.

A failure names the case's seed and what it drew; ``_case(seed)`` and
``_functional_case(seed)`` rebuild it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, optimizers, regularizers
from deepgrad.compiler.plan import Plan

ACTIVATIONS = [
    None, "relu", "tanh", "sigmoid", "gelu", "elu", "selu", "swish", "softplus",
    "leaky_relu", "mish", "softsign", "hard_sigmoid", "relu6", "celu", "hard_swish",
]  # fmt: skip

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.05),
    "sgd with a schedule": lambda: optimizers.SGD(
        learning_rate=optimizers.schedules.ExponentialDecay(0.1, 3, 0.5)
    ),
    "momentum": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "sgd with weight decay": lambda: optimizers.SGD(learning_rate=0.05, weight_decay=0.01),
    "sgd with clipnorm": lambda: optimizers.SGD(learning_rate=0.05, clipnorm=0.5),
    "sgd with EMA": lambda: optimizers.SGD(learning_rate=0.05, use_ema=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adam with clipvalue": lambda: optimizers.Adam(learning_rate=0.01, clipvalue=0.1),
    "adam with global_clipnorm": lambda: optimizers.Adam(learning_rate=0.01, global_clipnorm=0.5),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "centered rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.05),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "adamax": lambda: optimizers.Adamax(learning_rate=0.01),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01),
    "lion": lambda: optimizers.Lion(learning_rate=0.001),
    "yogi": lambda: optimizers.Yogi(learning_rate=0.01),
    "adabelief": lambda: optimizers.AdaBelief(learning_rate=0.01),
    "radam": lambda: optimizers.RAdam(learning_rate=0.01),
    "lamb": lambda: optimizers.Lamb(learning_rate=0.01),
    "adafactor": lambda: optimizers.Adafactor(learning_rate=0.01),
    "ftrl": lambda: optimizers.Ftrl(learning_rate=0.05),
}
# Plain SGD: the only update a compiled step may take inside a product (descent.py).
PLAIN_SGD = {"sgd", "sgd with a schedule"}

BETWEEN = [
    lambda: layers.Dropout(0.3),
    lambda: layers.BatchNormalization(),
    lambda: layers.LayerNormalization(),
    lambda: layers.GaussianNoise(0.1),
    lambda: layers.LeakyReLU(),
    lambda: layers.PReLU(),
    lambda: layers.ELU(),
]
REGULARIZERS = [
    lambda: None,
    lambda: regularizers.L2(0.01),
    lambda: regularizers.L1(0.01),
    lambda: regularizers.L1L2(0.01, 0.01),
]


@dataclass
class Case:
    """One drawn case: how to build its model, and the data and settings it is fitted on."""

    seed: int
    description: list[str] = field(default_factory=list)
    build: Any = None
    optimizer: str = ""
    dtype: str = "float32"
    fit: dict = field(default_factory=dict)


def _case(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    case = Case(seed)
    wide = rng.random() < 0.3  # weights of 2^14 elements and more: SGD inside the products
    samples = int(rng.integers(40, 97) if wide else rng.integers(8, 70))
    features = int(rng.integers(100, 200) if wide else rng.integers(1, 10))
    widths = (200, 260) if wide else (1, 40)
    classes = int(rng.integers(2, 6))
    task = str(rng.choice(["sparse", "one-hot", "binary", "regression"]))
    case.dtype = str(rng.choice(["float32", "float64"]))
    case.optimizer = str(rng.choice(list(OPTIMIZERS)))
    if wide and rng.random() < 0.5:  # give the in-product update its share of the cases
        case.optimizer = str(rng.choice(sorted(PLAIN_SGD)))

    hidden = []
    for _ in range(int(rng.integers(1 if wide else 0, 4))):
        plain = rng.random() < 0.5  # what the fused kernels and the in-product update take
        hidden.append(
            (
                int(rng.integers(*widths)),
                "relu" if plain else ACTIVATIONS[rng.integers(len(ACTIVATIONS))],
                bool(rng.random() < 0.8),
                0 if plain else int(rng.integers(len(REGULARIZERS))),
                -1 if plain else int(rng.integers(-3, len(BETWEEN))),  # -1: nothing between
            )
        )
    output_activation = {"sparse": None, "one-hot": "softmax", "binary": "sigmoid"}.get(task)
    if task in ("sparse", "binary") and rng.random() < 0.5:
        output_activation = "softmax" if task == "sparse" else None
    case.description = [
        f"seed {seed}: {task}, {case.dtype}, {case.optimizer}, {samples} × {features}",
        *(f"Dense({u}, {a}, bias={b}, regularizer {r}) then {k}" for u, a, b, r, k in hidden),
        f"output activation {output_activation}",
    ]

    x = rng.standard_normal((samples, features)).astype(case.dtype)
    if task == "sparse":
        y = rng.integers(0, classes, samples)
        loss = losses.SparseCategoricalCrossentropy(from_logits=output_activation is None)
    elif task == "one-hot":
        y = np.eye(classes, dtype=case.dtype)[rng.integers(0, classes, samples)]
        loss = losses.CategoricalCrossentropy(label_smoothing=float(rng.choice([0.0, 0.1])))
    elif task == "binary":
        y = rng.integers(0, 2, (samples, 1)).astype(case.dtype)
        loss = losses.BinaryCrossentropy(from_logits=output_activation is None)
    else:
        y = rng.standard_normal((samples, classes)).astype(case.dtype)
        loss = [losses.MeanSquaredError, losses.MeanAbsoluteError, losses.Huber, losses.LogCosh][
            rng.integers(4)
        ]()
    outputs = 1 if task == "binary" else classes

    def build(jit: bool) -> dg.Sequential:
        stack: list = []
        for units, activation, bias, regularizer, between in hidden:
            stack.append(
                layers.Dense(
                    units,
                    activation=activation,
                    use_bias=bias,
                    kernel_regularizer=REGULARIZERS[regularizer](),
                )
            )
            if between >= 0:
                stack.append(BETWEEN[between]())
        stack.append(layers.Dense(outputs, activation=output_activation))
        model = dg.Sequential(stack)
        metrics = ["mae"] if task == "regression" else ["accuracy"]
        model.compile(OPTIMIZERS[case.optimizer](), loss, metrics=metrics, jit=jit)
        return model

    case.build = build
    case.fit = {"x": x, "y": y, "batch_size": int(rng.integers(1, samples + 5))}
    case.fit["shuffle"] = bool(rng.random() < 0.5)
    if rng.random() < 0.25:
        case.fit["sample_weight"] = rng.uniform(0, 2, samples).astype(case.dtype)
    if rng.random() < 0.25:
        case.fit["validation_split"] = 0.25
    return case


MERGES = {
    "add": layers.Add,
    "subtract": layers.Subtract,
    "multiply": layers.Multiply,
    "average": layers.Average,
    "maximum": layers.Maximum,
    "minimum": layers.Minimum,
}


def _functional_case(seed: int) -> Case:
    rng = np.random.default_rng(10_000 + seed)
    case = Case(seed)
    wide = rng.random() < 0.3
    samples = int(rng.integers(16, 80))
    features = int(rng.integers(100, 200) if wide else rng.integers(1, 8))
    widths = (130, 220) if wide else (2, 12)
    classes = int(rng.integers(2, 5))
    task = str(rng.choice(["sparse", "regression"]))
    case.dtype = str(rng.choice(["float32", "float64"]))
    case.optimizer = str(rng.choice(["sgd", "adam", "momentum", "rmsprop", "adamw", "lion"]))

    # The graph as a list of steps over node numbers (node 0 is the input): ("dense",
    # source, width, activation, the layer after it from BETWEEN or, if negative, none)
    # or (merge, [sources]).
    node_widths = [features]
    steps: list[tuple] = []
    for _ in range(int(rng.integers(2, 7))):
        equal = [w for w in set(node_widths[1:]) if node_widths[1:].count(w) >= 2]
        if rng.random() < 0.6 or len(node_widths) < 3:
            width = int(rng.integers(*widths))
            if rng.random() < 0.5 and len(node_widths) > 1:  # a width a merge can meet
                width = node_widths[int(rng.integers(1, len(node_widths)))]
            extra = int(rng.integers(-4, 3))  # BETWEEN's Dropout, BatchNorm or LayerNorm
            source = int(rng.integers(len(node_widths)))
            steps.append(("dense", source, width, ACTIVATIONS[rng.integers(8)], extra))
            node_widths.append(width)
        elif equal and rng.random() < 0.8:
            width = equal[int(rng.integers(len(equal)))]
            same = [i for i, w in enumerate(node_widths) if w == width and i > 0]
            merge = str(rng.choice(list(MERGES)))
            count = 2 if merge == "subtract" else int(rng.integers(2, len(same) + 1))
            steps.append((merge, [int(i) for i in rng.choice(same, count, replace=False)]))
            node_widths.append(width)
        else:
            pair = [int(i) for i in rng.choice(len(node_widths), 2)]
            steps.append(("concatenate", pair))
            node_widths.append(node_widths[pair[0]] + node_widths[pair[1]])
    skip = int(rng.integers(1, len(node_widths) - 1)) if rng.random() < 0.5 else None
    case.description = [
        f"functional seed {seed}: {task}, {case.dtype}, {case.optimizer}, {samples} × {features}",
        *(f"node {i + 1}: {step}" for i, step in enumerate(steps)),
        f"the output also reads node {skip}" if skip is not None else "no skip to the output",
    ]

    x = rng.standard_normal((samples, features)).astype(case.dtype)
    if task == "sparse":
        y = rng.integers(0, classes, samples)
        loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        y = rng.standard_normal((samples, classes)).astype(case.dtype)
        loss = losses.MeanSquaredError()

    def build(jit: bool) -> dg.Model:
        inputs = dg.Input((features,))
        nodes = [inputs]
        for step in steps:
            if step[0] == "dense":
                _, source, width, activation, extra = step
                out = layers.Dense(width, activation=activation)(nodes[source])
                if extra >= 0:
                    out = BETWEEN[extra]()(out)
            elif step[0] == "concatenate":
                out = layers.Concatenate()([nodes[i] for i in step[1]])
            else:
                out = MERGES[step[0]]()([nodes[i] for i in step[1]])
            nodes.append(out)
        last = nodes[-1] if skip is None else layers.Concatenate()([nodes[-1], nodes[skip]])
        model = dg.Model(inputs, layers.Dense(classes)(last))
        metrics = ["mae"] if task == "regression" else ["accuracy"]
        model.compile(OPTIMIZERS[case.optimizer](), loss, metrics=metrics, jit=jit)
        return model

    case.build = build
    case.fit = {"x": x, "y": y, "batch_size": int(rng.integers(4, samples + 3))}
    return case


def _train(case: Case, jit: bool, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Fit ``case`` for three epochs: what it ends with, and the source of each plan replayed."""
    replayed: list[str] = []
    replay = Plan.__call__

    def counted(plan: Plan, *inputs: Any) -> tuple:
        replayed.append(plan.source)
        return replay(plan, *inputs)

    monkeypatch.setattr(Plan, "__call__", counted)
    previous = dg.get_default_dtype()
    dg.set_default_dtype(case.dtype)
    try:
        dg.random.seed(case.seed)
        model = case.build(jit)
        dg.random.seed(case.seed + 1)
        history = model.fit(epochs=3, verbose=0, **case.fit).history
        x, y, batch = case.fit["x"], case.fit["y"], case.fit["batch_size"]
        return {
            "replayed": replayed,
            "history": history,
            "weights": model.get_weights(),
            "evaluate": model.evaluate(x, y, batch_size=max(1, batch // 2), verbose=0),
            "predict": model.predict(x, verbose=0),
        }
    finally:
        dg.set_default_dtype(previous)
        monkeypatch.undo()


@pytest.mark.parametrize("seed", range(60))
def test_a_random_model_trains_to_eagers_bits_when_compiled(seed, monkeypatch):
    _assert_compiled_matches_eager(_case(seed), monkeypatch)


@pytest.mark.parametrize("seed", range(30))
def test_a_random_functional_model_trains_to_eagers_bits_when_compiled(seed, monkeypatch):
    _assert_compiled_matches_eager(_functional_case(seed), monkeypatch)


def _assert_compiled_matches_eager(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    described = "\n".join(case.description)
    compiled = _train(case, jit=True, monkeypatch=monkeypatch)
    eager = _train(case, jit=False, monkeypatch=monkeypatch)
    assert compiled["replayed"] and not eager["replayed"], described
    if any("descend(" in plan for plan in compiled["replayed"]):  # rounds once, in the product
        rtol = 1e-4 if case.dtype == "float32" else 1e-10
        for mine, theirs in zip(compiled["weights"], eager["weights"], strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=rtol, err_msg=described)
        return
    assert compiled["history"].keys() == eager["history"].keys(), described
    for key, values in compiled["history"].items():  # (NaN equals NaN here, as in the arrays)
        np.testing.assert_array_equal(values, eager["history"][key], err_msg=f"{key}\n{described}")
    for part in ("weights", "evaluate"):
        for mine, theirs in zip(compiled[part], eager[part], strict=True):
            np.testing.assert_array_equal(mine, theirs, err_msg=f"{part}\n{described}")
    np.testing.assert_array_equal(compiled["predict"], eager["predict"], err_msg=described)

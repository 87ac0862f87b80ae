"""Keras 3's ``CategoricalGeneralizedCrossEntropy`` and its function form
``categorical_generalized_cross_entropy``: (1 − p_y^q) / q on integer labels. Values
against Keras on JAX for every reduction, with and without ``sample_weight`` (fixed and
live); gradients against central differences in float64 and ``jax.grad`` of Keras' loss;
the names ``compile`` takes; bad input naming the loss; a model trained with it, compiled
and eager, to the same numbers."""

from __future__ import annotations

import itertools
import os
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad.compiler.plan import Plan
from deepgrad.tensor import raw_data

rng = np.random.default_rng(21)
N, K = 6, 4
labels = rng.integers(0, K, N)
probabilities = rng.dirichlet(np.ones(K), N).astype(np.float32)
weights = rng.uniform(0.2, 2.0, N).astype(np.float32)
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]

# Keras' documented example, q=0.3, weights (0.5, 1, 2, 0)
Y_TRUE = np.array([0, 1, 0, 1])
Y_PRED = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]], np.float32)
WEIGHTS = np.array([0.5, 1.0, 2.0, 0.0], np.float32)


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


# Produced by keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=...)(Y_TRUE,
# Y_PRED, sample_weight) with Keras 3.15 on JAX.
KERAS_NUMBERS = [
    ("sum_over_batch_size", None, 0.37532809376716614),
    ("sum_over_batch_size", WEIGHTS, 0.33304619789123535),
    ("sum", None, 1.5013123750686646),
    ("sum", WEIGHTS, 1.3321847915649414),
    (None, None, [0.3382551670074463, 0.21583855152130127, 0.4736093580722809, 0.4736093580722809]),
    (None, WEIGHTS, [0.16912758350372314, 0.21583855152130127, 0.9472187161445618, 0.0]),
    ("mean_with_sample_weight", None, 0.37532809376716614),
    ("mean_with_sample_weight", WEIGHTS, 0.3806242346763611),
]


@pytest.mark.parametrize("reduction, sample_weight, expected", KERAS_NUMBERS)
def test_keras_numbers(reduction, sample_weight, expected):
    loss = losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction=reduction)
    got = raw_data(loss(Y_TRUE, Y_PRED, sample_weight))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_keras_documented_example():
    loss = losses.CategoricalGeneralizedCrossEntropy()
    assert float(raw_data(loss(Y_TRUE, Y_PRED))) == pytest.approx(0.3598597, rel=1e-6)


@pytest.mark.parametrize("q", [0.5, 0.1, 0.9])
def test_every_reduction_matches_keras_live(q):
    keras = _keras()
    for reduction, sample_weight in itertools.product(REDUCTIONS, [None, weights]):
        expected = keras.losses.CategoricalGeneralizedCrossEntropy(q, reduction=reduction)
        got = losses.CategoricalGeneralizedCrossEntropy(q, reduction=reduction)
        np.testing.assert_allclose(
            raw_data(got(labels, probabilities, sample_weight)),
            np.asarray(expected(labels, probabilities, sample_weight)),
            rtol=2e-6,
        )


def test_function_form_matches_keras():
    keras = _keras()
    expected = keras.losses.categorical_generalized_cross_entropy(labels, probabilities, 0.4)
    got = losses.categorical_generalized_cross_entropy(labels, probabilities, 0.4)
    np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=2e-6)


def test_labels_with_a_trailing_axis_of_one_are_one_label_per_sample():
    # Keras 3.15 broadcasts (n, 1) labels against (n, classes) into an (n, n) table, against
    # its docstring's "[batch_size] or [batch_size, 1]"; deepgrad reads them as the docstring
    # says (docs/training.md)
    loss = losses.CategoricalGeneralizedCrossEntropy(reduction=None)
    np.testing.assert_array_equal(
        raw_data(loss(labels[:, None], probabilities)), raw_data(loss(labels, probabilities))
    )


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("q", [0.5, 0.2])
def test_gradient_matches_central_differences(q):
    loss = losses.CategoricalGeneralizedCrossEntropy(q)
    p = probabilities.astype(np.float64)
    dg.check_grads(lambda x: loss(labels, x, weights.astype(np.float64)), (p,), order=1)


@pytest.mark.parametrize("q", [0.5, 0.2])
def test_gradient_matches_jax_grad_of_keras(q):
    keras = _keras()
    jax = pytest.importorskip("jax")
    reference = keras.losses.CategoricalGeneralizedCrossEntropy(q)
    loss = losses.CategoricalGeneralizedCrossEntropy(q)
    expected = jax.grad(lambda p: reference(labels, p, weights))(probabilities)
    got = dg.grad(lambda p: loss(labels, p, weights))(probabilities)
    np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------- names and bad input


@pytest.mark.parametrize(
    "identifier", ["categorical_generalized_cross_entropy", "CategoricalGeneralizedCrossEntropy"]
)
def test_get_takes_the_names_keras_takes(identifier):
    assert type(losses.get(identifier)) is losses.CategoricalGeneralizedCrossEntropy


def test_names_config_and_function_round_trip():
    loss = losses.CategoricalGeneralizedCrossEntropy(0.7, reduction="sum", name="gce")
    again = losses.deserialize(losses.serialize(loss))
    assert again.get_config() == loss.get_config() and again.q == 0.7
    assert loss.name == "gce"
    assert losses.CategoricalGeneralizedCrossEntropy().name == (
        "categorical_generalized_cross_entropy"
    )
    function = losses.categorical_generalized_cross_entropy
    assert losses.deserialize("categorical_generalized_cross_entropy") is function


@pytest.mark.parametrize("q", [0, 1, -0.5, 1.5, True, "0.5"])
def test_q_outside_the_open_interval_is_refused(q):
    with pytest.raises(ValueError, match=r"CategoricalGeneralizedCrossEntropy: q must be in"):
        losses.CategoricalGeneralizedCrossEntropy(q)


@pytest.mark.parametrize(
    "y_true, message",
    [
        (np.array([0, 1, 4, 1, 0, 2]), r"labels must be integers in \[0, 4\)"),
        (np.array([0, 1, -1, 1, 0, 2]), r"labels must be integers in \[0, 4\)"),
        (np.array([0.0, 1.5, 2, 1, 0, 2]), r"labels must be integers in \[0, 4\)"),
        (np.zeros((6, 4)), r"y_true has shape \(6, 4\) and y_pred \(6, 4\)"),
    ],
)
def test_bad_labels_name_the_loss(y_true, message):
    loss = losses.CategoricalGeneralizedCrossEntropy()
    with pytest.raises(ValueError, match=f"CategoricalGeneralizedCrossEntropy: {message}"):
        loss(y_true, probabilities)


# ---------------------------------------------------------------- training


def _fit(jit, monkeypatch):
    replayed = []
    replay = Plan.__call__
    monkeypatch.setattr(Plan, "__call__", lambda plan, *a: replayed.append(1) or replay(plan, *a))
    dg.random.seed(3)
    data = np.random.default_rng(5)
    x = data.normal(size=(23, 3))
    y = data.integers(0, 3, 23)
    model = dg.Sequential([dg.layers.Dense(3, activation="softmax", input_shape=(3,))])
    loss = losses.CategoricalGeneralizedCrossEntropy(0.3)
    model.compile(optimizer=dg.optimizers.Adam(learning_rate=0.05), loss=loss, jit=jit)
    sample_weight = np.linspace(0.5, 1.5, 23)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, sample_weight=sample_weight)
    monkeypatch.undo()
    return history.history["loss"], model.get_weights(), len(replayed)


def test_compiled_training_matches_eager(monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a compiled step that fell back to eager warns
        compiled_losses, compiled_weights, replays = _fit(True, monkeypatch)
    eager_losses, eager_weights, eager_replays = _fit(False, monkeypatch)
    assert replays >= 6 and eager_replays == 0
    assert compiled_losses == eager_losses
    assert compiled_losses[-1] < compiled_losses[0]
    for a, b in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_bad_label_in_a_later_batch_is_refused_by_the_compiled_step():
    model = dg.Sequential([dg.layers.Dense(3, activation="softmax", input_shape=(3,))])
    model.compile("sgd", loss=losses.CategoricalGeneralizedCrossEntropy(), jit=True)
    x = np.zeros((16, 3))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1] * 2)
    model.fit(x, y, batch_size=8, verbose=0)
    y[12] = 3
    with pytest.raises(ValueError, match="CategoricalGeneralizedCrossEntropy: labels must"):
        model.fit(x, y, batch_size=8, verbose=0)

"""Keras 3's ``Circle`` loss and its function form ``circle`` on integer labels and
L2-normalised embeddings: values against Keras on JAX for every reduction, with and
without ``sample_weight`` (fixed and live), including Keras' mask (a sample with no
positive has loss 0 and leaves the mean); reference labels and embeddings; gradients
against central differences in float64 and ``jax.grad`` of Keras' loss; the names
``compile`` takes; bad input naming the loss; a model trained with it, compiled and eager,
to the same numbers."""

from __future__ import annotations

import itertools
import os
import warnings
from typing import Any

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad.compiler.plan import Plan
from deepgrad.tensor import raw_data

REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]

# Five unit embeddings; the last sample's class (2) has no other member: no positive
EMBEDDINGS = np.array([[1, 0], [0.8, 0.6], [0, 1], [-0.6, 0.8], [0.6, -0.8]], np.float32)
LABELS = np.array([0, 0, 1, 1, 2])
WEIGHTS = np.array([0.5, 1, 2, 0, 1.5], np.float32)

rng = np.random.default_rng(4)
embeddings = rng.standard_normal((7, 5)).astype(np.float32)
embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
labels = np.array([0, 1, 0, 1, 2, 0, 3])
weights = rng.uniform(0.2, 2.0, 7).astype(np.float32)
SETTINGS = [{}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False, "gamma": 5.0}]


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


# Produced by keras.losses.Circle(reduction=..., gamma=10.0, margin=0.25)(LABELS, EMBEDDINGS,
# sample_weight) with Keras 3.15 on JAX.
KERAS_NUMBERS = [
    ("sum_over_batch_size", None, 2.4337174892425537),
    ("sum_over_batch_size", WEIGHTS, 2.517415761947632),
    ("sum", None, 9.734869956970215),
    ("sum", WEIGHTS, 10.069663047790527),
    (None, None, [2.883042812347412, 2.862055778503418, 2.883042812347412, 1.1067283153533936, 0]),
    (None, WEIGHTS, [1.441521406173706, 2.862055778503418, 5.766085624694824, 0.0, 0.0]),
    ("mean_with_sample_weight", None, 2.4337174892425537),
    ("mean_with_sample_weight", WEIGHTS, 2.877046585083008),
]


@pytest.mark.parametrize("reduction, sample_weight, expected", KERAS_NUMBERS)
def test_keras_numbers(reduction, sample_weight, expected):
    loss = losses.Circle(gamma=10.0, margin=0.25, reduction=reduction)
    got = raw_data(loss(LABELS, EMBEDDINGS, sample_weight))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("settings", SETTINGS)
def test_every_reduction_matches_keras_live(settings):
    keras = _keras()
    for reduction, sample_weight in itertools.product(REDUCTIONS, [None, weights]):
        expected = keras.losses.Circle(reduction=reduction, **settings)
        got = losses.Circle(reduction=reduction, **settings)
        np.testing.assert_allclose(
            raw_data(got(labels, embeddings, sample_weight)),
            np.asarray(expected(labels, embeddings, sample_weight)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_function_form_with_references_matches_keras():
    keras = _keras()
    references = rng.standard_normal((4, 5)).astype(np.float32)
    references /= np.linalg.norm(references, axis=1, keepdims=True)
    reference_labels = np.array([0, 1, 2, 2])
    for settings in SETTINGS:
        expected = keras.losses.circle(labels, embeddings, reference_labels, references, **settings)
        got = losses.circle(labels, embeddings, reference_labels, references, **settings)
        np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_labels_with_a_trailing_axis_of_one_match_keras():
    keras = _keras()
    expected = keras.losses.Circle(reduction=None)(labels[:, None], embeddings)
    got = losses.Circle(reduction=None)(labels[:, None], embeddings)
    np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_a_batch_without_positives_is_zero_and_no_nan():
    loss = losses.Circle()
    assert float(raw_data(loss(np.arange(7), embeddings))) == 0.0
    gradient = raw_data(dg.grad(lambda p: loss(np.arange(7), p))(embeddings))
    np.testing.assert_array_equal(gradient, np.zeros_like(embeddings))


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("settings", SETTINGS[:2])
def test_gradient_matches_central_differences(settings):
    loss = losses.Circle(**settings)
    dg.check_grads(
        lambda p: loss(labels, p, weights.astype(np.float64)),
        (embeddings.astype(np.float64),),
        order=1,
    )


@pytest.mark.parametrize("settings", SETTINGS)
def test_gradient_matches_jax_grad_of_keras(settings):
    keras = _keras()
    jax = pytest.importorskip("jax")
    reference = keras.losses.Circle(**settings)
    loss = losses.Circle(**settings)
    expected = np.asarray(jax.grad(lambda p: reference(labels, p, weights))(embeddings))
    got = raw_data(dg.grad(lambda p: loss(labels, p, weights))(embeddings))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


# ---------------------------------------------------------------- names and bad input


@pytest.mark.parametrize("identifier", ["circle", "Circle"])
def test_get_takes_the_names_keras_takes(identifier):
    assert type(losses.get(identifier)) is losses.Circle


def test_config_and_function_round_trip():
    loss = losses.Circle(30.0, 0.3, False, reduction="sum", name="c")
    again = losses.deserialize(losses.serialize(loss))
    assert again.get_config() == loss.get_config()
    assert (again.gamma, again.margin, again.remove_diagonal) == (30.0, 0.3, False)
    assert losses.Circle().name == "circle"
    assert losses.deserialize("circle") is losses.circle


def test_keras_config_keys_are_taken():
    keras = _keras()
    config = keras.losses.Circle(gamma=12.0, margin=0.1, remove_diagonal=False).get_config()
    loss = losses.Circle(**config)
    assert (loss.gamma, loss.margin, loss.remove_diagonal) == (12.0, 0.1, False)


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        (labels[:6], embeddings, r"y_true labels have shape \(6,\) for 7 embeddings"),
        (np.zeros((7, 2)), embeddings, r"y_true labels have shape \(7, 2\)"),
        (labels, embeddings[:, 0], r"y_pred has shape \(7,\); it must be embeddings"),
        (labels + 0.5, embeddings, "labels must be integers"),
    ],
)
def test_bad_input_names_the_loss(y_true, y_pred, message):
    with pytest.raises(ValueError, match=f"Circle: {message}"):
        losses.Circle()(y_true, y_pred)


def test_bad_references_name_the_loss():
    with pytest.raises(ValueError, match=r"Circle: ref_embeddings have shape \(3, 4\)"):
        losses.circle(labels, embeddings, np.zeros(3), np.ones((3, 4)))
    with pytest.raises(ValueError, match="Circle: 7 reference labels for 3 reference"):
        losses.circle(labels, embeddings, None, np.ones((3, 5)))
    gamma: Any = "80"
    with pytest.raises(TypeError, match="Circle: gamma must be a number"):
        losses.Circle(gamma=gamma)


# ---------------------------------------------------------------- training


def _fit(jit, monkeypatch):
    replayed = []
    replay = Plan.__call__
    monkeypatch.setattr(Plan, "__call__", lambda plan, *a: replayed.append(1) or replay(plan, *a))
    dg.random.seed(3)
    data = np.random.default_rng(5)
    x = data.normal(size=(24, 3))
    y = data.integers(0, 3, 24)
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4), dg.layers.UnitNormalization()])
    loss = losses.Circle(gamma=16.0)
    model.compile(optimizer=dg.optimizers.Adam(learning_rate=0.05), loss=loss, jit=jit)
    sample_weight = np.linspace(0.5, 1.5, 24)
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

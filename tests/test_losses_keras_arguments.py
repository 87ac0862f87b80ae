"""Keras 3's loss arguments beyond the defaults: the reductions ``None`` and
``"mean_with_sample_weight"``, ``axis`` of the cross-entropies, ``ignore_class`` of the
sparse cross-entropy, and the functional forms' ``label_smoothing``. Values against
Keras on JAX, in float32 and float64 (to float32's precision: JAX computes in float32
unless told otherwise)."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad.tensor import raw_data

rng = np.random.default_rng(3)
N, K = 6, 4
y_true = rng.uniform(0, 1, (N, K))
y_pred = rng.uniform(0.05, 1, (N, K))
weights = rng.uniform(0.2, 2.0, N)
DTYPES = [np.float32, np.float64]


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _check(expected, got):
    expected, got = np.asarray(expected, np.float64), np.asarray(raw_data(got), np.float64)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", [None, "mean_with_sample_weight"])
@pytest.mark.parametrize("sample_weight", [None, weights, weights[:, None], np.zeros(N)])
def test_reductions_none_and_mean_with_sample_weight_match_keras(dtype, reduction, sample_weight):
    keras = _keras()
    yt, yp = y_true.astype(dtype), y_pred.astype(dtype)
    sw = None if sample_weight is None else sample_weight.astype(dtype)
    expected = keras.losses.MeanSquaredError(reduction=reduction)(yt, yp, sw)
    got = losses.MeanSquaredError(reduction=reduction)(yt, yp, sw)
    _check(np.reshape(expected, np.shape(raw_data(got))), got)
    assert raw_data(got).dtype == dtype


def test_mean_with_sample_weight_divides_by_the_weights_and_keeps_gradients():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    per_sample = np.mean((y_true - y_pred) ** 2, axis=-1)
    assert float(loss(y_true, y_pred, weights)) == pytest.approx(
        np.sum(weights * per_sample) / np.sum(weights)
    )
    grad = dg.grad(lambda p: loss(y_true, p, weights))(y_pred)
    expected = weights[:, None] * 2 * (y_pred - y_true) / K / np.sum(weights)
    np.testing.assert_allclose(raw_data(grad), expected, rtol=1e-12)
    assert losses.get(losses.serialize(loss)).reduction == "mean_with_sample_weight"


one_hot = np.eye(K)[rng.integers(0, K, N)]
scores = rng.normal(size=(N, K))
probabilities = rng.uniform(0.05, 0.95, (N, K))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["BinaryCrossentropy", "CategoricalCrossentropy"])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("axis", [0, -1])
def test_cross_entropy_axis_matches_keras(dtype, name, from_logits, axis):
    keras = _keras()
    yt = one_hot.astype(dtype)
    yp = (scores if from_logits else probabilities).astype(dtype)
    # Keras smooths by the length of the last axis whatever ``axis`` is; deepgrad by the
    # number of classes (see docs/training.md), so smoothing is compared along the last
    smoothing = 0.1 if axis == -1 or name == "BinaryCrossentropy" else 0.0
    kwargs = {"from_logits": from_logits, "label_smoothing": smoothing, "axis": axis}
    for reduction in ["sum_over_batch_size", "none"]:
        expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)(yt, yp)
        got = getattr(losses, name)(reduction=reduction, **kwargs)(yt, yp)
        _check(expected, got)
    loss = getattr(losses, name)(**kwargs)
    assert losses.get(losses.serialize(loss)).axis == axis


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
@pytest.mark.parametrize("kwargs", [{"label_smoothing": 0.2}, {"axis": 0}])
def test_functional_cross_entropies_take_label_smoothing_and_axis(name, kwargs):
    keras = _keras()
    expected = getattr(keras.losses, name)(one_hot, scores, from_logits=True, **kwargs)
    _check(expected, getattr(losses, name)(one_hot, scores, from_logits=True, **kwargs))


def test_label_smoothing_along_another_axis_spreads_over_that_axis():
    loss = losses.CategoricalCrossentropy(label_smoothing=0.3, axis=0, reduction="none")
    labels = np.eye(N)[:, :2]  # (N, 2): classes along axis 0
    smoothed = labels * 0.7 + 0.3 / N
    expected = -np.sum(smoothed * np.log(np.full((N, 2), 1.0 / N)), axis=0)
    _check(expected, loss(labels, np.ones((N, 2))))


labels = rng.integers(0, K, (N, 5))
labels[0, :2] = -1
labels[3, 4] = -1
sequence_scores = rng.normal(size=(N, 5, K))
sequence_probabilities = np.exp(sequence_scores) / np.exp(sequence_scores).sum(-1, keepdims=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize(
    "reduction", ["sum_over_batch_size", "sum", "none", "mean_with_sample_weight"]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_ignore_class_matches_keras(dtype, from_logits, reduction, weighted):
    keras = _keras()
    yp = (sequence_scores if from_logits else sequence_probabilities).astype(dtype)
    sw = np.broadcast_to(weights[:, None], labels.shape).astype(dtype) if weighted else None
    kwargs = {"from_logits": from_logits, "ignore_class": -1, "reduction": reduction}
    expected = keras.losses.SparseCategoricalCrossentropy(**kwargs)(labels, yp, sw)
    got = losses.SparseCategoricalCrossentropy(**kwargs)(labels, yp, sw)
    _check(expected, got)


def test_ignore_class_gives_ignored_samples_no_gradient_and_survives_saving():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    grad = raw_data(dg.grad(lambda s: loss(labels, s))(sequence_scores))
    assert np.all(grad[labels == -1] == 0) and np.all(np.abs(grad[labels != -1]).sum(-1) > 0)
    assert float(loss(np.full((2, 3), -1), np.zeros((2, 3, K)))) == 0.0
    assert losses.get(losses.serialize(loss)).ignore_class == -1
    _check(
        _keras().losses.sparse_categorical_crossentropy(labels, sequence_scores, True, -1),
        losses.sparse_categorical_crossentropy(labels, sequence_scores, True, -1),
    )

"""Keras 3's focal cross-entropies (``BinaryFocalCrossentropy``,
``CategoricalFocalCrossentropy``) and overlap losses (``Dice``, ``Tversky``): values against
Keras on JAX for every reduction, with and without ``sample_weight``, on probabilities and
logits, with label smoothing, class balancing, per-class alpha and ``axis``; gradients
against central differences in float64 and against ``jax.grad`` of Keras' loss; the names
``compile`` takes; and a model trained with each, compiled and eager, to the same numbers.

Deviations from Keras that deepgrad documents (docs/training.md) are left out of the
comparison: a single ``sample_weight`` number under ``"mean_with_sample_weight"``, and the
shape of the unreduced loss given weights of shape (n, 1)."""

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

rng = np.random.default_rng(11)
N, K = 5, 4
labels = (rng.uniform(size=(N, K)) > 0.5).astype(np.float32)
one_hot = np.eye(K, dtype=np.float32)[rng.integers(0, K, N)]
probabilities = rng.uniform(0.02, 0.98, (N, K)).astype(np.float32)
logits = rng.normal(0, 3, (N, K)).astype(np.float32)
masks = (rng.uniform(size=(N, 3, 3, 2)) > 0.5).astype(np.float32)
soft_masks = rng.uniform(0, 1, (N, 3, 3, 2)).astype(np.float32)
weights = rng.uniform(0.2, 2.0, N).astype(np.float32)
REDUCTIONS = ["sum_over_batch_size", "sum", "none", None, "mean", "mean_with_sample_weight"]
NAMES = ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky"]


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _check(expected, got, rtol=2e-5):
    expected, got = np.asarray(expected, np.float64), np.asarray(raw_data(got), np.float64)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-6)


def _against_keras(name, kwargs, y_true, y_pred):
    """Every reduction, unweighted and with one weight per sample, deepgrad against Keras."""
    keras = _keras()
    for reduction, sample_weight in itertools.product(REDUCTIONS, [None, weights]):
        expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        got = getattr(losses, name)(reduction=reduction, **kwargs)
        _check(expected(y_true, y_pred, sample_weight), got(y_true, y_pred, sample_weight))


# ---------------------------------------------------------------- values against Keras


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("apply_class_balancing", [False, True])
def test_binary_focal_matches_keras(from_logits, label_smoothing, apply_class_balancing):
    kwargs = {
        "from_logits": from_logits,
        "label_smoothing": label_smoothing,
        "apply_class_balancing": apply_class_balancing,
        "alpha": 0.3,
        "gamma": 1.5,
    }
    _against_keras(
        "BinaryFocalCrossentropy", kwargs, labels, logits if from_logits else probabilities
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("alpha", [0.25, [0.1, 0.2, 0.3, 0.4]])
def test_categorical_focal_matches_keras(from_logits, label_smoothing, alpha):
    kwargs = {
        "from_logits": from_logits,
        "label_smoothing": label_smoothing,
        "alpha": alpha,
        "gamma": 2.5,
    }
    y_pred = logits if from_logits else probabilities
    _against_keras("CategoricalFocalCrossentropy", kwargs, one_hot, y_pred)


@pytest.mark.parametrize("name", ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_focal_axis_matches_keras(name, from_logits):
    keras = _keras()
    y_pred = logits if from_logits else probabilities
    for reduction in REDUCTIONS:
        kwargs = {"from_logits": from_logits, "axis": 0, "reduction": reduction}
        expected = getattr(keras.losses, name)(**kwargs)(one_hot, y_pred)
        _check(expected, getattr(losses, name)(**kwargs)(one_hot, y_pred))


@pytest.mark.parametrize("name", ["Dice", "Tversky"])
@pytest.mark.parametrize("axis", [None, (1, 2, 3), (1, 2), -1, [1, 3]])
def test_overlap_losses_match_keras(name, axis):
    kwargs = {"axis": axis} if name == "Dice" else {"axis": axis, "alpha": 0.3, "beta": 0.7}
    if axis is None or axis == (1, 2, 3):  # one value per sample, or one for the batch
        _against_keras(name, kwargs, masks, soft_masks)
    else:
        keras = _keras()
        for reduction in REDUCTIONS:
            expected = getattr(keras.losses, name)(reduction=reduction, **kwargs)
            got = getattr(losses, name)(reduction=reduction, **kwargs)
            _check(expected(masks, soft_masks), got(masks, soft_masks))


def test_function_forms_match_keras():
    keras = _keras()
    for name, args in [
        ("binary_focal_crossentropy", (True, 0.4, 3.0, True, 0.2, -1)),
        ("categorical_focal_crossentropy", ([0.1, 0.2, 0.3, 0.4], 1.0, True, 0.1, -1)),
    ]:
        y_true = labels if name.startswith("binary") else one_hot
        expected = getattr(keras.losses, name)(y_true, logits, *args)
        _check(expected, getattr(losses, name)(y_true, logits, *args))
    for axis in [None, (1, 2, 3)]:
        _check(keras.losses.dice(masks, soft_masks, axis), losses.dice(masks, soft_masks, axis))
        expected = keras.losses.tversky(masks, soft_masks, 0.2, 0.8, axis)
        _check(expected, losses.tversky(masks, soft_masks, 0.2, 0.8, axis))


def test_labels_one_trailing_axis_apart_match_keras():
    """(n, k) labels against (n, k, 1) predictions: Keras squeezes the predictions and
    averages over k, one loss per sample."""
    keras = _keras()
    for name in ["BinaryFocalCrossentropy", "Dice"]:
        kwargs = {"axis": 1} if name == "Dice" else {}
        expected = getattr(keras.losses, name)(reduction=None, **kwargs)
        got = getattr(losses, name)(reduction=None, **kwargs)
        y_pred = probabilities[..., None]
        _check(expected(labels, y_pred), got(labels, y_pred))
        y_true = labels[..., None]
        if name == "BinaryFocalCrossentropy":
            _check(expected(y_true, probabilities), got(y_true, probabilities))


def test_integer_labels_and_dtype_match_keras():
    keras = _keras()
    integer_labels = labels.astype(np.int64)
    expected = keras.losses.BinaryFocalCrossentropy(reduction=None)(integer_labels, probabilities)
    got = losses.BinaryFocalCrossentropy(reduction=None, dtype="float32")(
        integer_labels, probabilities.astype(np.float64)
    )
    _check(expected, got)
    assert raw_data(got).dtype == np.float32
    assert raw_data(losses.Dice()(masks, soft_masks.astype(np.float64))).dtype == np.float64


# Produced by Keras 3.15 on JAX (float32), e.g.
# keras.losses.BinaryFocalCrossentropy(gamma=3, from_logits=True)(y_true, y_pred)
KERAS_DOC_TRUE = np.array([[0.0, 1.0], [0.0, 0.0]])
KERAS_DOC_LOGITS = np.array([[-18.6, 0.51], [2.94, -12.8]])
SEGMENT_TRUE = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
SEGMENT_PRED = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
FIXED = [
    (losses.BinaryFocalCrossentropy(gamma=3, from_logits=True), {}, 0.64699477),
    (
        losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3, from_logits=True),
        {"sample_weight": np.array([0.8, 0.2])},
        0.09735972,
    ),
    (
        losses.BinaryFocalCrossentropy(gamma=5, from_logits=True, reduction=None),
        {},
        [0.00174837, 1.156102],
    ),
    (losses.BinaryFocalCrossentropy(gamma=4, from_logits=True, reduction="sum"), {}, 1.2218801),
]


@pytest.mark.parametrize("loss, kwargs, expected", FIXED)
def test_binary_focal_keras_documented_numbers(loss, kwargs, expected):
    got = loss(KERAS_DOC_TRUE, KERAS_DOC_LOGITS, **kwargs)
    np.testing.assert_allclose(raw_data(got), expected, rtol=1e-5)


def test_categorical_focal_and_dice_keras_documented_numbers():
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    loss = losses.CategoricalFocalCrossentropy(reduction=None)
    np.testing.assert_allclose(
        raw_data(loss(y_true, y_pred)), [3.2058331e-05, 4.6627346e-01], rtol=1e-5
    )
    weighted = losses.CategoricalFocalCrossentropy()(y_true, y_pred, np.array([0.3, 0.7]))
    np.testing.assert_allclose(raw_data(weighted), 0.16320053, rtol=1e-5)
    per_image = losses.Dice(axis=(1, 2, 3), reduction=None)(SEGMENT_TRUE, SEGMENT_PRED)
    np.testing.assert_allclose(raw_data(per_image), [0.5, 0.75757575], rtol=1e-6)
    np.testing.assert_allclose(
        raw_data(losses.Dice()(SEGMENT_TRUE, SEGMENT_PRED)), 0.6164384, rtol=1e-6
    )
    tversky = losses.Tversky(alpha=0.7, beta=0.3)(SEGMENT_TRUE, SEGMENT_PRED)
    np.testing.assert_allclose(raw_data(tversky), 0.63060683, rtol=1e-6)


# ---------------------------------------------------------------- gradients


def _instances():
    return {
        "binary focal, logits, balanced, smoothed": (
            losses.BinaryFocalCrossentropy(True, 0.3, 1.5, True, 0.1),
            labels,
            logits,
        ),
        "binary focal, probabilities": (
            losses.BinaryFocalCrossentropy(gamma=2.5),
            labels,
            probabilities,
        ),
        "categorical focal, logits, per-class alpha": (
            losses.CategoricalFocalCrossentropy([0.1, 0.2, 0.3, 0.4], 2.0, True, 0.1),
            one_hot,
            logits,
        ),
        "categorical focal, probabilities": (
            losses.CategoricalFocalCrossentropy(),
            one_hot,
            probabilities,
        ),
        "dice": (losses.Dice(), masks, soft_masks),
        "dice per image": (losses.Dice(axis=(1, 2, 3)), masks, soft_masks),
        "tversky per image": (losses.Tversky(0.3, 0.7, axis=(1, 2, 3)), masks, soft_masks),
    }


@pytest.mark.parametrize("case", list(_instances()))
def test_gradient_matches_central_differences(case):
    loss, y_true, y_pred = _instances()[case]
    y_true = y_true.astype(np.float64)
    dg.check_grads(lambda p: loss(y_true, p, weights.astype(np.float64)), (y_pred,), order=1)


KERAS_OF = {
    "binary focal, logits, balanced, smoothed": "BinaryFocalCrossentropy",
    "binary focal, probabilities": "BinaryFocalCrossentropy",
    "categorical focal, logits, per-class alpha": "CategoricalFocalCrossentropy",
    "categorical focal, probabilities": "CategoricalFocalCrossentropy",
    "dice": "Dice",
    "dice per image": "Dice",
    "tversky per image": "Tversky",
}


@pytest.mark.parametrize("case", list(_instances()))
def test_gradient_matches_jax_grad_of_keras(case):
    keras = _keras()
    jax = pytest.importorskip("jax")
    loss, y_true, y_pred = _instances()[case]
    config = {k: v for k, v in loss.get_config().items() if k not in ("dtype", "reduction")}
    reference = getattr(keras.losses, KERAS_OF[case])(**config)
    expected = jax.grad(lambda p: reference(y_true, p, weights))(y_pred)
    got = dg.grad(lambda p: loss(y_true, p, weights))(y_pred)
    np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=1e-4, atol=1e-7)


# ---------------------------------------------------------------- names and bad input


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("binary_focal_crossentropy", "BinaryFocalCrossentropy"),
        ("BinaryFocalCrossentropy", "BinaryFocalCrossentropy"),
        ("categorical_focal_crossentropy", "CategoricalFocalCrossentropy"),
        ("CategoricalFocalCrossentropy", "CategoricalFocalCrossentropy"),
        ("dice", "Dice"),
        ("Dice", "Dice"),
        ("tversky", "Tversky"),
        ("Tversky", "Tversky"),
    ],
)
def test_get_takes_the_names_keras_takes(identifier, cls):
    keras = _keras()
    assert type(keras.losses.get(identifier)).__name__ in (cls, "function")
    loss = losses.get(identifier)
    assert type(loss).__name__ == cls
    restored = losses.get(losses.serialize(loss))
    assert restored.get_config() == loss.get_config()


def test_config_round_trip_keeps_every_argument():
    loss = losses.CategoricalFocalCrossentropy(
        alpha=[0.2, 0.8], gamma=1.0, from_logits=True, label_smoothing=0.1, axis=0, dtype="float32"
    )
    restored = losses.get(losses.serialize(loss))
    assert restored.get_config() == loss.get_config()
    assert restored.alpha == (0.2, 0.8) and restored.dtype == "float32" and restored.axis == 0
    tversky = losses.get(losses.serialize(losses.Tversky(0.1, 0.9, axis=(1, 2), name="t")))
    assert (tversky.alpha, tversky.beta, tversky.axis, tversky.name) == (0.1, 0.9, (1, 2), "t")


@pytest.mark.parametrize(
    "make, y_true, y_pred, message",
    [
        (losses.BinaryFocalCrossentropy, labels, probabilities[:, :3],
         "BinaryFocalCrossentropy: y_true has shape"),
        (losses.CategoricalFocalCrossentropy, one_hot, probabilities[:4],
         "CategoricalFocalCrossentropy: y_true has shape"),
        (losses.Dice, masks, soft_masks[..., 0], "Dice: y_true has shape"),
        (lambda: losses.Tversky(axis=4), masks, soft_masks,
         "Tversky: axis=(4,) is out of range"),
        (lambda: losses.BinaryFocalCrossentropy(axis=2), labels, probabilities,
         "BinaryFocalCrossentropy: axis=2 is out of range"),
        (lambda: losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5]), one_hot, probabilities,
         "CategoricalFocalCrossentropy: alpha has 2 entries"),
    ],
)  # fmt: skip
def test_bad_input_names_the_loss(make, y_true, y_pred, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()(y_true, y_pred)


def test_bad_arguments_name_the_loss():
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy: axis must be an integer"):
        losses.BinaryFocalCrossentropy(axis=True)
    with pytest.raises(ValueError, match="Dice: axis must be None, an integer or a tuple"):
        losses.Dice(axis=(1.5,))
    with pytest.raises(ValueError, match="Tversky: dtype must be a floating dtype"):
        losses.Tversky(dtype="int32")
    with pytest.raises(ValueError, match="CategoricalFocalCrossentropy: alpha must be a number"):
        losses.CategoricalFocalCrossentropy(alpha=[[0.5]])
    with pytest.raises(ValueError, match="Dice: reduction must be one of"):
        losses.Dice(reduction="avg")
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy: sample_weight has shape"):
        losses.BinaryFocalCrossentropy()(labels, probabilities, weights[:3])


def test_one_class_warns_as_keras():
    with pytest.warns(SyntaxWarning, match="one class"):
        losses.CategoricalFocalCrossentropy()(np.ones((3, 1)), np.full((3, 1), 0.5))


# ---------------------------------------------------------------- training


def _fit(loss, y, jit, activation, monkeypatch):
    """Three epochs of Adam on a Dense layer: the losses, the weights, and how many times a
    compiled plan was replayed."""
    replayed = []
    replay = Plan.__call__
    monkeypatch.setattr(Plan, "__call__", lambda plan, *a: replayed.append(1) or replay(plan, *a))
    dg.random.seed(3)
    x = np.random.default_rng(5).normal(size=(23, 3)).astype(np.float64)
    model = dg.Sequential([dg.layers.Dense(y.shape[-1], activation=activation, input_shape=(3,))])
    model.compile(optimizer=dg.optimizers.Adam(learning_rate=0.05), loss=loss, jit=jit)
    sample_weight = np.linspace(0.5, 1.5, 23)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, sample_weight=sample_weight)
    monkeypatch.undo()
    return history.history["loss"], model.get_weights(), len(replayed)


TRAINED = [
    ("binary_focal_crossentropy", "sigmoid", "binary"),
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True), None, "binary"),
    ("categorical_focal_crossentropy", "softmax", "one_hot"),
    (losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1), None, "one_hot"),
    ("dice", "sigmoid", "binary"),
    (losses.Tversky(0.3, 0.7, axis=-1), "sigmoid", "binary"),
]


@pytest.mark.parametrize("loss, activation, target", TRAINED)
def test_compiled_training_matches_eager(loss, activation, target, monkeypatch):
    rng_targets = np.random.default_rng(8)
    if target == "binary":
        y = (rng_targets.uniform(size=(23, 3)) > 0.5).astype(np.float64)
    else:
        y = np.eye(3)[rng_targets.integers(0, 3, 23)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a compiled step that fell back to eager warns
        compiled_losses, compiled_weights, replays = _fit(loss, y, True, activation, monkeypatch)
    eager_losses, eager_weights, eager_replays = _fit(loss, y, False, activation, monkeypatch)
    assert replays >= 6 and eager_replays == 0  # the later epochs ran the compiled plans
    assert compiled_losses == eager_losses
    assert compiled_losses[-1] < compiled_losses[0]
    for a, b in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loss", ["binary_focal_crossentropy", "dice", "tversky"])
def test_model_evaluate_matches_keras(loss):
    keras = _keras()
    x = np.random.default_rng(2).normal(size=(9, 3)).astype(np.float32)
    y = (np.random.default_rng(4).uniform(size=(9, 2)) > 0.5).astype(np.float32)
    kernel = np.array([[0.5, -0.2], [0.2, 0.1], [-0.1, 0.3]], np.float32)
    bias = np.array([0.3, -0.1], np.float32)
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="sigmoid")])
    model = dg.Sequential([dg.layers.Dense(2, activation="sigmoid", input_shape=(3,))])
    for m in (reference, model):
        m.set_weights([kernel, bias])
        m.compile(optimizer="sgd", loss=loss)
    expected = reference.evaluate(x, y, batch_size=9, verbose=0)
    got = model.evaluate(x.astype(np.float32), y, batch_size=9, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_saturated_logits_with_gamma_zero_have_a_finite_gradient():
    """γ = 0 is the binary cross-entropy: where sigmoid saturates to exactly 0 or 1 the focal
    factor (1 − p_t)^0 is the constant 1, whose derivative is 0. (jax.grad of Keras' loss
    gives nan there, from 0 · 0^−1; the loss values agree: 0.18478517 from Keras.)"""
    y_true = np.array([[1.0, 0.0, 1.0]], np.float32)
    z = np.array([[30.0, -30.0, 0.3]], np.float32)
    loss = losses.BinaryFocalCrossentropy(gamma=0.0, from_logits=True)
    np.testing.assert_allclose(raw_data(loss(y_true, z)), 0.18478517, rtol=1e-6)
    grad = raw_data(dg.grad(lambda p: loss(y_true, p))(z))
    np.testing.assert_allclose(grad, [[0.0, 0.0, -0.14185251]], rtol=1e-6)

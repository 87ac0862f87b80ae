"""Losses against Keras 3.15 (KERAS_BACKEND=jax) where earlier comparisons left gaps: the
``ignore_class`` mask with sample weights in a compiled step (fit), the default names,
the sparse cross-entropy's ``axis``, ``dtype`` on every loss, (n, 1) weights on losses of
several values per sample and the shape of unreduced weighted losses, float16
predictions, and the "bce" alias. Numbers fixed from Keras, or Keras run in the test."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad.tensor import raw_data

X = np.sin(np.arange(30, dtype=np.float32)).reshape(10, 3)
KERNEL = np.linspace(-1, 1, 9, dtype=np.float32).reshape(3, 3)
BIAS = np.array([0.1, -0.2, 0.05], np.float32)
# batches of 4: the first two ignore the same sample, the third others
IGNORED_LABELS = np.array([0, -1, 1, 2, 0, -1, 1, 2, -1, 2])
WEIGHTS = np.linspace(0.5, 2.0, 10, dtype=np.float32)
KERAS_FIT = [1.4015381336212158, 1.1238229274749756]
KERAS_EVALUATE = 0.9785057902336121


def test_ignore_class_with_sample_weight_trains_as_keras():
    # Keras 3.15: SGD(0.1), SparseCategoricalCrossentropy(from_logits=True,
    # ignore_class=-1), fit(..., sample_weight=WEIGHTS, epochs=2, batch_size=4,
    # shuffle=False) from these weights, then evaluate. deepgrad's compiled step froze the
    # first batch's mask times the weights: CompileError, or a wrong loss where the first
    # two batches' masks agreed.
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(3)])
    model.set_weights([KERNEL, BIAS])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    model.compile(dg.optimizers.SGD(learning_rate=0.1), loss)
    history = model.fit(
        X, IGNORED_LABELS, sample_weight=WEIGHTS, epochs=2, batch_size=4, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"], KERAS_FIT, rtol=1e-5)
    evaluated = model.evaluate(X, IGNORED_LABELS, sample_weight=WEIGHTS, batch_size=4, verbose=0)
    assert evaluated == pytest.approx(KERAS_EVALUATE, rel=1e-5)


def test_ignore_class_with_sample_weight_compiled_as_eager():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    compiled = dg.compiler.compile(lambda y_true, y_pred, weights: loss(y_true, y_pred, weights))
    y_pred = X[:4]
    weights = np.arange(1, 5, dtype=np.float32)
    for labels in ([0, 2, 1, 1], [0, 2, 1, 0], [2, 2, 0, 1], [0, 0, 0, 2]):
        expected = float(raw_data(loss(np.array(labels), y_pred, weights)))
        got = float(raw_data(compiled(np.array(labels), y_pred, weights)))
        assert got == pytest.approx(expected, rel=1e-6)


def _keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_default_names_are_keras():
    # Keras 3.15's names; deepgrad's were "huber" and "kldivergence"
    assert losses.Huber().name == "huber_loss"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.KLDivergence().get_config()["name"] == "kl_divergence"
    assert losses.Huber(name="h").name == "h"


LOSS_CLASSES = sorted(
    name
    for name in losses.__all__
    if isinstance(getattr(losses, name), type)
    and issubclass(getattr(losses, name), losses.Loss)
    and name not in ("Loss", "GaussianNLL", "OutputLosses")  # not in Keras
)


@pytest.mark.parametrize("name", LOSS_CLASSES)
def test_every_default_name_is_keras(name):
    keras = _keras()
    assert getattr(losses, name)().name == getattr(keras.losses, name)().name


CLASS_AXIS_LOGITS = np.cos(np.arange(18, dtype=np.float32)).reshape(2, 3, 3) * 2  # classes: axis 1
CLASS_AXIS_LABELS = np.array([[0, 2, 1], [2, -1, 0]])
# Keras 3.15: SparseCategoricalCrossentropy(from_logits=True, axis=1, reduction="none"),
# labels with -1 taken as 1 (abs), and with ignore_class=-1 (the 0.0)
KERAS_CLASS_AXIS = [
    [0.6637784838676453, 0.5377979874610901, 0.5131607055664062],
    [3.275090217590332, 0.052968237549066544, 1.055919885635376],
]
KERAS_CLASS_AXIS_MEAN, KERAS_CLASS_AXIS_IGNORED_MEAN = 1.016452670097351, 1.2091494798660278


@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_categorical_crossentropy_takes_keras_axis(from_logits):
    # deepgrad refused axis (TypeError)
    y_pred = CLASS_AXIS_LOGITS
    if not from_logits:
        exp = np.exp(y_pred)
        y_pred = exp / exp.sum(axis=1, keepdims=True)
    labels = np.abs(CLASS_AXIS_LABELS)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, axis=1)
    assert float(raw_data(loss(labels, y_pred))) == pytest.approx(KERAS_CLASS_AXIS_MEAN, rel=1e-5)
    per_sample = losses.sparse_categorical_crossentropy(labels, y_pred, from_logits, axis=1)
    np.testing.assert_allclose(raw_data(per_sample), KERAS_CLASS_AXIS, rtol=1e-5)
    ignoring = losses.SparseCategoricalCrossentropy(from_logits, -1, axis=1)
    got = float(raw_data(ignoring(CLASS_AXIS_LABELS, y_pred)))
    assert got == pytest.approx(KERAS_CLASS_AXIS_IGNORED_MEAN, rel=1e-5)
    assert losses.get(losses.serialize(ignoring)).get_config()["axis"] == 1


def test_sparse_categorical_crossentropy_axis_gradient_matches_keras():
    keras = _keras()
    jax = pytest.importorskip("jax")
    keras_loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=-1, axis=1
    )
    expected = jax.grad(lambda p: keras_loss(CLASS_AXIS_LABELS, p))(CLASS_AXIS_LOGITS)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, axis=1)
    got = dg.grad(lambda p: loss(CLASS_AXIS_LABELS, p))(CLASS_AXIS_LOGITS)
    np.testing.assert_allclose(raw_data(got), np.asarray(expected), rtol=1e-5, atol=1e-7)


def test_sparse_categorical_crossentropy_refuses_a_bad_axis():
    with pytest.raises(ValueError, match="SparseCategoricalCrossentropy: axis=3 is out of range"):
        losses.SparseCategoricalCrossentropy(axis=3)(CLASS_AXIS_LABELS, CLASS_AXIS_LOGITS)
    with pytest.raises(ValueError, match="axis must be an integer"):
        losses.SparseCategoricalCrossentropy(axis=1.0)  # type: ignore[arg-type]


DTYPE_TRUE = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
DTYPE_PRED = np.array([[0.2, 0.7, 0.4], [0.9, 0.3, 0.05]])
# Keras 3.15: keras.losses.<Name>(dtype="float32")(DTYPE_TRUE, DTYPE_PRED), float64 inputs
# (labels [1, 0] for the sparse one), a float32 result
KERAS_FLOAT32 = {
    "MeanSquaredError": 0.09875001013278961,
    "MeanAbsoluteError": 0.25833335518836975,
    "MeanAbsolutePercentageError": 91666688.0,
    "MeanSquaredLogarithmicError": 0.043452825397253036,
    "Huber": 0.049375005066394806,
    "LogCosh": 0.04748769849538803,
    "BinaryCrossentropy": 0.33490633964538574,
    "CategoricalCrossentropy": 1.0630991458892822,
    "SparseCategoricalCrossentropy": 0.4737716317176819,
    "KLDivergence": 0.6891610026359558,
    "Poisson": 0.6547209620475769,
    "CosineSimilarity": -0.9418753385543823,
    "Hinge": 0.7583333253860474,
    "SquaredHinge": 0.7820833325386047,
    "CategoricalHinge": 0.25,
    "BinaryFocalCrossentropy": 0.06736229360103607,
    "CategoricalFocalCrossentropy": 0.09031732380390167,
    "Dice": 0.27927929162979126,
    "Tversky": 0.27927929162979126,
}


@pytest.mark.parametrize("name", sorted(KERAS_FLOAT32))
def test_every_loss_takes_keras_dtype(name):
    # only the focal, overlap, generalized and circle losses took dtype; the others raised
    # a TypeError naming no loss
    y_true = np.array([1, 0]) if name.startswith("Sparse") else DTYPE_TRUE
    loss = getattr(losses, name)
    got = raw_data(loss(dtype="float32")(y_true, DTYPE_PRED))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_FLOAT32[name], rel=2e-6)
    wide = raw_data(loss(dtype="float64")(y_true, DTYPE_PRED.astype(np.float32)))
    assert wide.dtype == np.float64
    assert losses.get(losses.serialize(loss(dtype="float32"))).get_config()["dtype"] == "float32"


def test_dtype_keeps_the_gradient_in_the_prediction_dtype():
    y_pred = dg.tensor(DTYPE_PRED.astype(np.float32), requires_grad=True)
    losses.MeanSquaredError(dtype="float64")(DTYPE_TRUE, y_pred).backward()
    assert y_pred.grad is not None
    grad = y_pred.grad.numpy()
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 2 * (DTYPE_PRED - DTYPE_TRUE) / 6, rtol=1e-6)
    with pytest.raises(ValueError, match="MeanSquaredError: dtype must be a floating dtype"):
        losses.MeanSquaredError(dtype="int32")


STEPS_TRUE = np.sin(np.arange(24, dtype=np.float32)).reshape(4, 2, 3)
STEPS_PRED = np.cos(np.arange(24, dtype=np.float32)).reshape(4, 2, 3)
STEPS_ONE_HOT = np.eye(3, dtype=np.float32)[np.arange(8).reshape(4, 2) % 3]
SAMPLE_WEIGHTS = np.array([[0.5], [1.0], [2.0], [0.0]], np.float32)
# Keras 3.15: the losses of (4, 2, 3) values, one per time step, weighed by (4, 1) weights;
# CategoricalCrossentropy from logits on one-hot labels. deepgrad refused the weights.
KERAS_STEPS = {
    "MeanSquaredError": (
        0.8367011547088623,
        6.693609237670898,
        [[0.4745841920375824, 0.47234639525413513], [0.9446228742599487, 0.9489644765853882]],
    ),
    "CategoricalCrossentropy": (
        0.960534930229187,
        7.684279441833496,
        [[0.31407004594802856, 0.7255102396011353], [1.8686251640319824, 1.520143747329712]],
    ),
}


@pytest.mark.parametrize("name", sorted(KERAS_STEPS))
def test_one_weight_per_sample_weighs_each_of_its_steps_as_keras(name):
    mean, total, first_rows = KERAS_STEPS[name]
    kwargs = {"from_logits": True} if name == "CategoricalCrossentropy" else {}
    y_true = STEPS_ONE_HOT if name == "CategoricalCrossentropy" else STEPS_TRUE
    loss = getattr(losses, name)
    got = loss(**kwargs)(y_true, STEPS_PRED, SAMPLE_WEIGHTS)
    assert float(raw_data(got)) == pytest.approx(mean, rel=1e-5)
    got = loss(reduction="sum", **kwargs)(y_true, STEPS_PRED, SAMPLE_WEIGHTS)
    assert float(raw_data(got)) == pytest.approx(total, rel=1e-5)
    per_step = raw_data(loss(reduction="none", **kwargs)(y_true, STEPS_PRED, SAMPLE_WEIGHTS))
    assert per_step.shape == (4, 2)
    np.testing.assert_allclose(per_step[:2], first_rows, rtol=1e-5)
    np.testing.assert_array_equal(per_step[3], [0.0, 0.0])


def test_a_sequence_model_fits_with_one_weight_per_sample_as_keras():
    # Keras 3.15: Dense(2) on (10, 2, 3) inputs, SGD(0.1), "mse", sample_weight of shape
    # (10, 1), two epochs of batches of 4, then evaluate. deepgrad's fit raised.
    x = np.sin(np.arange(30, dtype=np.float32)).reshape(10, 1, 3).repeat(2, axis=1)
    y = np.cos(np.arange(40, dtype=np.float32)).reshape(10, 2, 2)
    weights = np.linspace(0.5, 2.0, 10, dtype=np.float32)[:, None]
    model = dg.Sequential([dg.Input((2, 3)), dg.layers.Dense(2)])
    model.set_weights(
        [np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), np.array([0.1, -0.2], np.float32)]
    )
    model.compile(dg.optimizers.SGD(learning_rate=0.1), "mse")
    history = model.fit(
        x, y, sample_weight=weights, epochs=2, batch_size=4, shuffle=False, verbose=0
    )
    np.testing.assert_allclose(
        history.history["loss"], [2.284069776535034, 1.0814794301986694], rtol=1e-5
    )
    evaluated = model.evaluate(x, y, sample_weight=weights, batch_size=4, verbose=0)
    assert evaluated == pytest.approx(0.75536048412323, rel=1e-5)


def test_weights_that_do_not_broadcast_are_refused():
    loss = losses.MeanSquaredError()
    with pytest.raises(ValueError, match=r"MeanSquaredError: sample_weight has shape \(4,\)"):
        loss(STEPS_TRUE, STEPS_PRED, np.ones(4))  # Keras too: (4, 2) against (4,)
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3, 1\)"):
        loss(STEPS_TRUE, STEPS_PRED, np.ones((3, 1)))


def test_mean_with_sample_weight_counts_a_broadcast_weight_once_per_value():
    # Keras divides by the weights as given (Σ of 4 numbers); deepgrad by the weight of each
    # of the 8 values, so the result is a weighted mean (see docs/training.md)
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    per_step = np.mean((STEPS_TRUE - STEPS_PRED) ** 2, axis=-1)
    weights = np.broadcast_to(SAMPLE_WEIGHTS, (4, 2))
    expected = np.sum(weights * per_step) / np.sum(weights)
    got = float(raw_data(loss(STEPS_TRUE, STEPS_PRED, SAMPLE_WEIGHTS)))
    assert got == pytest.approx(expected, rel=1e-6)


def test_unreduced_losses_weighed_by_a_column_have_keras_shape():
    # Keras 3.15 gives (n, 1) for losses of shape (n,) times weights of shape (n, 1)
    # (its losses are expanded to the weights' rank); deepgrad gave (n,)
    y_true, y_pred = STEPS_TRUE[:, 0], STEPS_PRED[:, 0]
    weights = SAMPLE_WEIGHTS
    got = raw_data(losses.MeanSquaredError(reduction="none")(y_true, y_pred, weights))
    expected = np.mean((y_true - y_pred) ** 2, axis=-1, keepdims=True) * weights
    assert got.shape == (4, 1)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    plain = raw_data(losses.MeanSquaredError(reduction="none")(y_true, y_pred, weights[:, 0]))
    assert plain.shape == (4,)


HALF_TRUE = np.array([[0.0, 300.0], [1.0, 2.0]], np.float16)
HALF_PRED = np.array([[300.0, 0.0], [1.5, 2.0]], np.float16)
HALF_LABELS = np.array([[0.0, 1.0], [1.0, 0.0]], np.float16)
HALF_PROBABILITIES = np.array([[0.9999, 0.0001], [0.3, 0.7]], np.float16)
# Keras 3.15 on float16 inputs (computed in floatx, float32); deepgrad computed in float16:
# inf for the squared and percentage errors, NaN for the binary cross-entropy
KERAS_HALF = {
    "MeanSquaredError": 45000.062,
    "MeanAbsolutePercentageError": 7.5e10,
    "LogCosh": 149.68346,
    "Poisson": 1284.2842,
    "BinaryCrossentropy": 6.8902483,
    "CategoricalCrossentropy": 5.2071643,
    "BinaryFocalCrossentropy": 6.582774,
    "KLDivergence": 5.2069907,
}


@pytest.mark.parametrize("name", sorted(KERAS_HALF))
def test_float16_predictions_give_a_float32_loss_as_keras(name):
    probabilities = "Cross" in name or name == "KLDivergence"
    y_true, y_pred = (HALF_LABELS, HALF_PROBABILITIES) if probabilities else (HALF_TRUE, HALF_PRED)
    got = raw_data(getattr(losses, name)()(y_true, y_pred))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_HALF[name], rel=1e-6)


def test_float16_predictions_keep_their_gradient_dtype():
    y_pred = dg.tensor(HALF_PROBABILITIES, requires_grad=True)
    losses.BinaryCrossentropy()(HALF_LABELS, y_pred).backward()
    assert y_pred.grad is not None
    assert y_pred.grad.numpy().dtype == np.float16
    assert np.all(np.isfinite(y_pred.grad.numpy()))
    kept = raw_data(losses.MeanSquaredError(dtype="float16")(HALF_TRUE[1:], HALF_PRED[1:]))
    assert kept.dtype == np.float16  # a dtype given is kept


@pytest.mark.parametrize("alias", ["bce", "BCE"])
def test_keras_bce_alias_is_the_binary_crossentropy(alias):
    # keras.losses.get("bce") is binary_crossentropy in Keras 3.15; deepgrad refused it
    loss = losses.get(alias)
    assert isinstance(loss, losses.BinaryCrossentropy)
    y_true, y_pred = np.array([[1.0], [0.0]]), np.array([[0.8], [0.4]])
    assert float(raw_data(loss(y_true, y_pred))) == pytest.approx(
        -(np.log(0.8) + np.log(0.6)) / 2, rel=1e-6
    )


INTEGER_LABELS = np.array([[1, 0, 1], [0, 0, 1]])
FLOAT32_PRED = np.array([[0.6, 0.3, 0.8], [0.2, 0.1, 0.7]], np.float32)
# Keras 3.15 on integer labels and float32 predictions: float32 losses. deepgrad computed
# them in float64 (NumPy's promotion of int64 with float32)
KERAS_INTEGER_LABELS = {
    "MeanSquaredError": 0.0716666728258133,
    "CategoricalCrossentropy": 1.0759503841400146,
    "BinaryCrossentropy": 0.29597052931785583,
    "KLDivergence": 0.5453199148178101,
    "Poisson": 0.6317740082740784,
    "Hinge": 0.75,
}


@pytest.mark.parametrize("name", sorted(KERAS_INTEGER_LABELS))
def test_integer_labels_are_cast_to_the_predictions_dtype_as_keras(name):
    got = raw_data(getattr(losses, name)()(INTEGER_LABELS, FLOAT32_PRED))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_INTEGER_LABELS[name], rel=1e-6)


def test_class_indices_stay_integers():
    sparse = losses.SparseCategoricalCrossentropy()(np.array([0, 2]), FLOAT32_PRED)
    assert raw_data(sparse).dtype == np.float32
    assert float(raw_data(sparse)) == pytest.approx(
        -(np.log(0.6 / 1.7) + np.log(0.7 / 1.0)) / 2, rel=1e-6
    )


UINT8_TRUE = np.array([[0, 100]], np.uint8)
UINT8_PRED = np.array([[1, 0]], np.uint8)
# Keras 3.15 on uint8 labels and predictions (both cast to floatx, float32). deepgrad
# subtracted in uint8, where 0 − 1 wraps to 255: MSE 8.5, MAE 177.5, Huber 177.0,
# LogCosh 77.87; the rest right but in float64
KERAS_UINT8 = {
    "MeanSquaredError": 5000.5,
    "MeanAbsoluteError": 50.5,
    "Huber": 50.0,
    "LogCosh": 49.87031936645508,
    "MeanAbsolutePercentageError": 500000064.0,
    "Poisson": 806.40478515625,
    "BinaryCrossentropy": 813.8759765625,
    "CategoricalCrossentropy": 1611.8095703125,
}


@pytest.mark.parametrize("name", sorted(KERAS_UINT8))
def test_integer_predictions_are_cast_to_the_default_float_dtype_as_keras(name):
    got = raw_data(getattr(losses, name)()(UINT8_TRUE, UINT8_PRED))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_UINT8[name], rel=1e-6)


def test_list_predictions_are_taken_as_keras():
    # Keras 3.15: 0.25 (float32); deepgrad raised AttributeError: 'list' object has no
    # attribute 'dtype'
    got = raw_data(losses.MeanSquaredError()([[0.0, 1.0]], [[0.5, 0.5]]))
    assert got.dtype == np.float32
    assert float(got) == 0.25


@pytest.mark.parametrize("name", sorted(KERAS_INTEGER_LABELS))
def test_integer_labels_as_a_tensor_are_cast_as_keras(name):
    # a Tensor of labels was passed through uncast: a float64 cross-entropy, divergence and
    # squared error for int64 labels against float32 predictions
    got = raw_data(getattr(losses, name)()(dg.tensor(INTEGER_LABELS), FLOAT32_PRED))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_INTEGER_LABELS[name], rel=1e-6)


def test_float64_labels_as_a_tensor_are_cast_as_keras():
    # Keras 3.15 casts y_true to the loss's dtype: float32 for float32 predictions
    labels = dg.tensor(INTEGER_LABELS.astype(np.float64))
    got = raw_data(losses.BinaryCrossentropy()(labels, FLOAT32_PRED))
    assert got.dtype == np.float32
    assert float(got) == pytest.approx(KERAS_INTEGER_LABELS["BinaryCrossentropy"], rel=1e-6)

"""``regularizers.OrthogonalRegularizer`` (``orthogonal_regularizer``), against Keras 3's
formula and numbers, alone and as a ``Dense`` kernel regularizer."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, regularizers
from deepgrad.tensor import raw_data

# a 4 × 3 kernel whose last row is zero (a norm below Keras' 1e-7 floor)
KERNEL = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 1.0, 1.0], [0.0, 0.0, 0.0]])

# keras.regularizers.OrthogonalRegularizer(factor, mode)(KERNEL in float32), Keras 3.15
# on JAX; the same value is the only entry of a Dense(3) layer's `losses` with that
# kernel and kernel_regularizer
KERAS = {
    (0.1, "rows"): 0.01881648413836956,
    (0.1, "columns"): 0.040234241634607315,
}
# jax.grad of Keras' regularizer with factor 0.1, mode "columns" (in "rows" mode Keras'
# gradient of the zero row is nan; deepgrad's is 0, the others agree)
KERAS_GRAD_COLUMNS = [
    [0.007302967831492424, -0.005570693872869015, -0.004619992338120937],
    [0.007882799953222275, -0.007985912263393402, -0.0004005180671811104],
    [-0.0036514829844236374, 0.003155479207634926, 0.0035115499049425125],
    [0.0, 0.0, 0.0],
]


@pytest.mark.parametrize(("factor", "mode"), sorted(KERAS))
def test_penalty_is_keras(factor, mode):
    value = float(raw_data(regularizers.OrthogonalRegularizer(factor, mode)(KERNEL)))
    assert value == pytest.approx(KERAS[factor, mode], rel=1e-6)


def test_default_factor_and_mode_are_keras():
    # keras.regularizers.OrthogonalRegularizer()(KERNEL[:3]): factor 0.01, rows
    value = float(raw_data(regularizers.OrthogonalRegularizer()(KERNEL[:3])))
    assert value == pytest.approx(0.0037632968742400408, rel=1e-6)


def test_orthogonal_vectors_cost_nothing():
    assert float(raw_data(regularizers.OrthogonalRegularizer(1.0)(np.eye(3)))) == 0.0


def test_gradient_is_keras_and_finite_at_a_zero_row():
    weight = dg.Tensor(KERNEL, requires_grad=True)
    regularizers.OrthogonalRegularizer(0.1, "columns")(weight).backward()
    np.testing.assert_allclose(
        np.asarray(raw_data(weight.grad)), KERAS_GRAD_COLUMNS, rtol=1e-5, atol=1e-8
    )
    weight = dg.Tensor(KERNEL, requires_grad=True)
    regularizers.OrthogonalRegularizer(0.1, "rows")(weight).backward()
    gradient = np.asarray(raw_data(weight.grad))
    assert np.all(np.isfinite(gradient)) and np.all(gradient[3] == 0)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_dense_kernel_regularizer_adds_keras_penalty(mode):
    dense = layers.Dense(3, kernel_regularizer=regularizers.orthogonal_regularizer(0.1, mode))
    model = dg.Sequential([dg.Input((4,)), dense])
    dense.kernel.assign(KERNEL)
    model(np.ones((2, 4)))
    (penalty,) = model.losses
    assert float(raw_data(penalty)) == pytest.approx(KERAS[0.1, mode], rel=1e-5)


def test_names_configs_and_saving():
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert isinstance(
        regularizers.get("orthogonal_regularizer"), regularizers.OrthogonalRegularizer
    )
    saved = regularizers.serialize(regularizers.OrthogonalRegularizer(0.1, "columns"))
    again = regularizers.get(saved)
    assert isinstance(again, regularizers.OrthogonalRegularizer)
    assert (again.factor, again.mode) == (0.1, "columns")
    # keras.regularizers.serialize(keras.regularizers.OrthogonalRegularizer(0.1, "columns"))
    keras_saved = {
        "module": "keras.regularizers",
        "class_name": "OrthogonalRegularizer",
        "config": {"factor": 0.10000000149011612, "mode": "columns"},
        "registered_name": None,
    }
    loaded = regularizers.deserialize(keras_saved)
    assert isinstance(loaded, regularizers.OrthogonalRegularizer) and loaded.mode == "columns"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: regularizers.OrthogonalRegularizer(-1.0), "factor must be a finite number >= 0"),
        # NaN and inf made every loss NaN or inf; Keras 3 refuses them
        (lambda: regularizers.OrthogonalRegularizer(float("nan")), "factor must be a finite"),
        (lambda: regularizers.OrthogonalRegularizer(float("inf")), "factor must be a finite"),
        (lambda: regularizers.OrthogonalRegularizer(0.1, "diag"), "mode must be 'rows' or"),
        (
            lambda: regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2))),
            r"must be 2-D, got shape \(2, 2, 2\)",
        ),
        (
            lambda: regularizers.OrthogonalRegularizer(mode="columns")(np.ones((4, 1))),
            r"shape \(4, 1\) has 1 column; at least two",
        ),
    ],
)
def test_refuses_what_keras_refuses_or_makes_nan_of(make, match):
    # Keras refuses the first three alike; of one column it returns 0/0 = nan
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_matches_keras(mode):
    keras = pytest.importorskip("keras")
    kernel = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    # a backend tensor: Keras' NumPy path of normalize reads axis 0 as -1
    keras_kernel = keras.ops.convert_to_tensor(kernel)
    expected = float(keras.regularizers.OrthogonalRegularizer(0.05, mode)(keras_kernel))
    value = float(raw_data(regularizers.OrthogonalRegularizer(0.05, mode)(kernel)))
    assert value == pytest.approx(expected, rel=1e-5)


def test_saved_with_the_model(tmp_path):
    regularizer = regularizers.OrthogonalRegularizer(0.1, "columns")
    model = dg.Sequential([dg.Input((4,)), layers.Dense(3, kernel_regularizer=regularizer)])
    model.save(tmp_path / "model.keras")
    loaded = dg.saving.load_model(tmp_path / "model.keras").layers[0].kernel_regularizer
    assert isinstance(loaded, regularizers.OrthogonalRegularizer)
    assert (loaded.factor, loaded.mode) == (0.1, "columns")

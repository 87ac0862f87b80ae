"""pandas DataFrames and Series inside a list or dict of inputs (and a list of one
target), as Keras 3 takes them. deepgrad refused them with errors that named the wrong
cause ("x has 2 samples but y has 10", "expected 2 inputs, got 1", "x is a source of
batches (dict)"), and a DataFrame called the model or given to ``predict_on_batch`` was
read as "a DataFrame of 10 (shapes [(), (), ()])". The numbers were printed by Keras
3.15 (JAX) for the same model."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

pd = pytest.importorskip("pandas")

XA = np.linspace(-1, 1, 30, dtype=np.float32).reshape(10, 3)
XB = np.linspace(0, 2, 20, dtype=np.float32).reshape(10, 2)
Y = np.cos(np.arange(10, dtype=np.float32))
FIRST_PREDICTIONS = [-1.981574296951294, -1.8566404581069946, -1.0802834033966064]


def two_inputs(as_dict=True):
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    hidden = layers.Dense(2, kernel_initializer="ones", activation="tanh")
    out = layers.Dense(1, kernel_initializer="ones")(hidden(layers.Concatenate()([a, b])))
    model = dg.Model({"a": a, "b": b} if as_dict else [a, b], out)
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    return model


def frames(as_dict=True):
    a, b = pd.DataFrame(XA), pd.DataFrame(XB)
    return {"a": a, "b": b} if as_dict else [a, b]


@pytest.mark.parametrize("as_dict", [True, False])
def test_evaluate_and_fit_on_a_list_or_dict_of_data_frames(as_dict):
    model = two_inputs(as_dict)
    np.testing.assert_allclose(
        model.evaluate(frames(as_dict), pd.Series(Y), verbose=0),
        [4.295838356018066, 1.9341388940811157],
        rtol=1e-6,
    )
    history = model.fit(
        frames(as_dict), [pd.Series(Y)], batch_size=4, epochs=2, shuffle=False, verbose=0
    ).history
    np.testing.assert_allclose(history["loss"], [2.9683921337127686, 0.8502305746078491], 1e-5)
    np.testing.assert_allclose(history["mae"], [1.5492322444915771, 0.8046079874038696], 1e-5)


@pytest.mark.parametrize("as_dict", [True, False])
def test_predict_on_a_list_or_dict_of_data_frames(as_dict):
    model = two_inputs(as_dict)
    np.testing.assert_allclose(
        model.predict(frames(as_dict), verbose=0).ravel()[:3], FIRST_PREDICTIONS, rtol=1e-6
    )
    np.testing.assert_allclose(
        model.predict_on_batch(frames(as_dict)).ravel()[:3], FIRST_PREDICTIONS, rtol=1e-6
    )


def test_a_data_frame_called_or_predicted_on_batch_is_its_array():
    model = dg.Sequential([layers.Dense(1, kernel_initializer="ones")])
    expected = XA.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(model(pd.DataFrame(XA))), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(pd.DataFrame(XA)), expected, rtol=1e-6)

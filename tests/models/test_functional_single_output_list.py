"""``Model(x, [y])``: a list of one output is that output, as in Keras 3 (its
``unpack_singleton``): calling and predicting give an array, and fit, evaluate and compile
take the target and the losses and metrics bare or as a list of one. The numbers were
printed by Keras 3.15 for the same model (kernel of ones, zero bias)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

X = np.linspace(0, 1, 15, dtype=np.float32).reshape(5, 3)
Y = np.arange(5, dtype=np.float32).reshape(5, 1)


def one_output_in_a_list():
    inputs = dg.Input((3,))
    return dg.Model([inputs], [layers.Dense(1, kernel_initializer="ones", name="d")(inputs)])


def test_call_and_predict_give_an_array_not_a_list_of_one():
    model = one_output_in_a_list()
    assert isinstance(model.output, list)  # the structure as given, as Keras keeps it
    assert np.shape(model(X)) == (5, 1)  # was a list of one: shape (1, 5, 1)
    prediction = model.predict(X, verbose=0)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (5, 1)
    assert model.predict([X], verbose=0).shape == (5, 1)


@pytest.mark.parametrize("target", [Y, [Y]])
def test_evaluate_and_fit_match_keras(target):
    model = one_output_in_a_list()
    model.compile("sgd", "mse", metrics=["mae"])
    # Keras 3.15: [0.5051020979881287, 0.5857143402099609] for y and for [y]; deepgrad
    # raised "y_true has shape (5, 1) but y_pred has shape (1, 5, 1)".
    np.testing.assert_allclose(
        model.evaluate(X, target, verbose=0), [0.5051020979881287, 0.5857143402099609], 1e-6
    )
    history = model.fit(
        X, target, batch_size=2, shuffle=False, verbose=0, validation_data=(X, target)
    ).history
    np.testing.assert_allclose(history["loss"], [0.48718756437301636], 1e-6)
    np.testing.assert_allclose(history["mae"], [0.5782706141471863], 1e-6)
    np.testing.assert_allclose(history["val_loss"], [0.401665598154068], 1e-6)
    np.testing.assert_allclose(
        model.get_weights()[0].ravel(), [1.0281312, 1.0307307, 1.0333303], 1e-6
    )


def test_compile_takes_one_outputs_losses_and_metrics_as_lists_of_one():
    model = one_output_in_a_list()
    model.compile("sgd", ["mse"], metrics=[["mae"]])  # metrics=[["mae"]] was refused
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert logs == pytest.approx({"loss": 0.5051020979881287, "mae": 0.5857143402099609})


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_train_and_test_on_batch_take_a_list_of_one_target(kind):
    """``train_on_batch(x, [y])`` raised a CompileError (eager: "y_true has shape
    (1, 5, 1)"); Keras 3.15 takes ``[y]`` and ``(y,)`` as ``y`` here too."""
    if kind == "sequential":
        model = dg.Sequential([layers.Dense(1, kernel_initializer="ones")])
    else:
        model = one_output_in_a_list()
    model.compile("sgd", "mse", metrics=["mae"])
    expected = [0.5051020979881287, 0.5857143402099609]
    np.testing.assert_allclose(model.test_on_batch([X], [Y]), expected, 1e-6)
    np.testing.assert_allclose(model.train_on_batch(X, [Y]), expected, 1e-6)
    np.testing.assert_allclose(
        model.get_weights()[0].ravel(), [1.0073469877, 1.0080611706, 1.0087754726], 1e-6
    )
    logs = model.test_on_batch(X, (Y,), return_dict=True)
    assert logs == pytest.approx({"loss": 0.476051390171051, "mae": 0.5682522058486938})

"""A model compiled with one of deepgrad's loss functions (``loss=dg.losses.huber``)
saves that function by name, as Keras 3 saves a built-in loss function
(``{"class_name": "function", "config": "huber"}``), and loads compiled with the same
function; deepgrad refused to save it ("given to compile cannot be saved"). A loss
function of one's own is refused on save, naming it, and no file is written."""

from typing import Any

import numpy as np
import pytest

import deepgrad as dg

FUNCTIONS = [
    dg.losses.mean_squared_error,
    dg.losses.huber,
    dg.losses.binary_crossentropy,
    dg.losses.dice,
]


def mean_squared_error(y_true, y_pred):  # one's own, under a built-in's name
    return dg.losses.mean_squared_error(y_true, y_pred)


def squared_gap(y_true, y_pred):
    return dg.losses.mean_squared_error(y_true, y_pred)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, 3)).astype(np.float32), rng.random((32, 1)).round()


def _fitted(loss):
    dg.random.seed(0)
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", loss=loss)
    x, y = _data()
    model.fit(x, y, epochs=2, verbose=0)
    return model


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_deepgrads_loss_function_saves_and_loads_as_itself(tmp_path, function):
    model = _fitted(function)
    model.save(tmp_path / "model.dg")
    loaded = dg.saving.load_model(tmp_path / "model.dg")
    assert loaded.loss.fn is function
    x, y = _data()
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_the_loaded_model_trains_on_as_the_original(tmp_path):
    model = _fitted(dg.losses.mean_squared_error)
    model.save(tmp_path / "model.dg")
    loaded = dg.saving.load_model(tmp_path / "model.dg")
    x, y = _data()
    history = model.fit(x, y, epochs=2, verbose=0).history["loss"]
    # The loaded model records its compiled step again, and a recording's plain-SGD update
    # rounds otherwise than the original's replay (compiler/descent.py): an ulp in float32.
    np.testing.assert_allclose(
        loaded.fit(x, y, epochs=2, verbose=0).history["loss"], history, rtol=1e-6
    )


@pytest.mark.parametrize("function", [squared_gap, mean_squared_error], ids=["own", "named_as"])
def test_a_loss_function_of_ones_own_is_refused_and_nothing_written(tmp_path, function):
    model = _fitted(function)
    with pytest.raises(ValueError, match=f"function {function.__name__} .*cannot be saved"):
        model.save(tmp_path / "model.dg")
    assert not (tmp_path / "model.dg").exists()


def test_serialize_takes_the_function_and_its_wrapper():
    saved = {"module": "deepgrad.losses", "class_name": "function", "config": "huber"}
    assert dg.losses.serialize(dg.losses.huber) == saved
    assert dg.losses.serialize(dg.losses.get(dg.losses.huber)) == saved
    loss: Any = dg.losses.get(saved)
    assert loss.fn is dg.losses.huber


def test_keras_saves_its_loss_function_by_name_too():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", loss=keras.losses.huber)
    saved = keras.saving.serialize_keras_object(model.get_compile_config()["loss"])
    assert saved["class_name"] == "function" and saved["config"] == "huber"
    # deepgrad reads Keras' form back as its own function
    loss: Any = dg.losses.get(saved)
    assert loss.fn is dg.losses.huber

"""model.to_json, models.model_from_json and models.save_model, as Keras 3's."""

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.models import model_from_json, save_model

# json.loads(keras_model.to_json()).keys() for a compiled Sequential, Keras 3.15
KERAS_KEYS = ["module", "class_name", "config", "registered_name", "build_config", "compile_config"]


def _model() -> dg.Sequential:
    return dg.Sequential([dg.Input((3,)), layers.Dense(4, name="h"), layers.Dense(1, name="o")])


def test_to_json_has_keras_layout():
    model = _model()
    assert "compile_config" not in json.loads(model.to_json())
    model.compile(optimizer="adam", loss="mse")
    description = json.loads(model.to_json())
    assert list(description) == KERAS_KEYS
    assert description["class_name"] == "Sequential"
    assert description["build_config"] == {"input_shape": [None, 3]}
    assert description["compile_config"]["loss"] == "mse"
    assert model.to_json(indent=2).startswith('{\n  "module"')


def test_to_json_layout_against_keras():
    keras = pytest.importorskip("keras")
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    reference.compile(optimizer="adam", loss="mse")
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    keras_description = json.loads(reference.to_json())
    description = json.loads(model.to_json())
    assert list(description) == list(keras_description)
    assert description["build_config"] == keras_description["build_config"]


@pytest.mark.parametrize("compiled", [False, True])
def test_model_from_json_rebuilds_sequential_and_functional(compiled):
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    joined = layers.concatenate([layers.Dense(2, name="pa")(a), b], name="joined")
    for model in (_model(), dg.Model([a, b], layers.Dense(1, name="y")(joined))):
        if compiled:
            model.compile(
                optimizer=dg.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"]
            )
        rebuilt = model_from_json(model.to_json())
        assert type(rebuilt) is type(model)
        assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
        rebuilt.set_weights(model.get_weights())
        x = [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]
        x = x[0] if isinstance(model, dg.Sequential) else x
        np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))
        # compiled again, as Keras 3.15's model_from_json does, with a new optimizer
        assert (rebuilt.optimizer is not None) == compiled
        if compiled:
            assert rebuilt.optimizer is not model.optimizer
            assert rebuilt.optimizer.learning_rate == pytest.approx(0.05)


def test_model_from_json_takes_custom_layers_for_its_duration_only():
    class Doubling(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * 2

    model = dg.Sequential([dg.Input((2,)), Doubling(name="twice")])
    text = model.to_json()
    with pytest.raises(ValueError, match="unknown layer class 'Doubling'"):
        model_from_json(text)
    rebuilt = model_from_json(text, custom_objects={"Doubling": Doubling})
    assert type(rebuilt.layers[0]) is Doubling
    with pytest.raises(ValueError, match="unknown layer class 'Doubling'"):
        model_from_json(text)
    with pytest.raises(TypeError, match="Layer subclasses"):
        model_from_json(text, custom_objects={"Doubling": lambda x: x})  # pyright: ignore[reportArgumentType]


def test_model_from_json_refuses_what_is_not_a_model_description():
    with pytest.raises(ValueError, match="not a JSON string"):
        model_from_json("{not json")
    with pytest.raises(ValueError, match="'class_name' and 'config'"):
        model_from_json('{"config": {}}')
    with pytest.raises(ValueError, match=r"unknown class 'os\.system'"):
        model_from_json('{"class_name": "os.system", "config": {}}')


def test_save_model_is_model_save(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "model.safetensors"
    save_model(model, path)
    loaded = dg.models.load_model(path)
    assert all(
        np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True)
    )
    save_model(model, path)  # overwrite=True by default, as in Keras
    with pytest.raises(FileExistsError, match="overwrite=False"):
        save_model(model, path, overwrite=False)
    with pytest.raises(ValueError, match="zipped=True chooses a Keras file format"):
        save_model(model, tmp_path / "other.safetensors", zipped=True)
    assert not (tmp_path / "other.safetensors").exists()

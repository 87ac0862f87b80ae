"""Keras' custom objects and object serialization: register_keras_serializable,
get_custom_objects, custom_object_scope, serialize_keras_object, deserialize_keras_object."""

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.layers.base import LAYER_CLASSES
from deepgrad.utils import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    register_keras_serializable,
    serialize_keras_object,
)


@pytest.fixture(autouse=True)
def _forget_registrations():
    custom, known = dict(get_custom_objects()), dict(LAYER_CLASSES)
    yield
    get_custom_objects().clear()
    get_custom_objects().update(custom)
    LAYER_CLASSES.clear()
    LAYER_CLASSES.update(known)


class Doubling(layers.Layer):
    def call(self, inputs, training=False):
        return inputs * 2


def _custom_model():
    return dg.Sequential([dg.Input((2,)), layers.Dense(2), Doubling(name="twice")])


OBJECTS = [
    layers.Dense(3, activation="relu", name="dense_x"),
    dg.losses.Huber(delta=2.0),
    dg.metrics.MeanAbsoluteError(),
    dg.initializers.GlorotUniform(seed=1),
    dg.optimizers.Adam(learning_rate=0.01),
    dg.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
    dg.regularizers.L1L2(l1=0.1, l2=0.2),
    dg.constraints.MaxNorm(2),
]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda obj: type(obj).__name__)
def test_round_trip_gives_an_object_of_the_same_config(obj):
    described = serialize_keras_object(obj)
    assert list(described) == ["module", "class_name", "config", "registered_name"]
    assert described["class_name"] == type(obj).__name__
    rebuilt = deserialize_keras_object(json.loads(json.dumps(described)))
    assert type(rebuilt) is type(obj) and rebuilt is not obj
    assert rebuilt.get_config() == obj.get_config()


def test_plain_values_activations_and_built_models():
    assert serialize_keras_object([1, "relu", None, {"a": 2.5}]) == [1, "relu", None, {"a": 2.5}]
    # keras.utils.serialize_keras_object(keras.activations.relu), Keras 3.15:
    relu = {"module": "builtins", "class_name": "function", "config": "relu",
            "registered_name": "function"}  # fmt: skip
    assert serialize_keras_object(dg.activations.relu) == relu
    assert deserialize_keras_object(relu) is dg.activations.relu
    assert deserialize_keras_object("relu") == "relu"  # a name stays a name, as in Keras
    model = dg.Sequential([dg.Input((3,)), layers.Dense(2)])
    described = serialize_keras_object(model)
    assert described["build_config"] == {"input_shape": [None, 3]}
    rebuilt = deserialize_keras_object(described)
    assert rebuilt.built and rebuilt.count_params() == 8


def test_layout_matches_keras():
    keras = pytest.importorskip("keras")
    for ours, theirs in [
        (layers.Dense(2), keras.layers.Dense(2)),
        (dg.regularizers.L2(0.1), keras.regularizers.L2(0.1)),
        (dg.losses.MeanSquaredError(), keras.losses.MeanSquaredError()),
    ]:
        described = serialize_keras_object(ours)
        reference = keras.utils.serialize_keras_object(theirs)
        assert list(described) == list(reference)
        assert described["class_name"] == reference["class_name"]
        assert described["registered_name"] == reference["registered_name"]
    assert serialize_keras_object(dg.activations.tanh) == keras.utils.serialize_keras_object(
        keras.activations.tanh
    )


def test_register_keras_serializable_lets_load_model_rebuild_the_layer(tmp_path):
    model = _custom_model()
    model.save(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="unknown layer class 'Doubling'"):
        dg.models.load_model(tmp_path / "m.safetensors")
    assert register_keras_serializable(package="demo")(Doubling) is Doubling
    assert get_custom_objects()["demo>Doubling"] is Doubling
    loaded = dg.models.load_model(tmp_path / "m.safetensors")
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    described = serialize_keras_object(Doubling(name="d"))
    assert described["registered_name"] == "demo>Doubling"  # Keras' "package>name"
    assert type(deserialize_keras_object(described)) is Doubling


def test_register_keras_serializable_as_keras():
    keras = pytest.importorskip("keras")

    @keras.utils.register_keras_serializable(package="demo_keras", name="Renamed")
    class KerasLayer(keras.layers.Layer):
        pass

    @register_keras_serializable(package="demo_keras", name="Renamed")
    class OurLayer(layers.Layer):
        pass

    assert keras.utils.get_custom_objects()["demo_keras>Renamed"] is KerasLayer
    assert get_custom_objects()["demo_keras>Renamed"] is OurLayer
    with pytest.raises(ValueError, match="get_config"):
        keras.utils.register_keras_serializable()(type("Plain", (), {}))
    with pytest.raises(ValueError, match="has no get_config"):
        register_keras_serializable()(type("Plain", (), {}))


def test_registered_function_round_trips():
    @register_keras_serializable(package="demo")
    def scaled_tanh(x):
        return 2 * dg.activations.tanh(x)

    described = serialize_keras_object(scaled_tanh)
    assert described["config"] == "demo>scaled_tanh"
    assert deserialize_keras_object(described) is scaled_tanh


def test_custom_object_scope_and_global_dict(tmp_path):
    assert custom_object_scope is CustomObjectScope
    path = tmp_path / "m.safetensors"
    model = _custom_model()
    model.save(path)
    with custom_object_scope({"Doubling": Doubling}):
        assert type(dg.models.load_model(path).layers[-1]) is Doubling
    with pytest.raises(ValueError, match="unknown layer class 'Doubling'"):
        dg.models.load_model(path)  # forgotten when the block ends
    text = model.to_json()
    get_custom_objects()["Doubling"] = Doubling
    assert type(dg.models.model_from_json(text).layers[-1]) is Doubling
    with pytest.raises(TypeError, match="dicts of name -> object, got list"):
        CustomObjectScope([Doubling])  # pyright: ignore[reportArgumentType]


def test_deserialize_takes_custom_objects_for_the_call_only():
    described = serialize_keras_object(Doubling(name="d"))
    with pytest.raises(TypeError, match="unknown layer class 'Doubling'"):
        deserialize_keras_object(described)
    layer = deserialize_keras_object(described, custom_objects={"Doubling": Doubling})
    assert type(layer) is Doubling and layer.name == "d"
    with pytest.raises(TypeError, match="unknown layer class 'Doubling'"):
        deserialize_keras_object(described)


def test_refusals():
    with pytest.raises(ValueError, match="holds a lambda"):
        deserialize_keras_object({"class_name": "__lambda__", "config": {"code": "..."}})
    with pytest.raises(TypeError, match="Keras' configs"):
        deserialize_keras_object(
            {"module": "keras.layers", "class_name": "KerasOnly", "config": {}}
        )
    with pytest.raises(TypeError, match="unknown function 'no_such'"):
        deserialize_keras_object({"module": "builtins", "class_name": "function",
                                  "config": "no_such", "registered_name": "function"})  # fmt: skip
    with pytest.raises(TypeError, match="cannot serialize <object"):
        serialize_keras_object(object())
    with pytest.raises(TypeError, match="cannot serialize"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(TypeError, match="safe_mode must be a bool"):
        deserialize_keras_object({}, safe_mode="no")  # pyright: ignore[reportArgumentType]

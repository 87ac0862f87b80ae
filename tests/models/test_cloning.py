"""models.clone_model: Keras' architecture, names, compile settings; new weights."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.models import clone_model


def _sequential() -> dg.Sequential:
    return dg.Sequential(
        [
            dg.Input((3,)),
            layers.Dense(4, activation="relu", name="hidden"),
            layers.Dropout(0.25, name="drop"),
            layers.Dense(2, name="out"),
        ],
        name="stack",
    )


def _functional() -> dg.Model:
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    shared = layers.Dense(2, name="shared")
    joined = layers.concatenate([shared(layers.Dense(2, name="pa")(a)), shared(b)], name="joined")
    return dg.Model([a, b], layers.Dense(1, name="y")(joined), name="graph")


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("build", [_sequential, _functional])
def test_clone_draws_fresh_weights_as_a_new_model_would(build):
    dg.utils.set_random_seed(0)
    fresh = build()
    original = build()
    dg.utils.set_random_seed(0)
    clone = clone_model(original)
    # the clone's initial weights are those a new model draws, not the original's
    assert all(np.array_equal(a, b) for a, b in zip(_weights(fresh), _weights(clone), strict=True))
    kernels = [w for w in _weights(original) if w.ndim == 2]
    assert not any(
        np.array_equal(k, c)
        for k, c in zip(kernels, [w for w in _weights(clone) if w.ndim == 2], strict=True)
    )
    assert clone.name == original.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in original.layers]
    assert not any(c is o for c, o in zip(clone.layers, original.layers, strict=True))


def test_clone_of_sequential_keeps_input_and_predicts_like_the_original_given_its_weights():
    original = _sequential()
    clone = clone_model(original)
    assert clone.input_shape == (None, 3) and clone.built
    clone.set_weights(original.get_weights())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), original.predict(x, verbose=0))


def test_clone_of_sequential_built_on_data_is_built():
    original = dg.Sequential([layers.Dense(2)])
    original(np.ones((4, 3), np.float32))
    assert clone_model(original).count_params() == 8


def test_shared_layer_stays_shared_in_the_clone():
    clone = clone_model(_functional())
    assert [layer.name for layer in clone.layers].count("shared") == 1
    assert clone.count_params() == _functional().count_params() == 8 + 6 + 5
    x = [np.ones((2, 3), np.float32), np.ones((2, 2), np.float32)]
    assert clone.predict(x, verbose=0).shape == (2, 1)


def test_compiled_model_gives_a_clone_compiled_alike_with_a_new_optimizer():
    original = _sequential()
    original.compile(optimizer=dg.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    clone = clone_model(original)
    assert type(clone.optimizer) is dg.optimizers.Adam and clone.optimizer is not original.optimizer
    assert clone.optimizer.learning_rate == pytest.approx(0.01)
    history = clone.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    assert set(history.history) == {"loss", "mae"}
    assert clone_model(_sequential()).optimizer is None


def test_clone_function_and_input_tensors():
    def no_dropout(layer):
        if isinstance(layer, layers.Dropout):
            return layers.Dropout(0.0, name=layer.name)
        return type(layer).from_config(layer.get_config())

    clone = clone_model(_sequential(), clone_function=no_dropout)
    assert clone.get_layer("drop").rate == 0.0
    clone = clone_model(_sequential(), input_tensors=dg.Input((3,), name="new"))
    assert clone.input_shape == (None, 3)
    new_inputs = [dg.Input((3,), name="a2"), dg.Input((2,), name="b2")]
    clone = clone_model(_functional(), input_tensors=new_inputs)
    assert clone.inputs[0] is new_inputs[0]


def test_recursive_clones_nested_models_layer_by_layer():
    inner = dg.Sequential([layers.Dense(2, name="inner_dense")], name="inner")
    outer = dg.Sequential([dg.Input((3,)), inner, layers.Dense(1, name="top")], name="outer")
    seen = []

    def record(layer):
        seen.append(layer.name)
        return type(layer).from_config(layer.get_config())

    clone_model(outer, clone_function=record)
    assert seen == ["inner", "top"]
    seen.clear()
    clone = clone_model(outer, clone_function=record, recursive=True)
    assert seen == ["inner_dense", "top"]
    assert clone.count_params() == outer.count_params() == 11


def test_subclassed_model_is_rebuilt_from_its_config():
    class Twice(dg.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(units)

        def call(self, inputs, training=False):
            return self.dense(inputs) * 2

    original = Twice(3)
    original(np.ones((1, 2), np.float32))
    clone = clone_model(original)
    assert type(clone) is Twice and clone.count_params() == 9
    with pytest.raises(ValueError, match="only supported for Sequential and functional"):
        clone_model(original, clone_function=lambda layer: layer)


def test_refusals_name_the_argument():
    with pytest.raises(ValueError, match="call_function is not supported"):
        clone_model(_functional(), call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match=r"structure of model\.input \(a list of 2"):
        clone_model(_functional(), input_tensors=[dg.Input((3,))])
    with pytest.raises(TypeError, match=r"symbolic tensor from deepgrad\.Input, got ndarray"):
        clone_model(_sequential(), input_tensors=np.ones((1, 3)))
    with pytest.raises(TypeError, match="expected a Model, got Dense"):
        clone_model(layers.Dense(2))


def test_clone_matches_keras():
    keras = pytest.importorskip("keras")
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    shared = keras.layers.Dense(2, name="shared")
    joined = keras.layers.concatenate(
        [shared(keras.layers.Dense(2, name="pa")(a)), shared(b)], name="joined"
    )
    reference = keras.Model([a, b], keras.layers.Dense(1, name="y")(joined), name="graph")
    reference.compile(optimizer="adam", loss="mse")
    keras_clone = keras.models.clone_model(reference)
    original = _functional()
    original.compile(optimizer="adam", loss="mse")
    clone = clone_model(original)
    assert clone.name == keras_clone.name
    assert sorted(layer.name for layer in clone.layers) == sorted(
        layer.name for layer in keras_clone.layers
    )
    assert clone.count_params() == keras_clone.count_params()
    assert keras_clone.compiled and clone.optimizer is not None

"""The checks Keras makes on layers and models: positional misuse, duplicate names, empty
models, build() marking built, summary() before build, dg.compile on an unbuilt model,
load_model under dg.models."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Flatten(0, 1),
        lambda: layers.Flatten("channels_last", "name"),  # after data_format
        lambda: layers.Dropout(0.5, None, None, "name"),  # after rate, noise_shape, seed
        lambda: layers.Dense(4, "relu", True, "zeros", "zeros", None, None, "name"),
        lambda: layers.Softmax(-1, "name"),
        lambda: layers.BatchNormalization(  # after Keras' seventeen, synchronized last
            -1,
            0.9,
            1e-3,
            True,
            True,
            "zeros",
            "ones",
            "zeros",
            "ones",
            None,
            None,
            None,
            None,
            False,
            None,
            0.99,
            False,
            "name",
        ),
        lambda: layers.Concatenate(-1, "name"),
        lambda: dg.Sequential([], "name"),
    ],
)
def test_name_trainable_and_dtype_are_keyword_only(make):
    with pytest.raises(TypeError):
        make()


def test_keyword_arguments_still_work():
    layer = layers.Flatten(name="flat", trainable=False, dtype="float64")
    assert (layer.name, layer.trainable, layer.dtype) == ("flat", False, np.float64)


def test_duplicate_layer_names_raise():
    model = dg.Sequential([layers.Dense(2, name="same")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="same"))
    with pytest.raises(ValueError, match="unique names"):
        dg.Sequential([layers.Dense(2, name="twice"), layers.Dense(2, name="twice")])


def test_calling_or_building_an_empty_sequential_raises():
    with pytest.raises(ValueError, match="has no layers"):
        dg.Sequential()(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="has no layers"):
        dg.Sequential().build((None, 3))


def test_build_sets_built_on_layers_and_models():
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.built and dense.kernel.shape == (3, 2)
    model = dg.Sequential([layers.Dense(2), layers.Dense(1)])
    model.build((None, 3))
    assert model.built and model.count_params() == 11

    class Subclassed(dg.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    subclassed.build((None, 4))
    assert subclassed.built and subclassed.count_params() == 10


def test_summary_of_an_unbuilt_model_says_so():
    lines = []
    dg.Sequential([layers.Dense(3, name="d")]).summary(print_fn=lines.append)
    row = next(line for line in lines if line.startswith("d (Dense)"))
    assert row.split()[2:] == ["?", "0", "(unbuilt)"]  # as Keras prints it
    assert "not built yet" in lines[-1] and "Total params: 0" in lines


def test_compile_of_an_unbuilt_model_builds_outside_the_recording():
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    compiled = dg.compile(model)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    first = compiled(x).numpy()
    second = compiled(x + 1).numpy()  # a replay of the plan
    with dg.no_grad():
        np.testing.assert_allclose(first, model(x).numpy(), rtol=1e-6)
        np.testing.assert_allclose(second, model(x + 1).numpy(), rtol=1e-6)


def test_load_model_under_models(tmp_path):
    model = dg.Sequential([layers.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.dg")
    assert dg.models.load_model is dg.load_model
    restored = dg.models.load_model(tmp_path / "m.dg")
    np.testing.assert_array_equal(restored.get_weights()[0], model.get_weights()[0])


def test_fit_before_compile_raises():
    with pytest.raises(RuntimeError, match="compile the model first"):
        dg.Sequential([layers.Dense(1)]).fit(np.ones((2, 1)), np.ones((2, 1)), verbose=0)


def _keras():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_keras_raises_where_we_raise():
    keras = _keras()
    with pytest.raises(TypeError):
        keras.layers.Flatten(0, 1)
    with pytest.raises(ValueError):
        keras.Sequential()(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError):
        keras.Sequential([keras.layers.Dense(2, name="twice"), keras.layers.Dense(2, name="twice")])
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    assert dense.built

"""An integer ``Input`` casts the data to its dtype (floats truncated toward zero), as
Keras 3 casts a model's inputs to their ``Input``'s dtype; deepgrad ignored the dtype
(``Input((3,), dtype="int32")`` fed 0.7 on as 0.7). The numbers were printed by Keras 3.15
for the same models (kernel of ones, zero bias)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

X = np.array([[0.7, 1.5, -2.3]], np.float32)  # as int32: 0, 1, -2


def functional():
    inputs = dg.Input((3,), dtype="int32")
    return dg.Model(inputs, layers.Dense(1, kernel_initializer="ones")(inputs))


def sequential():
    dense = layers.Dense(1, kernel_initializer="ones")
    return dg.Sequential([dg.Input((3,), dtype="int32"), dense])


@pytest.mark.parametrize("build", [functional, sequential])
def test_an_integer_input_truncates_float_data_as_keras(build):
    model = build()
    assert model.inputs[0].dtype == np.int32  # the Sequential's was float32
    np.testing.assert_allclose(model.predict(X, verbose=0), [[-1.0]])  # Keras: -1, was -0.1
    np.testing.assert_allclose(np.asarray(model(X)), [[-1.0]])


@pytest.mark.parametrize("build", [functional, sequential])
@pytest.mark.parametrize("jit", [True, False])
def test_fit_on_an_integer_input_matches_keras(build, jit):
    rng = np.random.RandomState(0)
    x, y = (rng.randn(16, 3) * 3).astype(np.float32), rng.randn(16, 1).astype(np.float32)
    model = build()
    model.compile("sgd", "mse", jit=jit)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], [20.887550354003906, 3.7846903800964355], 1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), 1.3173329830169678, 1e-6)
    np.testing.assert_allclose(
        np.concatenate([w.ravel() for w in model.get_weights()]),
        [0.10221312, 0.13034216, 0.21860947, -0.19331095],
        rtol=1e-5,
    )


def test_a_sequential_keeps_its_input_dtype_through_its_config():
    model = sequential()
    again = dg.Sequential.from_config(model.get_config())
    np.testing.assert_allclose(again.predict(X, verbose=0).shape, (1, 1))
    assert again.inputs[0].dtype == np.int32


def test_integer_indices_reach_an_embedding_unrounded():
    # a float32 Input would round 16777217 (2**24 + 1); an int64 Input keeps it
    model = dg.Sequential([dg.Input((1,), dtype="int64"), layers.Embedding(2**24 + 2, 1)])
    index = np.array([[2**24 + 1]])
    expected = model.layers[0].get_weights()[0][2**24 + 1]
    np.testing.assert_array_equal(model.predict(index, verbose=0)[0, 0], expected)

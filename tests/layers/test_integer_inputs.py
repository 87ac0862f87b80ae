"""Integer inputs of the layers whose Keras 3 counterparts cast them to the layer's dtype.

Keras' normalizations, Softmax, the parametric activations and Average cast their inputs
to the compute dtype, so an integer array gives float32; deepgrad's left them to NumPy's
promotion, and a float32 layer answered in float64 (the same values, twice the memory,
and a dtype that differs from the model's).
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg

CASTING = [
    "LayerNormalization",
    "BatchNormalization",
    "Softmax",
    "PReLU",
    "LeakyReLU",
    "ELU",
    "UnitNormalization",
    "RMSNormalization",
]


@pytest.mark.parametrize("name", CASTING)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, bool])
def test_integer_inputs_take_the_layers_dtype(name, dtype):
    data = (np.arange(12).reshape(4, 3) % 5).astype(dtype)
    layer = getattr(dg.layers, name)()
    output = layer(data)
    assert output.dtype == np.float32
    expected = getattr(dg.layers, name)()
    expected.build(data.shape)
    expected.set_weights(layer.get_weights())
    assert np.allclose(output.numpy(), expected(data.astype(np.float32)).numpy())


def test_average_of_integers_is_float32_and_add_keeps_integers_as_keras():
    a, b = np.arange(6).reshape(2, 3), np.ones((2, 3), dtype=np.int64)
    average = dg.layers.Average()([a, b])
    assert average.dtype == np.float32 and np.allclose(average.numpy(), (a + b) / 2)
    assert dg.layers.Add()([a, b]).dtype.kind == "i"  # Keras keeps Add's integers too


@pytest.mark.parametrize("name", CASTING[:6])
def test_the_dtypes_are_keras(name):
    keras = pytest.importorskip("keras")
    data = np.arange(12).reshape(4, 3) % 5
    theirs = keras.ops.convert_to_numpy(getattr(keras.layers, name)()(data))
    assert theirs.dtype == getattr(dg.layers, name)()(data).dtype == np.float32

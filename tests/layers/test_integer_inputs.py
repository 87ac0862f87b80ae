"""Integer inputs (uint8 pixels, counts) to a Dense layer: NumPy promotes int × float32 to
float64, so a float32 net computed, and returned, in float64 (twice the time in its
products); Keras returns the layer's float32. Dense casts integer inputs first."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, bool])
def test_integer_inputs_take_the_layers_dtype(dtype):
    layer = layers.Dense(3)
    x = (np.arange(8) % 3).reshape(4, 2).astype(dtype)
    out = layer(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), layer(x.astype(np.float32)).numpy())


def test_a_net_fitted_on_integer_data_stays_float32():
    model = dg.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(loss="mse", jit=True)
    x = np.arange(40, dtype=np.uint8).reshape(20, 2)
    model.fit(x, np.ones(20), epochs=2, verbose=0)
    assert model.predict(x[:3], verbose=0).dtype == np.float32

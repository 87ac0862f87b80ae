"""``linalg.norm`` of integers and booleans computes in float64, as NumPy's does: it
squared uint8 200 in uint8 (64), so the norm of [[200, 250], [10, 100]] as uint8 was
14.70, not 335.56, and ord=1 or inf kept the integer dtype (NumPy: float64)."""

import numpy as np
import pytest

import deepgrad.numpy as dnp

DATA = [[200, 250], [10, 100]]
# np.linalg.norm(np.array(DATA, dtype), ord, axis) for every dtype below
EXPECTED = {
    (None, None): 335.5592347112503,
    (1, None): 350.0,
    (np.inf, None): 450.0,
    (2, 0): [200.24984394500785, 269.25824035672520],
    (1, 0): [210.0, 350.0],
    (np.inf, 1): [250.0, 100.0],
    (3, 1): [286.9396774158583, 100.03332222839505],
}


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int64])
@pytest.mark.parametrize(("order", "axis"), list(EXPECTED))
def test_norm_of_integers_is_float64(dtype, order, axis):
    result = dnp.linalg.norm(np.array(DATA, dtype=dtype), ord=order, axis=axis)
    assert np.asarray(result).dtype == np.float64
    np.testing.assert_allclose(result, EXPECTED[(order, axis)], rtol=1e-13)


def test_matches_numpy():
    data = np.array(DATA, dtype=np.uint8)
    for (order, axis), expected in EXPECTED.items():
        np.testing.assert_allclose(np.linalg.norm(data, ord=order, axis=axis), expected)
    np.testing.assert_allclose(dnp.linalg.norm(np.array([True, True])), np.sqrt(2.0))

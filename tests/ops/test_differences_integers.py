"""``gradient`` and ``interp`` of integers compute in float64, as NumPy's do: their
differences wrapped around in the integer dtype, so the gradient of uint8
[200, 250, 10, 100] was [50, 33, 53, 90] (NumPy: [50, −95, −75, 90]) and interpolating
it at 1.5 gave 258 (NumPy: 130)."""

import numpy as np
import pytest

import deepgrad.numpy as dnp

SAMPLES = [200, 250, 10, 100]
# np.gradient(np.array(SAMPLES, dtype)), for every integer dtype below
GRADIENT = [50.0, -95.0, -75.0, 90.0]
GRADIENT_SECOND_ORDER_EDGES = [195.0, -95.0, -75.0, 255.0]
GRADIENT_AT_0_1_3_4 = [50.0, -20.0 / 3.0, 20.0, 90.0]
# np.interp([1.5, 2.5, -1.0, 7.0], [0, 1, 2, 3], np.array(SAMPLES, dtype))
INTERP = [130.0, 55.0, 200.0, 100.0]

INTEGERS = [np.uint8, np.uint16, np.uint32, np.int16, np.int64]


@pytest.mark.parametrize("dtype", INTEGERS)
def test_gradient_of_integers(dtype):
    samples = np.array(SAMPLES, dtype=dtype)
    result = dnp.gradient(samples)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, GRADIENT)
    np.testing.assert_array_equal(dnp.gradient(samples, edge_order=2), GRADIENT_SECOND_ORDER_EDGES)
    coordinates = np.array([0.0, 1.0, 3.0, 4.0])
    np.testing.assert_allclose(dnp.gradient(samples, coordinates), GRADIENT_AT_0_1_3_4, rtol=1e-13)


@pytest.mark.parametrize("dtype", INTEGERS)
def test_interp_of_integers(dtype):
    samples = np.array(SAMPLES, dtype=dtype)
    result = dnp.interp([1.5, 2.5, -1.0, 7.0], [0, 1, 2, 3], samples)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, INTERP)
    # integer x and xp, whose x − xp[i] wrapped around too
    points = np.array([2, 3], dtype=dtype)
    knots = np.array([0, 1, 3, 4], dtype=dtype)
    np.testing.assert_array_equal(dnp.interp(points, knots, samples), [130.0, 10.0])


def test_booleans_cannot_be_differenced_as_in_numpy():
    with pytest.raises(TypeError, match="boolean subtract"):
        np.gradient(np.array([True, False, True]))
    with pytest.raises(TypeError, match="boolean subtract"):
        dnp.gradient(np.array([True, False, True]))


def test_numbers_are_numpys():
    samples = np.array(SAMPLES, dtype=np.uint8)
    np.testing.assert_array_equal(np.gradient(samples), GRADIENT)
    np.testing.assert_array_equal(np.gradient(samples, edge_order=2), GRADIENT_SECOND_ORDER_EDGES)
    np.testing.assert_allclose(np.gradient(samples, np.array([0.0, 1, 3, 4])), GRADIENT_AT_0_1_3_4)
    np.testing.assert_array_equal(np.interp([1.5, 2.5, -1.0, 7.0], [0, 1, 2, 3], samples), INTERP)
    knots = np.array([0, 1, 3, 4], dtype=np.uint8)
    np.testing.assert_array_equal(
        np.interp(np.array([2, 3], np.uint8), knots, samples), [130.0, 10.0]
    )

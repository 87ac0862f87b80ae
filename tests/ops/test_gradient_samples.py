"""``dnp.gradient`` weighed the middle sample by 0 for a uniform step, so a NaN or ∞ there
made the central difference around it NaN (NumPy's (f[i+1] − f[i−1]) / 2dx skips it);
with coordinates it weighed float16 and float32 data in their own dtype, some ulps from
NumPy (which weighs in float64 and rounds once); a list raised an AttributeError."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

SPACINGS = {"default": (), "step 0.1": (0.1,), "step 3": (3,)}


def _same(got, expected):
    for g, e in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, tuple) else [expected],
        strict=True,
    ):
        g = g.numpy() if isinstance(g, dg.Tensor) else g
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("spacing", SPACINGS.values(), ids=SPACINGS.keys())
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_a_nan_or_inf_sample_is_skipped_by_its_central_difference(edge_order, spacing, wrap):
    x = np.array(
        [[1.0, np.nan, 3.0, 2.0, 5.0], [-np.inf, 1.0, np.inf, 2.0, 4.0], [0.0, 1.0, 2.0, 3.0, 4.0]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.gradient(x, *spacing, edge_order=edge_order)
        _same(dnp.gradient(wrap(x), *spacing, edge_order=edge_order), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_rounds_as_numpys(dtype, edge_order):
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(3, 6)) * 10).astype(dtype)
    coordinates = np.array([0.0, 1.0, 3.5, 4.0, 7.0, 7.25])
    for spacing in [(), (0.1, 0.3), (0.7, coordinates)]:
        _same(
            dnp.gradient(x, *spacing, edge_order=edge_order),
            np.gradient(x, *spacing, edge_order=edge_order),
        )


def test_gradient_of_a_list():
    _same(dnp.gradient([1.0, 4.0, 9.0, 16.0]), np.gradient([1.0, 4.0, 9.0, 16.0]))


def test_derivative_of_gradient_skips_the_middle_sample():
    # d/df of the central difference at i is ±1/2 at i ± 1 and 0 at i
    jac = dg.jacobian(lambda f: dnp.gradient(f))(np.array([1.0, 2.0, 4.0, 7.0]))
    np.testing.assert_array_equal(jac[1], [-0.5, 0.0, 0.5, 0.0])

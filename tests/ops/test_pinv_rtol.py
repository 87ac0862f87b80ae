"""``pinv(a, rtol=...)``: NumPy 2's name for the cut-off ratio, with its own default
(``rtol=None`` is max(M, N) · eps of the dtype where ``rcond=None`` is 1e-15). It raised
``TypeError: pinv() got an unexpected keyword argument 'rtol'``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

# singular values 1, 1e-3 and 1e-14: rtol=1e-2 cuts the last two; rtol=None (3 · eps:
# 6.7e-16 in float64, 3.6e-7 in float32) keeps all three in float64, cuts 1e-14 in float32
SMALL = np.diag([1.0, 1e-3, 1e-14])
BATCH = np.random.default_rng(0).standard_normal((2, 4, 3))


@pytest.mark.parametrize("rtol", [None, 1e-2, 1e-13, np.array([1e-2, 1e-20])])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_are_numpys(rtol, dtype):
    for a in (SMALL, np.stack([SMALL, SMALL]), BATCH):
        a = a.astype(dtype)
        if np.ndim(rtol) and a.ndim != 3:
            continue
        want = np.linalg.pinv(a, rtol=rtol)
        got = dnp.linalg.pinv(a, rtol=rtol)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_rtol_none_uses_the_dtypes_eps():
    a = np.diag([1.0, 1e-7]).astype(np.float32)  # 1e-7 < 2 · 1.19e-7: cut in float32
    np.testing.assert_allclose(dnp.linalg.pinv(a, rtol=None), [[1.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(dnp.linalg.pinv(a), [[1.0, 0.0], [0.0, 1e7]], rtol=1e-6)


def test_both_raise_as_numpy():
    with pytest.raises(ValueError, match=r"pinv: rtol=0\.1 and rcond=0\.1"):
        dnp.linalg.pinv(SMALL, rcond=0.1, rtol=0.1)
    with pytest.raises(ValueError):
        np.linalg.pinv(SMALL, rcond=0.1, rtol=0.1)


def test_gradient_with_rtol_is_rconds():
    weights = np.random.default_rng(1).standard_normal((2, 3, 4))
    got = dg.grad(lambda a: dnp.sum(dnp.linalg.pinv(a, rtol=1e-3) * weights))(BATCH)
    want = dg.grad(lambda a: dnp.sum(dnp.linalg.pinv(a, rcond=1e-3) * weights))(BATCH)
    np.testing.assert_array_equal(got, want)

"""The numba kernels of sparse softmax cross-entropy agree with its NumPy form."""

import numpy as np
import pytest

from deepgrad.ops import cross_entropy_kernels as kernels
from deepgrad.ops.activations_math import (
    _softmax_minus_one_hot_impl,
    _sparse_cross_entropy_impl,
)
from deepgrad import kernels as fused

pytest.importorskip("numba")


def _case(dtype, rows=50, classes=7, seed=0):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((rows, classes)) * 5).astype(dtype)
    logits[0] = [1e4, -1e4, 0, 3, 3, 3, -np.inf]  # large and infinite logits stay finite
    logits[1] = 2.0  # a tie everywhere
    return logits, rng.integers(0, classes, rows)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-6), (np.float64, 1e-14)])
def test_kernels_agree_with_the_numpy_form(dtype, rtol):
    logits, labels = _case(dtype)
    assert kernels.fits(logits, labels)
    fast = _sparse_cross_entropy_impl(logits, labels), _softmax_minus_one_hot_impl(logits, labels)
    with fused.disabled():
        assert not kernels.fits(logits, labels)
        slow = (
            _sparse_cross_entropy_impl(logits, labels),
            _softmax_minus_one_hot_impl(logits, labels),
        )
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    assert np.all(np.isfinite(fast[0]))


@pytest.mark.parametrize("kernel", [True, False])
def test_labels_out_of_range_are_refused(kernel, monkeypatch):
    logits, labels = _case(np.float32)
    if not kernel:
        monkeypatch.setattr(kernels, "MAX_SIZE", 0)  # the NumPy form checks them too
    for bad in (-1, 7):
        labels[3] = bad
        with pytest.raises(
            ValueError, match=r"sparse_softmax_cross_entropy: labels must be in \[0, 7\)"
        ):
            _sparse_cross_entropy_impl(logits, labels)
        with pytest.raises(ValueError, match="sparse_softmax_cross_entropy"):
            _softmax_minus_one_hot_impl(logits, labels)


def test_large_logits_take_the_numpy_form():
    logits, labels = _case(np.float32, rows=kernels.MAX_SIZE // 7 + 1)
    assert not kernels.fits(logits, labels)
    assert kernels.fits(logits[:-1], labels[:-1])


def test_other_layouts_take_the_numpy_form():
    logits, labels = _case(np.float32, rows=12)
    strided = np.asfortranarray(logits)
    assert not kernels.fits(strided, labels)
    np.testing.assert_allclose(
        _sparse_cross_entropy_impl(strided, labels), _sparse_cross_entropy_impl(logits, labels)
    )
    three_d = logits.reshape(3, 4, 7)
    assert not kernels.fits(three_d, labels.reshape(3, 4))
    np.testing.assert_allclose(
        _softmax_minus_one_hot_impl(three_d, labels.reshape(3, 4)).reshape(12, 7),
        _softmax_minus_one_hot_impl(logits, labels),
        rtol=1e-6,
        atol=1e-7,
    )

"""The numba kernels of sparse softmax cross-entropy agree with its NumPy form."""

import numpy as np
import pytest

from deepgrad import kernels as fused
from deepgrad.ops import cross_entropy_kernels as kernels
from deepgrad.ops.activations_math import (
    _softmax_minus_one_hot_impl,
    _sparse_cross_entropy_impl,
)

pytest.importorskip("numba")

# every test twice: on the C loops (deepgrad/native_loops.c), then on numba's kernels
pytestmark = pytest.mark.usefixtures("loop_executor")


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
        monkeypatch.setattr(kernels, "MAX_CLASSES", 0)  # the NumPy form checks them too
    for bad in (-1, 7):
        labels[3] = bad
        with pytest.raises(
            ValueError, match=r"sparse_softmax_cross_entropy: labels must be in \[0, 7\)"
        ):
            _sparse_cross_entropy_impl(logits, labels)
        with pytest.raises(ValueError, match="sparse_softmax_cross_entropy"):
            _softmax_minus_one_hot_impl(logits, labels)


def test_many_classes_take_the_numpy_form_and_large_batches_the_kernels():
    rng = np.random.default_rng(0)
    wide = rng.standard_normal((4, kernels.MAX_CLASSES + 1)).astype(np.float32)
    assert not kernels.fits(wide, np.zeros(4, np.int64))
    assert kernels.fits(wide[:, :-1].copy(), np.zeros(4, np.int64))
    logits, labels = _case(np.float32, rows=10_000)  # 70,000 logits: still the kernels
    assert kernels.fits(logits, labels)


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("classes", [1, 2, 7, 8, 10, 63, 64, 65, 71, 100, 127, 128])
def test_the_kernel_gives_the_numpy_forms_bits(dtype, classes):
    """Both executors run one rule in one order, NumPy's exp and log included: the same
    bits, on random logits of every scale, for every number of classes the kernel takes
    (in order up to IN_ORDER_CLASSES, NumPy's pairwise order above). A fit that starts
    the kernels midway depends on it (training/kernel_start.py)."""
    assert classes <= kernels.MAX_CLASSES
    rng = np.random.default_rng(classes)
    rows = max(8, 4096 // classes)
    for scale in (0.1, 1, 10, 100, 1e4):
        logits = (rng.standard_normal((rows, classes)) * scale).astype(dtype)
        labels = rng.integers(0, classes, rows)
        gradient = np.empty_like(logits)
        fast = kernels._run_kernels(logits, labels, gradient), gradient
        slow = (
            kernels._losses_numpy(logits, labels),
            kernels._softmax_minus_one_hot_numpy(logits, labels),
        )
        for a, b in zip(fast, slow, strict=True):
            assert a.dtype == b.dtype == dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b, err_msg=f"scale {scale}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 2, 3])
@pytest.mark.parametrize("classes", [1, 7, 8, 9, 16, 26, 39, 64, 65, 128])
def test_a_batch_of_one_row_gives_the_numpy_forms_bits(dtype, rows, classes):
    """Regression: NumPy sums a single row pairwise (its column-major copy is the row
    itself), where the kernel summed it in order: one-example SGD's losses and gradients
    differed in the last bits between the two executors."""
    rng = np.random.default_rng(rows * 1000 + classes)
    for _ in range(20):
        logits = (rng.standard_normal((rows, classes)) * 1e-5).astype(dtype)
        labels = rng.integers(0, classes, rows)
        gradient = np.empty_like(logits)
        loss = kernels._run_kernels(logits, labels, gradient)
        np.testing.assert_array_equal(loss, kernels._losses_numpy(logits, labels))
        np.testing.assert_array_equal(
            gradient, kernels._softmax_minus_one_hot_numpy(logits, labels)
        )


def test_nan_and_infinite_logits_give_what_numpy_gives():
    logits, labels = _case(np.float64, rows=6)
    logits[2, 3] = np.nan  # a NaN anywhere in a row: that row's loss and gradient are NaN
    logits[3] = -np.inf  # no finite logit: NaN, as NumPy's −inf − (−inf)
    logits[4, 5] = np.inf
    assert kernels.fits(logits, labels)
    with np.errstate(invalid="ignore"):
        fast = kernels.losses(logits, labels), kernels.softmax_minus_one_hot(logits, labels)
        slow = (
            kernels._losses_numpy(logits, labels),
            kernels._softmax_minus_one_hot_numpy(logits, labels),
        )
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14)  # NaN where NaN


def test_the_gradient_of_strided_logits_keeps_its_one_hot():
    """Regression: for logits neither C- nor 2-D (a transpose), the NumPy form subtracted
    the one-hot from a copy of its rows, and returned softmax alone."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4, 3)).transpose(1, 0, 2)
    labels = rng.integers(0, 3, (4, 5))
    gradient = _softmax_minus_one_hot_impl(logits, labels)
    np.testing.assert_allclose(gradient.sum(axis=-1), 0, atol=1e-15)
    np.testing.assert_array_equal(
        gradient, _softmax_minus_one_hot_impl(np.ascontiguousarray(logits), labels)
    )
    np.testing.assert_array_equal(
        _sparse_cross_entropy_impl(logits, labels),
        _sparse_cross_entropy_impl(np.ascontiguousarray(logits), labels),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("classes", [2, 10, 64])
def test_up_to_64_classes_the_gradient_is_numpys_bit_for_bit(dtype, classes):
    """The kernels take NumPy's exp of the same x − m, sum in NumPy's order (a column-major
    copy, up to 64 classes) and divide: the gradient's bits are the NumPy form's."""
    rng = np.random.default_rng(classes)
    rows = 4096 // classes
    for scale in (0.1, 10, 1e4):
        logits = (rng.standard_normal((rows, classes)) * scale).astype(dtype)
        labels = rng.integers(0, classes, rows)
        assert kernels.fits(logits, labels)
        np.testing.assert_array_equal(
            kernels.softmax_minus_one_hot(logits, labels),
            kernels._softmax_minus_one_hot_numpy(logits, labels),
        )

"""A compiled classifier step computes its cross-entropy and that loss's gradient in one
pass of the kernel, with the bits of the two separate calls."""

import numpy as np
import pytest

from deepgrad import kernels as fused
from deepgrad.compiler.cross_entropy_pair import CrossEntropyPair
from deepgrad.ops import cross_entropy_kernels

pytest.importorskip("numba")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pair_gives_the_two_calls_bits(dtype):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((200, 7)) * 5).astype(dtype)
    labels = rng.integers(0, 7, 200)
    pair = CrossEntropyPair(logits.shape, np.dtype(dtype))
    losses_ = pair.losses(logits, labels)
    gradient = pair.gradient(logits, labels)
    assert losses_.tobytes() == cross_entropy_kernels.losses(logits, labels).tobytes()
    expected = cross_entropy_kernels.softmax_minus_one_hot(logits, labels)
    assert gradient.tobytes() == expected.tobytes()


def test_without_a_fresh_losses_call_the_gradient_is_computed_on_its_own():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((10, 3)), rng.integers(0, 3, 10)
    pair = CrossEntropyPair(logits.shape, logits.dtype)
    expected = cross_entropy_kernels.softmax_minus_one_hot(logits, labels)
    np.testing.assert_array_equal(pair.gradient(logits, labels), expected)  # no losses yet
    pair.losses(logits, labels)
    pair.gradient(logits, labels)
    np.testing.assert_array_equal(pair.gradient(logits, labels), expected)  # read twice
    with fused.disabled():
        pair.losses(logits, labels)
        np.testing.assert_array_equal(pair.gradient(logits, labels), expected)


def test_a_label_out_of_range_is_refused():
    pair = CrossEntropyPair((2, 3), np.dtype(np.float64))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        pair.losses(np.zeros((2, 3)), np.array([0, 3]))

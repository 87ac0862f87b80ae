"""``np.array(t)`` returned the tensor's own buffer, so writing to the "copy" changed the
tensor (and any graph that read it) without a word; ``np.asarray`` of a scalar result such
as ``dnp.sum(t)`` raised "__array__ method not producing an array"."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


def test_np_array_copies():
    t = dg.tensor(np.array([1.5, 2.5]))
    copy = np.array(t)
    copy[0] = 99.0
    np.testing.assert_array_equal(t.numpy(), [1.5, 2.5])


def test_np_asarray_is_a_view_as_for_an_ndarray():
    t = dg.tensor(np.array([1.5, 2.5]))
    assert np.shares_memory(np.asarray(t), t.numpy())


def test_a_scalar_tensor_becomes_a_zero_d_array():
    total = dnp.sum(dg.tensor(np.array([1.5, 2.5]), requires_grad=True))
    assert np.asarray(total).shape == ()
    assert float(np.asarray(total)) == 4.0
    assert np.array(total, dtype=np.float32).dtype == np.float32


def test_a_cast_without_a_copy_is_refused():
    t = dg.tensor(np.array([1.5, 2.5]))
    with pytest.raises(ValueError, match="float64, and a cast needs a copy"):
        np.asarray(t, dtype=np.float32, copy=False)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32

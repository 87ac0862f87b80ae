"""``take_along_axis(arr, indices, axis=None)`` picks from the flattened array, as NumPy's;
it raised "'NoneType' object cannot be interpreted as an integer"."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.arange(6.0).reshape(2, 3)
REPEATED = np.array([4, 4, 0, -1])


def test_axis_none_picks_from_the_flattened_array():
    got = dnp.take_along_axis(dg.tensor(X), REPEATED, axis=None)
    np.testing.assert_array_equal(got.numpy(), np.take_along_axis(X, REPEATED, axis=None))


def test_axis_none_gradient_accumulates_repeats():
    def picked(x):
        return dnp.sum(dnp.take_along_axis(x, REPEATED, axis=None) * np.array([1.0, 2, 3, 4]))

    np.testing.assert_array_equal(dg.grad(picked)(X), [[3.0, 0, 0], [0, 3.0, 4.0]])
    dg.check_grads(picked, (X,), order=2)


def test_axis_none_refuses_an_index_array_of_more_dimensions():
    with pytest.raises(ValueError, match=r"take_along_axis: axis=None .* shape \(4, 1\)"):
        dnp.take_along_axis(X, REPEATED[:, None], axis=None)

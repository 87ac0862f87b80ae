"""``pad``'s modes that compute the border from the values (maximum, minimum, mean,
median, linear_ramp) were written as a gather from an index map, which padded with the
wrong elements, on Tensors and on plain arrays alike (maximum of [1, 5, 2] padded with
2 and 1 instead of 5)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

COMPUTED = ["maximum", "minimum", "mean", "median", "linear_ramp"]


@pytest.mark.parametrize("mode", COMPUTED)
def test_plain_arrays_get_numpys_answer(mode):
    a = np.array([[1.0, 5.0, 2.0], [-3.0, 0.5, 4.0]])
    np.testing.assert_array_equal(dnp.pad(a, 2, mode=mode), np.pad(a, 2, mode=mode))


@pytest.mark.parametrize("mode", COMPUTED)
def test_tensors_are_refused_rather_than_padded_wrongly(mode):
    with pytest.raises(NotImplementedError, match=f"pad: mode='{mode}'"):
        dg.grad(lambda y: dnp.sum(dnp.pad(y, 2, mode=mode)))(np.array([0.7, -1.3, 2.1]))

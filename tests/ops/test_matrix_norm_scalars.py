"""``norm`` of a matrix with the orders 1, -1, inf and -inf returned a 0-d array
(``array(6., dtype=float32)``) where NumPy returns a scalar (``np.float32(6.0)``), as
deepgrad does for every other order."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

MATRIX = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)


@pytest.mark.parametrize("order", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_is_a_scalar_as_numpys(order):
    want = np.linalg.norm(MATRIX, order)
    got = dnp.linalg.norm(MATRIX, order)
    assert type(got) is type(want)
    assert got == pytest.approx(want)


@pytest.mark.parametrize("order", [1, -1, np.inf, -np.inf])
def test_keepdims_and_tensors_keep_their_form(order):
    assert dnp.linalg.norm(MATRIX, order, keepdims=True).shape == (1, 1)
    assert isinstance(dnp.linalg.norm(dg.Tensor(MATRIX), order), dg.Tensor)

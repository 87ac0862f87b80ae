"""``pad`` of a 0-d array returns a copy of it, as NumPy's (``np.pad(np.array(2.0), 1)``
is ``array(2.0)``); deepgrad raised "`pad_width` must be of integral type" from NumPy,
having handed it an empty tuple of widths."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

SCALAR = np.array(2.0)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_a_0d_array_comes_back_as_numpys(mode):
    expected = np.pad(SCALAR, 1, mode=mode)
    got = dnp.pad(dg.tensor(SCALAR), 1, mode=mode)
    assert got.shape == expected.shape == ()
    assert float(got) == float(expected) == 2.0
    plain = dnp.pad(SCALAR, 1, mode=mode)
    assert plain.shape == () and plain is not SCALAR


def test_the_derivative_is_the_identity():
    assert float(dg.grad(lambda x: dnp.pad(x, 2) * 3.0)(SCALAR)) == 3.0
    assert float(dg.jacfwd(lambda x: dnp.pad(x, 2, mode="wrap") * 3.0)(SCALAR)) == 3.0

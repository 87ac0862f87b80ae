"""``x.at[index].set(v)`` with an index that writes one place twice: the last write stays
(NumPy's rule), so the earlier values reach nothing and their gradient is 0, as in JAX.
The reverse rule gave every write g (gradient [1, 1] where [0, 1] is right)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

W = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("index", "expected"),
    [([0, 0], [0.0, 1.0]), ([0, -3, 1], [0.0, 1.0, 2.0]), ([2, 0, 2, 2], [0.0, 1.0, 0.0, 3.0])],
)
def test_only_the_write_that_stays_gets_the_gradient(index, expected):
    def f(v):
        return dnp.sum(dg.tensor(np.zeros(3, np.float64)).at[np.array(index)].set(v) * W)

    v = np.arange(1.0, len(index) + 1.0)
    np.testing.assert_array_equal(dg.grad(f)(v), expected)
    dg.check_grads(f, (v,), order=2)  # forward and reverse agree with central differences


def test_multiply_and_a_traced_value_at_a_repeated_index():
    double_first = dg.grad(lambda x: dnp.sum(x.at[np.array([0, 0])].multiply(2.0)))
    np.testing.assert_array_equal(double_first(np.array([1.0, 2.0, 3.0])), [2.0, 1.0, 1.0])
    product = dg.grad(lambda x: dnp.sum(x.at[np.array([1, 1])].set(x[0] * x[2])))
    np.testing.assert_array_equal(product(np.array([1.0, 2.0, 3.0])), [4.0, 0.0, 2.0])

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
    twice_doubled = dg.grad(lambda x: dnp.sum(x.at[np.array([0, 0])].multiply(2.0)))
    np.testing.assert_array_equal(twice_doubled(np.array([1.0, 2.0, 3.0])), [4.0, 1.0, 1.0])
    product = dg.grad(lambda x: dnp.sum(x.at[np.array([1, 1])].set(x[0] * x[2])))
    np.testing.assert_array_equal(product(np.array([1.0, 2.0, 3.0])), [4.0, 0.0, 2.0])


def test_multiply_at_a_repeated_index_multiplies_by_every_value():
    """``x.at[i].multiply(v)`` kept one write per place (x[1] · 3 where JAX and
    ``np.multiply.at`` give x[1] · 2 · 3), so value and gradients were wrong."""
    x = np.arange(1.0, 7.0).reshape(3, 2)
    index = np.array([1, 1, 0, 1])
    values = np.array([2.0, 3.0, 5.0, 0.5])
    expected = x.copy()
    np.multiply.at(expected, index, values[:, None])
    got = dg.tensor(x).at[index].multiply(dg.tensor(values[:, None]))
    np.testing.assert_array_equal(got.numpy(), expected)

    def weighted(x, values):
        x = dg.tensor(x) if isinstance(x, np.ndarray) else x  # a constant when not traced
        return dnp.sum(x.at[index, 0].multiply(values) * np.array([1.0, 2.0]))

    np.testing.assert_allclose(dg.grad(weighted)(x, values), [[5.0, 2.0], [3.0, 2.0], [1.0, 2.0]])
    # d/dv of x[1, 0] · v0 · v1 · v3 and of x[0, 0] · v2
    np.testing.assert_allclose(dg.grad(weighted, argnums=1)(x, values), [4.5, 3.0, 1.0, 18.0])
    dg.check_grads(weighted, (x, values), order=2)
    batch = np.stack([x, 2 * x])
    np.testing.assert_allclose(
        dg.vmap(lambda x: x.at[index, 0].multiply(values))(batch)[1][1, 0], 2 * 3.0 * 3.0
    )

"""``dnp.insert`` and ``dnp.delete`` with their indices as a Tensor (``delete(x,
argmax(x))``): NumPy's function, given the Tensor, dispatched back to deepgrad's, which
called it again, until Python's recursion limit. NumPy's answers below; inside a compiled
function the indices are a value read into Python, refused as ``int(x)`` is."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

A = np.array([1.0, -1.0, 2.0, -3.0])


@pytest.mark.parametrize(
    ("fn", "reference"),
    [
        (lambda x: dnp.delete(x, dnp.argmax(x)), lambda a: np.delete(a, np.argmax(a))),
        (lambda x: dnp.delete(x, dg.tensor([0, 3])), lambda a: np.delete(a, [0, 3])),
        (lambda x: dnp.insert(x, dnp.argmin(x), 9.0), lambda a: np.insert(a, np.argmin(a), 9.0)),
    ],
)
def test_tensor_indices_give_numpys_answer(fn, reference):
    np.testing.assert_array_equal(fn(dg.tensor(A)).numpy(), reference(A))


def test_the_gradient_flows_to_the_kept_elements():
    grad = dg.grad(lambda u: dnp.sum(dnp.delete(u, dnp.argmax(u)) ** 2))(A)
    np.testing.assert_array_equal(grad, [2.0, -2.0, 0.0, -6.0])


@pytest.mark.parametrize("name", ["delete", "insert"])
def test_indices_of_the_data_are_refused_under_compile(name):
    def fn(x):
        if name == "delete":
            return dnp.delete(x, dnp.argmax(x))
        return dnp.insert(x, dnp.argmax(x), 0.0)

    with pytest.raises(dg.CompileError, match=f"{name}'s indices of a int64 array"):
        dg.compile(fn)(A)

"""NumPy's own functions on Tensors (``__array_ufunc__``, ``__array_function__``): they call
deepgrad.numpy's function of that name and record, or raise a TypeError naming
deepgrad.numpy; never a silent conversion to a plain array."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.tensor import Tensor, raw_data

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 2))

# (NumPy's call on a Tensor, the same with deepgrad.numpy)
CALLS = {
    "np.sum": (lambda x: np.sum(x), lambda x: dnp.sum(x)),
    "np.sum axis": (
        lambda x: np.sum(x, axis=0, keepdims=True),
        lambda x: dnp.sum(x, 0, None, None, True),
    ),
    "np.mean": (lambda x: np.mean(x), lambda x: dnp.mean(x)),
    "np.exp": (np.exp, dnp.exp),
    "np.tanh": (np.tanh, dnp.tanh),
    "np.dot": (lambda x: np.dot(x, W), lambda x: dnp.dot(x, W)),
    "np.matmul": (lambda x: np.matmul(x, W), lambda x: x @ W),
    "ndarray + Tensor": (lambda x: W.T + x, lambda x: dnp.add(W.T, x)),
    "ndarray * Tensor": (lambda x: W.T * x, lambda x: dnp.multiply(W.T, x)),
    "ndarray @ Tensor": (lambda x: W @ x, lambda x: dnp.matmul(W, x)),
    "float64 scalar * Tensor": (lambda x: np.float64(2.5) * x, lambda x: 2.5 * x),
    "np.maximum": (lambda x: np.maximum(x, 0.1), lambda x: dnp.maximum(x, 0.1)),
    "np.stack": (lambda x: np.stack([x, 2 * x]), lambda x: dnp.stack([x, 2 * x])),
    "np.concatenate": (
        lambda x: np.concatenate([x, W.T]),
        lambda x: dnp.concatenate([x, W.T]),
    ),
    "np.where": (lambda x: np.where(W.T > 0, x, -x), lambda x: dnp.where(W.T > 0, x, -x)),
    "np.linspace": (lambda x: np.linspace(x, 2 * x, 3), lambda x: dnp.linspace(x, 2 * x, 3)),
    "np.linalg.norm": (np.linalg.norm, dnp.linalg.norm),
    "np.add.reduce": (lambda x: np.add.reduce(x, axis=1), lambda x: dnp.sum(x, axis=1)),
    "np.multiply.reduce": (np.multiply.reduce, lambda x: dnp.prod(x, axis=0)),
    "np.maximum.reduce keepdims": (
        lambda x: np.maximum.reduce(x, axis=1, keepdims=True),
        lambda x: dnp.max(x, axis=1, keepdims=True),
    ),
    "np.add.accumulate": (np.add.accumulate, lambda x: dnp.cumsum(x, axis=0)),
    "np.multiply.outer": (
        lambda x: np.multiply.outer(x, x[0]),
        lambda x: dnp.reshape(x, (2, 3, 1)) * x[0],
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_numpy_call_records_like_deepgrad_numpy(name):
    numpy_call, deepgrad_call = CALLS[name]
    x = RNG.uniform(0.5, 1.5, (2, 3))

    result = numpy_call(dg.tensor(x, requires_grad=True))
    leaves = dg.tree_flatten(result)[0]
    assert all(isinstance(leaf, Tensor) and leaf.requires_grad for leaf in leaves), name

    def total(call):
        return lambda x: sum(dnp.sum(dnp.sin(leaf)) for leaf in dg.tree_flatten(call(x))[0])

    np.testing.assert_array_equal(dg.grad(total(numpy_call))(x), dg.grad(total(deepgrad_call))(x))
    dg.check_grads(total(numpy_call), (x,), order=2)


def test_issue_examples():
    t = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert float(np.sum(t)) == 3.0 and float(np.mean(t)) == 1.5
    np.testing.assert_allclose(raw_data(np.exp(t)), np.exp([1.0, 2.0]))
    np.testing.assert_allclose(raw_data(np.dot(t, np.ones(2))), 3.0)
    (np.sum(np.exp(t)) + np.dot(t, t)).backward()
    np.testing.assert_allclose(raw_data(t.grad), np.exp([1.0, 2.0]) + 2 * np.array([1.0, 2.0]))


def test_inside_a_transform_and_compiled():
    def f(x):
        return np.sum(np.sin(x) * np.mean(x))

    def eager(x):
        return dnp.sum(dnp.sin(x) * dnp.mean(x))

    x = np.array([0.2, 0.5, 0.9])
    np.testing.assert_array_equal(dg.grad(f)(x), dg.grad(eager)(x))
    compiled = dg.compile(dg.grad(f))
    for scale in (1.0, 2.0, 3.0, 4.0):
        np.testing.assert_array_equal(compiled(x * scale), dg.grad(eager)(x * scale))


REFUSED = {
    "a name deepgrad lacks": (lambda t: np.fft.fft(t), "numpy.fft.fft"),
    "a function deepgrad.numpy lacks": (lambda t: np.unwrap(t), "numpy.unwrap"),
    "out=": (lambda t: np.exp(t, out=np.empty(2)), "out="),
    "in place into an ndarray": (lambda t: np.add(np.ones(2), t, out=np.ones(2)), "out="),
    "a ufunc keyword": (lambda t: np.add(t, t, where=np.array([True, False])), "where"),
    "a ufunc method": (lambda t: np.add.reduceat(t, [0]), "reduceat"),
    "a reduce deepgrad lacks": (lambda t: np.subtract.reduce(t), "subtract.reduce"),
    "an argument deepgrad lacks": (lambda t: np.sum(t, where=np.array([True, False])), "sum"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_cannot_record_raises_naming_deepgrad_numpy(name):
    call, mentioned = REFUSED[name]
    t = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=r"deepgrad\.numpy") as error:
        call(t)
    assert mentioned in str(error.value)


def test_in_place_add_of_a_tensor_into_an_ndarray_raises():
    a = np.ones(2)
    with pytest.raises(TypeError, match="out="):
        a += dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    np.testing.assert_array_equal(a, np.ones(2))


def test_metadata_functions_read_the_raw_data():
    t = dg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    assert np.result_type(t, np.float64) == np.float64
    assert not np.iscomplexobj(t)
    assert np.shape(t) == (2,) and np.ndim(t) == 1
    assert "1." in np.array2string(t)
    np.testing.assert_allclose(t, [1.0, 2.0])  # np.testing converts through __array__


def test_converting_a_traced_tensor_to_numpy_raises():
    """np.asarray / np.array ask the Tensor for its array without a way to record: inside a
    transform that would cut it from the graph (a silent zero), so it raises, as JAX does."""
    for convert in (
        np.asarray,
        lambda x: np.array([x, x]),
        lambda x: np.float64(1.0) + np.array(x),
    ):
        with pytest.raises(TypeError, match="traced by a transform"):
            dg.grad(lambda x, convert=convert: dnp.sum(convert(x)))(1.0)
    # the explicit ways out, and NumPy reads of a tape tensor's value, still work
    assert float(dg.grad(lambda x: x * np.asarray(dg.stop_gradient(x)))(3.0)) == 3.0
    t = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])

"""Array constructors with Tensors inside: forward equals NumPy's on the raw values,
derivatives equal central differences (forward and reverse mode, to second order), the
compiled replay equals eager, and what cannot be recorded raises, naming the function."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.tensor import Tensor, raw_data


def _check(fn, reference, args, exact=False):
    """fn(*args) equals reference(*args) on arrays, and its derivatives are right."""
    got = fn(*args)
    expected = reference(*args)
    for g, e in zip(dg.tree_flatten(got)[0], dg.tree_flatten(expected)[0], strict=True):
        g = np.asarray(raw_data(g))
        assert g.shape == np.shape(e) and g.dtype == np.asarray(e).dtype
        if exact:
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    dg.check_grads(fn, args, order=2)


# ---- the examples ----------------------------------------------------------------------


def test_linspace_endpoint_is_differentiated():
    assert float(dg.grad(lambda x: dnp.linspace(0, x, 5)[2])(2.0)) == 0.5


def test_asarray_of_a_list_of_tensors_is_differentiated():
    assert float(dg.grad(lambda x: dnp.sum(dnp.asarray([x, x])))(2.0)) == 2.0


# ---- array, asarray: nested lists of Tensors and constants -------------------------------------

NESTED = {
    "pair": (lambda a, b: dnp.array([a, b]), lambda a, b: np.array([a, b])),
    "matrix": (
        lambda a, b: dnp.array([[a, b], [b * a, 1.0]]),
        lambda a, b: np.array([[a, b], [b * a, 1.0]]),
    ),
    "mixed tuple": (lambda a, b: dnp.asarray((a, 2.0, b)), lambda a, b: np.asarray((a, 2.0, b))),
    "ndmin": (lambda a, b: dnp.array(a, ndmin=2), lambda a, b: np.array(a, ndmin=2)),
    "anyarray": (lambda a, b: dnp.asanyarray([[a], [b]]), lambda a, b: np.asanyarray([[a], [b]])),
    "contiguous": (
        lambda a, b: dnp.ascontiguousarray([a, b]),
        lambda a, b: np.ascontiguousarray([a, b]),
    ),
    "copy": (lambda a, b: dnp.copy(a) * b, lambda a, b: np.copy(a) * b),
}


@pytest.mark.parametrize("name", list(NESTED))
def test_nested_scalars(name):
    fn, reference = NESTED[name]
    _check(fn, reference, (0.7, -1.3), exact=True)


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3), seed=st.integers(0, 2**16))
def test_nested_arrays_of_any_shape(shape, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    constant = rng.standard_normal(shape)
    _check(
        lambda a, b: dnp.array([[a, constant], [b, a * b]]),
        lambda a, b: np.array([[a, constant], [b, a * b]]),
        (a, b),
        exact=True,
    )
    _check(lambda a: dnp.array(a, ndmin=4), lambda a: np.array(a, ndmin=4), (a,), exact=True)


def test_array_copies_and_asarray_does_not():
    x = dg.tensor(np.array([1.0, 2.0]))
    assert dnp.asarray(x) is x
    copied = dnp.array(x)
    assert isinstance(copied, Tensor) and not np.shares_memory(raw_data(copied), raw_data(x))
    single = dnp.array([x])
    assert not np.shares_memory(raw_data(single), raw_data(x))


def test_array_keeps_numpy_dtype_rules():
    x = dg.tensor(np.float32(1.5), requires_grad=True)
    assert dnp.array([x, x]).dtype == np.float32
    assert dnp.array([x, 2.0]).dtype == np.array([np.float32(1.5), 2.0]).dtype
    assert dnp.array([x], dtype=np.float64).dtype == np.float64


def test_arrays_on_the_tape_get_their_gradients():
    x = dg.tensor(2.0, dtype=np.float64, requires_grad=True)
    y = dg.tensor(3.0, dtype=np.float64, requires_grad=True)
    (dnp.array([[x, y], [x * y, 1.0]]) ** 2).sum().backward()
    assert float(x.grad) == 2 * 2.0 + 2 * 6.0 * 3.0
    assert float(y.grad) == 2 * 3.0 + 2 * 6.0 * 2.0


def test_without_tensors_the_constructors_are_numpy():
    assert type(dnp.array([1.0, 2.0])) is np.ndarray
    assert type(dnp.asarray([[1, 2]])) is np.ndarray
    assert type(dnp.linspace(0, 1, 3)) is np.ndarray
    assert type(dnp.full((2,), 3.0)) is np.ndarray
    np.testing.assert_array_equal(dnp.r_[1, 2, 3], np.r_[1, 2, 3])


def test_ragged_data_raises_naming_the_function():
    x = dg.tensor(np.ones(2))
    with pytest.raises(ValueError, match="array:"):
        dnp.array([x, np.ones(3)])


# ---- linspace, logspace, geomspace ---------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3),
    num=st.sampled_from([0, 1, 2, 5]),
    endpoint=st.booleans(),
    axis=st.sampled_from([0, -1]),
    seed=st.integers(0, 2**16),
)
def test_linspace(shapes, num, endpoint, axis, seed):
    rng = np.random.default_rng(seed)
    start, stop = (rng.standard_normal(s) for s in shapes.input_shapes)
    kwargs = {"num": num, "endpoint": endpoint, "axis": axis}
    _check(
        lambda a, b: dnp.linspace(a, b, **kwargs),
        lambda a, b: np.linspace(a, b, **kwargs),
        (start, stop),
        exact=True,
    )
    _check(
        lambda a: dnp.linspace(a, 3.0, **kwargs),
        lambda a: np.linspace(a, 3.0, **kwargs),
        (start,),
        exact=True,
    )


def test_linspace_retstep():
    _check(
        lambda a, b: dnp.linspace(a, b, 4, retstep=True),
        lambda a, b: np.linspace(a, b, 4, retstep=True),
        (0.5, 2.0),
        exact=True,
    )


@settings(max_examples=25, deadline=None)
@given(
    num=st.sampled_from([1, 2, 4]),
    endpoint=st.booleans(),
    shape=st.sampled_from([(), (2,)]),
    seed=st.integers(0, 2**16),
)
def test_logspace_and_geomspace(num, endpoint, shape, seed):
    rng = np.random.default_rng(seed)
    start, stop = rng.uniform(0.2, 2, shape), rng.uniform(0.2, 2, shape)
    base = rng.uniform(1.5, 3.0, shape)
    kwargs = {"num": num, "endpoint": endpoint}
    _check(
        lambda a, b, c: dnp.logspace(a, b, base=c, **kwargs),
        lambda a, b, c: np.logspace(a, b, base=c, **kwargs),
        (start, stop, base),
    )
    _check(
        lambda a, b: dnp.geomspace(a, b, **kwargs),
        lambda a, b: np.geomspace(a, b, **kwargs),
        (start, stop),
    )
    _check(
        lambda a, b: dnp.geomspace(-a, -b, axis=-1, **kwargs),
        lambda a, b: np.geomspace(-a, -b, axis=-1, **kwargs),
        (start, stop),
    )


def test_geomspace_refuses_zero_naming_itself():
    with pytest.raises(ValueError, match="geomspace"):
        dg.grad(lambda x: dnp.sum(dnp.geomspace(x, 1.0, 3)))(0.0)


# ---- full, full_like, the *_like constants -------------------------------------------------------


@pytest.mark.parametrize("fill_shape", [(), (3,), (2, 1)])
def test_full_with_a_traced_fill_value(fill_shape):
    fill = np.random.default_rng(0).standard_normal(fill_shape)
    _check(lambda v: dnp.full((2, 3), v), lambda v: np.full((2, 3), v), (fill,), exact=True)
    _check(
        lambda v: dnp.full_like(np.zeros((2, 3)), v),
        lambda v: np.full_like(np.zeros((2, 3)), v),
        (fill,),
        exact=True,
    )


def test_full_refuses_a_fill_value_that_does_not_broadcast():
    with pytest.raises(ValueError, match="full: fill_value of shape"):
        dg.grad(lambda v: dnp.sum(dnp.full((2, 3), v)))(np.ones(4))


def test_like_constructors_of_a_traced_tensor_are_constants():
    def f(x):
        total = dnp.sum(x)
        for like in (dnp.zeros_like(x), dnp.ones_like(x), dnp.full_like(x, 2.0)):
            assert not isinstance(like, Tensor) and like.shape == x.shape
            total = total + dnp.sum(like)
        assert dnp.empty_like(x).shape == x.shape
        return total

    np.testing.assert_array_equal(dg.grad(f)(np.ones(3)), np.ones(3))


# ---- meshgrid, r_, c_ ---------------------------------------------------------------------------


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid(indexing, sparse):
    rng = np.random.default_rng(1)
    x, y, z = rng.standard_normal(2), rng.standard_normal(3), rng.standard_normal(4)
    _check(
        lambda a, b: dnp.meshgrid(a, b, z, indexing=indexing, sparse=sparse),
        lambda a, b: np.meshgrid(a, b, z, indexing=indexing, sparse=sparse),
        (x, y),
        exact=True,
    )


def test_r_and_c_():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    _check(lambda a, b: dnp.r_[a, 1.0, b, 0:2], lambda a, b: np.r_[a, 1.0, b, 0:2], (a, b), True)
    _check(
        lambda a, b: dnp.c_[a, b, np.ones(3)], lambda a, b: np.c_[a, b, np.ones(3)], (a, b), True
    )
    _check(lambda s: dnp.r_[s, 2.0], lambda s: np.r_[s, 2.0], (0.5,), True)
    with pytest.raises(TypeError, match="r_: string directives"):
        dnp.r_["0,2", dg.tensor(a), dg.tensor(b)]


def test_grids_from_slices_refuse_tensors():
    with pytest.raises(TypeError, match="mgrid"):
        dg.grad(lambda x: dnp.sum(dnp.mgrid[0:x:3j]))(1.0)
    np.testing.assert_array_equal(dnp.ogrid[0:3], np.ogrid[0:3])


# ---- arange ------------------------------------------------------------------------------------


def test_arange_refuses_a_traced_bound_naming_itself():
    with pytest.raises(TypeError, match="arange"):
        dg.grad(lambda x: dnp.sum(dnp.arange(0.0, x, 0.5)))(2.0)
    np.testing.assert_array_equal(dnp.arange(1, 4), np.arange(1, 4))


# ---- compiled ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: dnp.array([[x[0], x[1] * 2], [1.0, x[0] * x[1]]]),
        lambda x: dnp.linspace(x[0], x[1], 4),
        lambda x: dnp.geomspace(dnp.exp(x[0]), 2.0, 3),
        lambda x: dnp.full((2, 2), x[0]),
        lambda x: dnp.r_[x, 3.0],
        lambda x: dnp.meshgrid(x, x)[1],
    ],
    ids=["array", "linspace", "geomspace", "full", "r_", "meshgrid"],
)
def test_constructors_replay_under_compile(fn):
    def objective(x):
        return dnp.sum(dnp.sin(fn(x)))

    eager = dg.value_and_grad(objective)
    compiled = dg.compile(eager)
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = rng.uniform(0.5, 1.5, 2)
        value, grad = compiled(x)
        expected_value, expected_grad = eager(x)
        np.testing.assert_array_equal(value, expected_value)
        np.testing.assert_array_equal(grad, expected_grad)
    assert compiled._plans


# ---- on a device backend ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["array", "asarray", "linspace", "logspace", "geomspace", "full", "meshgrid", "r_", "c_"],
)
def test_constructors_stay_on_the_device(name):
    """On the guard backend (arrays that refuse implicit conversion to NumPy, as CuPy's
    do) the constructors make their constants with the Tensors' array module: no silent
    round trip through the host, same values and gradients as on the host."""
    from tests.backend.guard import GuardArray

    build = {
        "array": lambda a, b: dnp.array([[a, b], [b, 1.0]]),
        "asarray": lambda a, b: dnp.asarray([a, 2.0, b]),
        "linspace": lambda a, b: dnp.linspace(a, b, 4),
        "logspace": lambda a, b: dnp.logspace(a, b, 3, base=2.0),
        "geomspace": lambda a, b: dnp.geomspace(a, b, 3),
        "full": lambda a, b: dnp.full((2, 2), a) * b,
        "meshgrid": lambda a, b: dnp.meshgrid(dnp.stack([a, b]), dnp.stack([b, a, b]))[0],
        "r_": lambda a, b: dnp.r_[a, 1.0, b],
        "c_": lambda a, b: dnp.c_[dnp.stack([a, b]), dnp.stack([b, a])],
    }[name]

    def objective(a, b):
        return dnp.sum(dnp.sin(build(a, b)))

    host = [np.array(0.7), np.array(1.3)]
    value, grads = dg.value_and_grad(objective, argnums=(0, 1))(*host)
    guarded = [GuardArray(h.copy()) for h in host]
    guard_value, guard_grads = dg.value_and_grad(objective, argnums=(0, 1))(*guarded)
    assert isinstance(raw_data(guard_value), GuardArray)
    np.testing.assert_allclose(raw_data(guard_value).get(), value, rtol=1e-12)
    for g, e in zip(guard_grads, grads, strict=True):
        np.testing.assert_allclose(raw_data(g).get(), e, rtol=1e-12)

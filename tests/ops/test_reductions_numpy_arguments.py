"""The reductions take NumPy's arguments in NumPy's order: ``sum(a, axis, dtype, out,
keepdims, initial, where)``, ``max(a, axis, out, keepdims, initial, where)``,
``var(a, axis, dtype, out, ddof, keepdims)``, ``cumsum(a, axis, dtype, out)``, ... Their
third argument was ``keepdims`` (or ``ddof``): ``prod(int8 x, 0, np.int64)`` raised
"'type' object cannot be interpreted as an integer", ``std(x, 1, 1, True)`` (NumPy:
TypeError, 1 is not a dtype) returned the ddof=1 deviations with keepdims, and
``np.sum(tensor, 0, None, None, True)`` raised. ``dtype`` is the one NumPy accumulates in;
``out``, ``initial`` and ``where`` are refused with a TypeError."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

INTEGERS = np.array([[100, 2, 3], [4, 100, 6]], dtype=np.int8)  # int8 sums and products wrap
FLOATS = np.array([[1e8, 1.0, np.nan], [1.0, 3.0, 7.0]], dtype=np.float32)
FINITE = np.array([[1e8, 1.0, 2.0], [1.0, 3.0, 7.0]], dtype=np.float32)

# (function name, data, NumPy's positional arguments after the data)
CALLS = [
    *[
        (name, data, args)
        for name in ("sum", "prod", "nansum", "nanprod")
        for data, args in [
            (INTEGERS, (0, np.int64, None, True)),
            (FLOATS, (1, np.float64, None, True)),
            (INTEGERS, (None, np.int64, None, True)),
        ]
    ],
    *[
        (name, data, args)
        for name in ("mean", "nanmean")
        for data, args in [
            (INTEGERS, (0, np.int64, None, True)),
            (FLOATS, (1, np.float64, None, True)),
            (INTEGERS, (None, np.float32, None, True)),
        ]
    ],
    *[
        (name, data, args)
        for name in ("max", "min", "amax", "amin", "nanmax", "nanmin", "ptp")
        for data, args in [(INTEGERS, (0, None, True)), (FLOATS, (1, None, True))]
    ],
    *[
        (name, data, args)
        for name in ("var", "std", "nanvar", "nanstd")
        for data, args in [
            (FLOATS, (1, np.float64, None, 1, True)),
            (INTEGERS, (0, np.float64, None, 0, True)),
            (FINITE.astype(np.float64), (0, np.float32, None, 0, True)),
            (INTEGERS, (0, None, None, 1)),
        ]
    ],
    *[
        (name, data, args)
        for name in ("cumsum", "cumprod", "nancumsum", "nancumprod")
        for data, args in [(INTEGERS, (0, np.int64)), (FLOATS, (1, np.float64))]
    ],
]


def _same(expected, got):
    got = np.asarray(got)
    assert (got.dtype, got.shape) == (expected.dtype, expected.shape)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("name", "data", "args"),
    [pytest.param(*call, id=f"{call[0]}-{call[1].dtype}-{i}") for i, call in enumerate(CALLS)],
)
def test_positional_call_as_numpys(name, data, args):
    expected = np.asarray(getattr(np, name)(data, *args))
    for wrap in (np.asarray, dg.tensor):
        _same(expected, getattr(dnp, name)(wrap(data), *args))
    _same(expected, getattr(np, name)(dg.tensor(data), *args))  # through NumPy's dispatch
    if hasattr(data, name):  # the Tensor method, as the ndarray method
        _same(np.asarray(getattr(data, name)(*args)), getattr(dg.tensor(data), name)(*args))


def test_dtype_is_the_one_numpy_accumulates_in():
    # NumPy: int8 [100] * 4 summed in int64 is 400 (an int8 sum would wrap to -112); the
    # float32 mean of 1e8, 1, 1, 1 in float64 is 25000000.75 (in float32 25000000.0)
    column = np.full(4, 100, dtype=np.int8)
    _same(np.array(400), dnp.sum(column, None, np.int64))
    _same(np.array([100, 200, 300, 400]), dnp.cumsum(column, 0, np.int64))
    _same(np.array(100_000_000), dnp.prod(column, 0, np.int64))
    large = np.array([1e8, 1.0, 1.0, 1.0], dtype=np.float32)
    _same(np.array(25000000.75), dnp.mean(large, 0, np.float64))
    _same(np.array(25000000.75), dnp.nanmean(large, 0, np.float64))


def test_gradient_through_a_float64_dtype():
    grad = dg.grad(lambda x: dnp.sum(dnp.prod(x, 0, np.float64) + dnp.var(x, 0, np.float64)))
    got = grad(np.array([[1.0, 2.0], [3.0, 5.0]], dtype=np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[3.0 - 1.0, 5.0 - 1.5], [1.0 + 1.0, 2.0 + 1.5]])


@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
@pytest.mark.parametrize(
    ("name", "front"),
    [
        ("sum", (0, None)),
        ("prod", (0, None)),
        ("mean", (0, None)),
        ("nansum", (0, None)),
        ("nanmean", (0, None)),
        ("var", (0, None)),
        ("nanstd", (0, None)),
        ("max", (0,)),
        ("nanmin", (0,)),
        ("ptp", (0,)),
        ("cumsum", (0, None)),
        ("nancumprod", (0, None)),
    ],
)
def test_out_is_refused(name, front, wrap):
    out = np.ones(3)
    with pytest.raises(TypeError, match=rf"{name}: out= is not supported \(got ndarray of shape"):
        getattr(dnp, name)(wrap(FINITE), *front, out)
    if wrap is dg.tensor:  # positionally through NumPy's dispatch to deepgrad
        with pytest.raises(TypeError, match=f"{name}: out= is not supported"):
            getattr(np, name)(wrap(FINITE), *front, out)
    np.testing.assert_array_equal(out, 1.0)


def test_initial_and_where_are_refused():
    with pytest.raises(TypeError, match=r"sum: the argument initial=5 is not supported"):
        dnp.sum(FINITE, 0, None, None, False, 5)
    with pytest.raises(
        TypeError, match=r"nanmax: the argument where= is not supported \(got ndarray of"
    ):
        dnp.nanmax(FINITE, 0, None, False, None, FINITE > 2)
    with pytest.raises(
        TypeError, match=r"deepgrad.numpy.s mean.*mean: the argument where= is not supported"
    ):
        np.mean(dg.tensor(FINITE), where=FINITE > 2)


def test_integer_dtype_of_a_variance_is_refused():
    with pytest.raises(TypeError, match=r"var: dtype=int64 is not supported"):
        dnp.var(INTEGERS, 0, np.int64)
    with pytest.raises(TypeError, match=r"nanmean: dtype=int32 for a floating input"):
        dnp.nanmean(FLOATS, 0, np.int32)

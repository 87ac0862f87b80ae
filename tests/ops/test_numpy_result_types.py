"""On plain inputs deepgrad.numpy returns what NumPy returns: the same type (a NumPy
scalar, a 0-d array or an array), dtype, shape and values. ``median``, ``quantile`` and
their NaN-ignoring versions, ``nanvar``, ``nanmax`` and ``nanmin`` returned 0-d arrays
where NumPy returns scalars; ``nanvar`` of a slice holding both infinities was 0 where
NumPy's is NaN."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

PLAIN_INPUTS = {
    "list": [3.0, 1.0, 2.0, 10.0],
    "int list": [3, 1, 2],
    "python float": 2.5,
    "python int": 3,
    "float16 scalar": np.float16(1.5),
    "float32 scalar": np.float32(1.5),
    "float64 scalar": np.float64(1.5),
    "int8 scalar": np.int8(3),
    "0-d float32": np.array(1.5, dtype=np.float32),
    "0-d float64": np.array(1.5),
    "1-d float16": np.array([0.5, 2.0, 1.0, 3.0], dtype=np.float16),
    "1-d with NaN": np.array([1.0, np.nan, 3.0, 2.0]),
    "2-d float32": np.array([[0.5, 2.0, 1.0], [3.0, -1.0, 0.25]], dtype=np.float32),
}
ORDER_STATISTICS = {
    "median": (),
    "nanmedian": (),
    "quantile": (0.3,),
    "nanquantile": (0.3,),
    "percentile": (30,),
    "nanpercentile": (30,),
}
NAN_REDUCTIONS = ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin"]


def _numpy(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return getattr(np, name)(*args, **kwargs)


def assert_same_as_numpy(got, expected):
    """Same type, dtype, shape and values (NaN equal to NaN)."""
    assert type(got) is type(expected), (type(got), type(expected))
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", [*ORDER_STATISTICS, *NAN_REDUCTIONS])
@pytest.mark.parametrize("x", PLAIN_INPUTS.values(), ids=PLAIN_INPUTS.keys())
def test_full_reductions_of_plain_inputs_are_numpys_scalars(name, x):
    args = ORDER_STATISTICS.get(name, ())
    expected = _numpy(name, x, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = getattr(dnp, name)(x, *args)
    assert_same_as_numpy(got, expected)


@pytest.mark.parametrize("name", [*ORDER_STATISTICS, *NAN_REDUCTIONS])
@pytest.mark.parametrize("kwargs", [{"axis": 0}, {"axis": 1}, {"keepdims": True}])
def test_partial_reductions_stay_arrays(name, kwargs):
    x = PLAIN_INPUTS["2-d float32"]
    args = ORDER_STATISTICS.get(name, ())
    assert_same_as_numpy(getattr(dnp, name)(x, *args, **kwargs), _numpy(name, x, *args, **kwargs))


@pytest.mark.parametrize("name", ["nanvar", "nanstd"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nanvar_of_both_infinities_is_nan(name, axis):
    x = np.array([[-np.inf, 1.0, np.inf, np.nan], [1.0, np.nan, 2.0, 4.0]])
    expected = _numpy(name, x, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_same_as_numpy(getattr(dnp, name)(x, axis=axis), expected)
        got = getattr(dnp, name)(dg.tensor(x), axis=axis)
    np.testing.assert_array_equal(got.numpy(), expected)


def test_nanvar_gradient_still_skips_nans():
    x = np.array([1.0, np.nan, 3.0, 4.0])
    g = dg.grad(lambda a: dnp.nanvar(a))(x)
    mean = np.nanmean(x)
    np.testing.assert_allclose(g, np.where(np.isnan(x), 0.0, 2 * (x - mean) / 3))


COV_INPUTS = {
    f"{dtype.__name__} {kind}": make(dtype)
    for dtype in (np.float16, np.float32, np.float64, np.int8, np.int64, np.bool_)
    for kind, make in {
        "scalar": lambda d: d(1),
        "0-d": lambda d: np.array(1, dtype=d),
        "one element": lambda d: np.array([1], dtype=d),
        "1-d": lambda d: np.array([1, 0, 1, 1], dtype=d),
        "2-d": lambda d: np.array([[1, 0, 1], [0, 0, 1]], dtype=d),
    }.items()
}


@pytest.mark.parametrize("name", ["cov", "corrcoef"])
@pytest.mark.parametrize("x", COV_INPUTS.values(), ids=COV_INPUTS.keys())
def test_cov_of_plain_inputs_is_float64_as_numpys(name, x):
    # NumPy computes in result_type(m, y, float64): float16 and float32 data give float64
    assert_same_as_numpy(getattr(dnp, name)(x), _numpy(name, x))
    assert_same_as_numpy(getattr(dnp, name)(x, x), _numpy(name, x, x))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_cov_of_a_tensor_keeps_its_dtype(dtype):
    x = np.array([[1.0, 0.0, 3.0], [0.5, 0.0, 1.0]], dtype=dtype)
    got = dnp.cov(dg.tensor(x))
    assert got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), np.cov(x), rtol=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [{"ddof": 5}, {"ddof": 4}, {"bias": True, "ddof": 7}, {"aweights": np.ones(4), "ddof": 6}],
)
def test_cov_without_degrees_of_freedom_divides_by_zero_as_numpy(kwargs):
    # NumPy warns and divides by 0 (∞ or NaN); a negative divisor gave a negative variance
    x = np.array([[1.0, 2.0, 4.0, 7.0], [0.0, 0.0, 0.0, 0.0]])
    expected = _numpy("cov", x, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_same_as_numpy(dnp.cov(x, **kwargs), expected)
        np.testing.assert_array_equal(dnp.cov(dg.tensor(x), **kwargs).numpy(), expected)


@pytest.mark.parametrize("name", ["cov", "corrcoef"])
def test_cov_of_lists(name):
    m, y = [1, 2, 4], [3.0, 1.0, 1.0]
    assert_same_as_numpy(getattr(dnp, name)(m, y), _numpy(name, m, y))
    assert_same_as_numpy(getattr(dnp, name)([m, y]), _numpy(name, [m, y]))


# NumPy's ufuncs (and nan_to_num, angle, inner, interp) return a scalar for 0-d inputs;
# these composites returned a 0-d array.
SCALAR_CALLS = {
    "fmax": lambda m, x: m.fmax(x, np.nan),
    "fmin": lambda m, x: m.fmin(x, x),
    "heaviside": lambda m, x: m.heaviside(x, 0.5),
    "nan_to_num": lambda m, x: m.nan_to_num(x),
    "conj": lambda m, x: m.conj(x),
    "conjugate": lambda m, x: m.conjugate(x),
    "angle": lambda m, x: m.angle(x),
    "inner": lambda m, x: m.inner(x, x),
    "inner 1-d": lambda m, x: m.inner(np.atleast_1d(x), np.atleast_1d(x)),
    "interp": lambda m, x: m.interp(x, [0.0, 1.0], [1.0, 3.0]),
}
SCALARS = {
    "0-d float64": np.array(0.25),
    "0-d float32": np.array(-1.5, dtype=np.float32),
    "0-d int8": np.array(3, dtype=np.int8),
    "float16 scalar": np.float16(0.5),
    "bool scalar": np.bool_(True),
}


@pytest.mark.parametrize("call", SCALAR_CALLS.values(), ids=SCALAR_CALLS.keys())
@pytest.mark.parametrize("x", SCALARS.values(), ids=SCALARS.keys())
def test_zero_dimensional_inputs_give_numpys_scalars(call, x):
    try:
        expected = call(np, x)
    except TypeError:
        pytest.skip("NumPy refuses this dtype")
    assert_same_as_numpy(call(dnp, x), expected)


# transpose (and moveaxis, swapaxes, permute_dims, which call it) and squeeze returned a
# list or a Python number itself when there was nothing to move; NumPy returns an array.
SHAPE_CALLS = {
    "transpose": lambda m, x: m.transpose(x),
    "permute_dims": lambda m, x: m.permute_dims(x),
    "squeeze": lambda m, x: m.squeeze(x),
    "moveaxis": lambda m, x: m.moveaxis(x, 0, -1),
    "swapaxes": lambda m, x: m.swapaxes(x, 0, -1),
}


@pytest.mark.parametrize("call", SHAPE_CALLS.values(), ids=SHAPE_CALLS.keys())
@pytest.mark.parametrize("x", [[1.0, 2.0, 4.0], [3], 2.5, 7, True], ids=repr)
def test_shape_functions_of_lists_and_numbers_return_arrays(call, x):
    try:
        expected = call(np, x)
    except (ValueError, np.exceptions.AxisError):
        pytest.skip("NumPy refuses these axes")
    assert_same_as_numpy(call(dnp, x), expected)


@pytest.mark.parametrize("x", [2.5, np.float32(1.5), np.array(3, dtype=np.int8)], ids=repr)
def test_ascontiguousarray_of_a_zero_dimensional_tensor_is_one_dimensional(x):
    expected = np.ascontiguousarray(x)
    t = dg.tensor(np.asarray(x), requires_grad=np.asarray(x).dtype.kind == "f")
    got = dnp.ascontiguousarray(t)
    assert got.shape == expected.shape == (1,)
    np.testing.assert_array_equal(got.numpy(), expected)
    if t.requires_grad:
        got.sum().backward()
        assert t.grad is not None and t.grad.shape == ()


# polyval took a Python x (and a list of coefficients) as weak numbers, so float32
# coefficients at x = 2.0 stayed float32 and a list gave a Python float; NumPy converts
# both to arrays first (float64 here) and returns its scalar.
POLYVAL_CASES = {
    "int list at int": ([1, 2, 3], 2),
    "float list at float32 scalar": ([1.0, 2.0], np.float32(2)),
    "float32 at float": (np.array([1.0, 2.0], dtype=np.float32), 2.0),
    "float16 at 0-d": (np.array([1.0, 2.0], dtype=np.float16), np.array(0.5, np.float16)),
    "float32 at float32 array": (np.array([1, 2], np.float32), np.array([1.0, 2.0], np.float32)),
    "tuple at list": ((1, 2), [1, 2]),
    "no coefficients": ([], 2.0),
}


@pytest.mark.parametrize(("p", "x"), POLYVAL_CASES.values(), ids=POLYVAL_CASES.keys())
def test_polyval_of_plain_inputs_is_numpys(p, x):
    assert_same_as_numpy(dnp.polyval(p, x), np.polyval(p, x))


def test_polyval_of_a_float32_tensor_stays_float32():
    p = dg.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    y = dnp.polyval(p, 2.0)
    assert y.dtype == np.float32 and float(y) == 11.0
    y.backward()
    np.testing.assert_array_equal(p.grad.numpy(), [4.0, 2.0, 1.0])


# These indexed their argument directly, so a list (or a number, for flip) raised a
# TypeError or AttributeError where NumPy takes it as an array; diff of booleans raised
# where NumPy's is not_equal of neighbours.
LIST_CALLS = {
    "sort": lambda m, x: m.sort(x),
    "partition": lambda m, x: m.partition(x, 0)[:1],
    "flip": lambda m, x: m.flip(x),
    "flipud": lambda m, x: m.flipud(x),
    "diff": lambda m, x: m.diff(x),
    "array_split": lambda m, x: m.array_split(x, 2),
    "diag": lambda m, x: m.diag(x),
}
LISTS = {
    "float list": [3.0, 1.0, 2.0],
    "int list": [3, 1, 2],
    "nested list": [[3.0, 1.0], [2.0, 0.5]],
    "bool array": np.array([True, False, False, True]),
}


@pytest.mark.parametrize("call", LIST_CALLS.values(), ids=LIST_CALLS.keys())
@pytest.mark.parametrize("x", LISTS.values(), ids=LISTS.keys())
def test_lists_are_taken_as_numpy_takes_them(call, x):
    expected = call(np, x)
    got = call(dnp, x)
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same_as_numpy(g, e)
    else:
        assert_same_as_numpy(got, expected)


@pytest.mark.parametrize("x", [3, 2.5, np.float32(1.5)], ids=repr)
def test_flip_of_a_number(x):
    assert_same_as_numpy(dnp.flip(x), np.flip(x))


def test_diff_of_a_boolean_tensor_is_not_equal():
    x = np.array([[True, False, False], [True, True, False]])
    got = dnp.diff(dg.tensor(x), axis=1)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), np.diff(x, axis=1))


# dot, inner and kron of Python numbers multiplied them as Python numbers (an int, and
# True · True = 1 for booleans); NumPy's are its scalars (np.int64, np.True_).
PRODUCTS = ["dot", "inner", "kron"]


@pytest.mark.parametrize("name", PRODUCTS)
@pytest.mark.parametrize(
    ("a", "b"), [(3, 4), (2.5, -1.0), (True, True), (3, 2.5), (np.int8(3), 2)], ids=repr
)
def test_products_of_numbers_are_numpys_scalars(name, a, b):
    assert_same_as_numpy(getattr(dnp, name)(a, b), getattr(np, name)(a, b))


# tensordot reshaped with −1, which is ambiguous when a summed axis has length 0: it
# raised where NumPy's sum over nothing is 0.
EMPTY_PRODUCTS = {
    "inner of empty vectors": lambda m: m.inner(np.zeros(0), np.zeros(0)),
    "dot of empty vectors": lambda m: m.dot(np.zeros(0), np.zeros(0)),
    "tensordot over an empty axis": lambda m: m.tensordot(np.ones((2, 0)), np.ones((0, 3)), 1),
    "tensordot of empty rows": lambda m: m.tensordot(np.ones((0, 3)), np.ones((0, 3)), ([0], [0])),
    "inner of empty matrices": lambda m: m.inner(np.ones((2, 0)), np.ones((3, 0))),
}


@pytest.mark.parametrize("call", EMPTY_PRODUCTS.values(), ids=EMPTY_PRODUCTS.keys())
def test_products_over_an_empty_axis_are_zero(call):
    assert_same_as_numpy(call(dnp), call(np))


def test_gradient_of_a_product_over_an_empty_axis_is_empty():
    x = dg.tensor(np.ones((2, 0)), requires_grad=True)
    dnp.tensordot(x, np.ones((0, 3)), 1).sum().backward()
    assert x.grad is not None and x.grad.shape == (2, 0)


# heaviside of plain numbers computed in float64; NumPy's loops give float16 for int8
# and booleans and keep float16 and float32 beside a Python number.
HEAVISIDE_ARGUMENTS = [
    (3, np.float16(1.5)),
    (2.5, np.float32(-2.0)),
    (True, True),
    (np.int8(3), np.int8(0)),
    (np.array([1, -2, 0], dtype=np.int8), 0.5),
    (np.array([0.5, np.nan, 0.0], dtype=np.float32), 2),
]


@pytest.mark.parametrize(("x1", "x2"), HEAVISIDE_ARGUMENTS, ids=repr)
def test_heaviside_of_plain_inputs_has_numpys_dtype(x1, x2):
    assert_same_as_numpy(dnp.heaviside(x1, x2), np.heaviside(x1, x2))


@pytest.mark.parametrize("name", ["median", "nanmedian", "quantile"])
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_median_along_a_full_axis_of_an_empty_array_is_empty(name, wrap):
    # the slices are not empty, there are none: NumPy returns an empty array
    x = np.zeros((2, 0))
    args = (0.5,) if name == "quantile" else ()
    expected = getattr(np, name)(x, *args, axis=0)
    got = getattr(dnp, name)(wrap(x), *args, axis=0)
    got = got.numpy() if isinstance(got, dg.Tensor) else got
    assert got.shape == expected.shape == (0,) and got.dtype == expected.dtype

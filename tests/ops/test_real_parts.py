"""``real``, ``imag``, ``conj`` and ``angle`` of real inputs have NumPy's dtypes. ``imag``
of an integer or boolean array returned float64 zeros where NumPy's are of the input's
dtype, ``conj`` of a boolean a boolean where NumPy's is int8, and ``angle`` of int8 or
uint8 float64 where NumPy's is float16. Numbers, NumPy scalars and lists give NumPy's
types: ``real`` and ``conj`` of a list returned the list, ``imag`` and ``angle`` of a NumPy
scalar a 0-d array."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

ARRAYS = [
    np.array([1, -2, 0]),
    np.array([1, -2, 0], dtype=np.int32),
    np.array([1, -2, 0], dtype=np.int16),
    np.array([1, -2, 0], dtype=np.int8),
    np.array([1, 2, 0], dtype=np.uint8),
    np.array([True, False]),
    np.array([1.5, -2.0, 0.0], dtype=np.float16),
    np.array([1.5, -2.0, -0.0], dtype=np.float32),
    np.array([1.5, -2.0, 0.0]),
]
NUMBERS = [
    [1, -2],
    [1.5, -2.0],
    (1.5, -2.0),
    [True, False],
    -3,
    -2.5,
    True,
    np.int64(-2),
    np.float32(-1.5),
    np.bool_(True),
]
FUNCTIONS = {
    "real": {},
    "imag": {},
    "conj": {},
    "conjugate": {},
    "real_if_close": {},
    "angle": {},
    "angle_deg": {"deg": True},
}


def _same(got, expected):
    got = np.asarray(got.data if isinstance(got, dg.Tensor) else got)
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("x", ARRAYS + NUMBERS, ids=repr)
def test_real_parts_have_numpys_dtype(name, x):
    function, keywords = name.removesuffix("_deg"), FUNCTIONS[name]
    expected = getattr(np, function)(x, **keywords)
    _same(getattr(dnp, function)(x, **keywords), expected)
    if isinstance(x, np.ndarray):
        _same(getattr(dnp, function)(dg.tensor(x), **keywords), expected)


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("x", NUMBERS, ids=repr)
def test_real_parts_of_numbers_and_lists_have_numpys_type(name, x):
    function, keywords = name.removesuffix("_deg"), FUNCTIONS[name]
    expected = getattr(np, function)(x, **keywords)
    got = getattr(dnp, function)(x, **keywords)
    assert type(got) is type(expected)
    _same(got, expected)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_real_parts_of_a_tensor_are_tensors(name):
    function, keywords = name.removesuffix("_deg"), FUNCTIONS[name]
    got = getattr(dnp, function)(dg.tensor(np.float32(-1.5)), **keywords)
    assert isinstance(got, dg.Tensor)
    _same(got, getattr(np, function)(np.float32(-1.5), **keywords))


@pytest.mark.parametrize("x", [True, -3, 2.5])
def test_real_and_imag_of_a_python_number_are_numpys(x):
    assert type(dnp.real(x)) is type(np.real(x)) and dnp.real(x) == np.real(x)
    assert type(dnp.imag(x)) is type(np.imag(x)) and dnp.imag(x) == np.imag(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_parts_of_floats_keep_their_gradients(dtype):
    x = np.array([1.5, -2.0, 3.0], dtype=dtype)
    # d/dx Σ f(x)·x = f'(x)·x + f(x): f' is 1 for real and conj, 0 for imag and angle
    for function, expected in [
        (dnp.real, 2 * x),
        (dnp.conj, 2 * x),
        (dnp.imag, np.zeros_like(x)),
        (dnp.angle, np.angle(x)),
    ]:
        gradient = dg.grad(lambda v, f=function: dnp.sum(f(v) * v))(x)
        assert gradient.dtype == dtype
        np.testing.assert_allclose(gradient, expected, rtol=1e-6)

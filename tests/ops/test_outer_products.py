"""Matrix products with an inner dimension of one go through a numba loop that gives
np.matmul's bits (signed zeros, inf and NaN included), and only where it applies."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import kernels as fused
from deepgrad.ops import outer_products
from deepgrad.ops.linalg import _matmul_impl

pytest.importorskip("numba")

# every test twice: on the C loops (deepgrad/native_loops.c), then on numba's kernels
pytestmark = pytest.mark.usefixtures("loop_executor")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 64),
    m=st.integers(1, 64),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
    transposed=st.booleans(),
)
def test_the_loop_gives_matmuls_bits(n, m, dtype, seed, transposed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, 1)) * 10.0 ** rng.uniform(-30, 30, (n, 1))).astype(dtype)
    y = rng.standard_normal((m, 1)).astype(dtype).T if transposed else None
    y = y if y is not None else rng.standard_normal((1, m)).astype(dtype)
    x[:: max(n // 3, 1)] = -0.0
    assert outer_products.fits(x, y, None)
    out = np.empty((n, m), dtype)
    result = _matmul_impl(x, y, out=out)
    assert result is out
    assert result.tobytes() == np.matmul(x, y).tobytes()


def test_special_values_as_in_matmul():
    x = np.array([[np.inf], [0.0], [np.nan], [-0.0], [-1.0]], np.float32)
    y = np.array([[0.0, 1.0, -0.0, np.inf, -2.0]], np.float32)
    with np.errstate(invalid="ignore"):
        expected = np.matmul(x, y)
    assert outer_products.outer_matmul(x, y).tobytes() == expected.tobytes()


def test_what_the_loop_does_not_take_goes_to_matmul():
    x, y = np.ones((3, 1)), np.ones((1, 4))
    assert not outer_products.fits(x.astype(np.float32), y, None)  # mixed dtypes
    assert not outer_products.fits(np.ones((3, 1), int), np.ones((1, 4), int), None)
    assert not outer_products.fits(np.ones((2, 3, 1)), np.ones((2, 1, 4)), None)  # batched
    assert not outer_products.fits(x, y, np.empty((3, 4), np.float32))
    buffer = np.ones((3, 4))
    assert not outer_products.fits(buffer[:, :1], y, buffer)  # out over an input
    np.testing.assert_array_equal(_matmul_impl(buffer[:, :1], y, out=buffer), np.ones((3, 4)))
    with fused.disabled():
        assert not outer_products.fits(x, y, None)


def test_a_one_unit_output_layer_trains_the_same_in_eager_and_compiled_mode():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = rng.standard_normal((64, 1)).astype(np.float32)
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential([dg.layers.Dense(8, activation="tanh"), dg.layers.Dense(1)])
        model.compile("adam", "mse", jit=jit)
        model.build_for((None, 5))
        losses = [float(model.train_on_batch(x, y)) for _ in range(4)]
        results.append((losses, [w.tobytes() for w in model.get_weights()]))
    assert results[0] == results[1]


def test_gradients_through_an_outer_product():
    a = dg.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    b = np.array([[1.0, -2.0]])
    np.testing.assert_array_equal(dg.grad(lambda a: dnp.sum(a @ b))(a), np.full((3, 1), -1.0))

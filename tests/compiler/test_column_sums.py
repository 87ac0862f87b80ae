"""The plan's column sums (bias gradients) give NumPy's bits, and are used only where the
numba loop adds in NumPy's order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import kernels as fused
from deepgrad import layers, losses
from deepgrad.compiler.column_sums import column_sum

pytest.importorskip("numba")

# every test twice: on the C loops (deepgrad/native_loops.c), then on numba's kernels
pytestmark = pytest.mark.usefixtures("loop_executor")


def _spread(shape, dtype, seed):
    """Values over six orders of magnitude, so that the order of the additions shows."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 300),
    columns=st.integers(1, 300),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_column_sum_gives_numpys_bits(rows, columns, dtype, seed):
    a = _spread((rows, columns), dtype, seed)
    out = np.empty(columns, dtype)
    result = column_sum(a, out=out)
    assert result is out
    expected = np.sum(a, axis=(0,))
    assert result.dtype == expected.dtype
    assert result.tobytes() == expected.tobytes()


@pytest.mark.parametrize("shape", [(4096, 3), (3, 4096), (200, 100), (1000, 1), (1, 7)])
def test_larger_and_edge_shapes(shape):
    a = _spread(shape, np.float32, 0)
    assert column_sum(a).tobytes() == np.sum(a, axis=0).tobytes()


def test_nan_and_inf_propagate_as_in_numpy():
    a = np.ones((5, 4), np.float32)
    a[2, 0], a[3, 1], a[1, 2], a[4, 2] = np.nan, np.inf, np.inf, -np.inf
    np.testing.assert_array_equal(column_sum(a), np.sum(a, axis=0))


def test_arrays_the_loop_does_not_fit_take_numpys_sum():
    a = _spread((64, 32), np.float64, 1)
    strided = a[:, ::2]
    assert column_sum(strided).tobytes() == np.sum(strided, axis=0).tobytes()
    integers = np.arange(12).reshape(4, 3)
    np.testing.assert_array_equal(column_sum(integers), [18, 22, 26])
    empty = np.zeros((0, 3), np.float32)
    np.testing.assert_array_equal(column_sum(empty), np.zeros(3, np.float32))
    with fused.disabled():
        assert column_sum(a).tobytes() == np.sum(a, axis=0).tobytes()


def _model(jit):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(32, activation="relu"), layers.Dense(3)])
    model.compile("sgd", losses.MeanSquaredError(), jit=jit)
    model.build_for((None, 8))
    return model


def test_a_dense_nets_bias_gradients_are_column_sums_and_match_eager():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 8)).astype(np.float32)
    y = rng.standard_normal((50, 3)).astype(np.float32)
    eager, compiled = _model(False), _model(True)
    eager_losses = [float(eager.train_on_batch(x, y)) for _ in range(4)]
    compiled_losses = [float(compiled.train_on_batch(x, y)) for _ in range(4)]
    source = compiled._compiled_steps["train"].plan(x, y, None).source
    assert source.count("column_sum(") == 2, source
    assert compiled_losses == eager_losses
    for a, b in zip(eager.get_weights(), compiled.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()


def test_other_sums_stay_numpys():
    def f(x):
        return dnp.sum(dnp.sum(x * x, axis=1)) + dnp.sum(dnp.sum(x, axis=0, keepdims=True))

    compiled = dg.compile(f)
    x = _spread((20, 6), np.float64, 3)
    for _ in range(3):
        assert float(compiled(x)) == float(f(x))
    assert "column_sum(" not in compiled.plan(x).source


def test_no_column_sums_without_the_kernels():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 8)).astype(np.float32)
    y = rng.standard_normal((50, 3)).astype(np.float32)
    with fused.disabled():
        model = _model(True)
        for _ in range(3):
            model.train_on_batch(x, y)
        source = model._compiled_steps["train"].plan(x, y, None).source
    assert "column_sum(" not in source and "sum(" in source

"""The plan's fused elementwise kernels (bias + ReLU forward, ReLU backward) compute what
NumPy's separate calls compute, bit for bit, and are used only where they fit."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import kernels as fused
from deepgrad import layers, losses
from deepgrad.compiler.fusion import (
    bias_relu,
    elementwise,
    positive_part_of,
    relu_backward,
    relu_of_sum,
)

pytest.importorskip("numba")

# every test twice: on the C loops (deepgrad/native_loops.c), then on numba's kernels
pytestmark = pytest.mark.usefixtures("loop_executor")


def _arrays(dtype, shape=(64, 96), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[:4] = [np.nan, -0.0, 0.0, np.inf]  # NaN stays NaN, as in NumPy
    b = rng.standard_normal(shape[-1]).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    g.flat[5] = np.nan  # NaN × 0 is NaN: the multiply is kept, not a select
    return x, b, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["new", "into", "in place"])
def test_bias_relu_equals_add_then_maximum(dtype, where):
    x, b, _ = _arrays(dtype)
    expected = np.maximum(x + b, 0)
    if where == "new":
        result = bias_relu(x, b)
    elif where == "into":
        result = bias_relu(x, b, out=np.empty_like(x))
    else:
        result = bias_relu(x, b, out=x)
        assert result is x
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["new", "into", "over g", "over y"])
def test_relu_backward_equals_mask_multiply(dtype, where):
    x, _, g = _arrays(dtype)
    y = np.maximum(x, 0)
    expected = g * (y > 0)
    out = {"new": None, "into": np.empty_like(g), "over g": g, "over y": y}[where]
    result = relu_backward(g, y, out=out)
    if out is not None:
        assert result is out
    np.testing.assert_array_equal(result, expected)


_SPECIALS = [np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 1e-40, -1e-40, 5e-324]


def _bits(a):
    """The bits of each float, NaNs all alike: which NaN a NaN result carries is left open
    by IEEE 754 and by LLVM (free to swap x + y to y + x), and numba may differ there."""
    bits = a.view(np.uint32 if a.dtype == np.float32 else np.uint64).copy()
    bits[np.isnan(a)] = 1
    return bits


def _with_specials(dtype, shape, seed):
    """Random values, with every pair of special values (NaN, ±0, ±inf, subnormals) among
    the first elements of two arrays built with consecutive seeds."""
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    specials = np.array(_SPECIALS, dtype)
    pairs = np.array(np.meshgrid(specials, specials)).reshape(2, -1)
    a.flat[: pairs.shape[1]] = pairs[seed % 2]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rule", [relu_of_sum, positive_part_of])
@pytest.mark.parametrize(
    "where, b_shape",
    [
        *[(where, (32, 96)) for where in ("new", "into", "over a", "over b")],
        *[(where, (96,)) for where in ("new", "into", "over a")],  # b a row, broadcast
    ],
)
def test_kernels_give_the_rules_numpy_bits(dtype, rule, where, b_shape):
    """The one check the generated kernels need: on any floats, in every place the result
    can go, they give the bits NumPy gives running the rule on the arrays."""
    a = _with_specials(dtype, (32, 96), seed=0)
    b = _with_specials(dtype, (32, 96), seed=1).reshape(-1)[: np.prod(b_shape)].reshape(b_shape)
    with np.errstate(invalid="ignore"):
        expected = rule(a, b)
        out = {"new": None, "into": np.empty_like(a), "over a": a, "over b": b}[where]
        result = elementwise(rule)(a, b, out)
    assert result.dtype == dtype and (out is None or result is out)
    np.testing.assert_array_equal(_bits(result), _bits(expected))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_negative_zero_sum_gives_numpys_positive_zero(dtype):
    """Regression: the hand-written kernel kept −0 for x + b = −0 + −0, where NumPy's
    maximum(−0, 0), and so eager mode, gives +0."""
    x = np.full((64, 96), -0.0, dtype)
    b = np.full(96, -0.0, dtype)
    for out in (None, np.empty_like(x), x):
        result = bias_relu(x, b, out=out)
        assert not np.signbit(result).any()


def test_without_kernels_numpy_runs_the_rule():
    x, b, _ = _arrays(np.float32)
    with fused.disabled():
        out = np.empty_like(x)
        assert bias_relu(x, b, out=out) is out
        np.testing.assert_array_equal(_bits(out), _bits(relu_of_sum(x, b)))
        assert bias_relu(x, b, out=x) is x


def test_arrays_the_kernels_do_not_fit_are_numpys_to_refuse():
    a = np.ones((4, 8), np.float32)
    with pytest.raises(ValueError, match="broadcast"):  # not rows 0, 1, 1, 1 of b
        elementwise(relu_of_sum)(a, np.ones((2, 8), np.float32))
    mixed = elementwise(relu_of_sum)(a, np.ones(8))  # float64 b: NumPy's promotion
    assert mixed.dtype == np.float64


def test_strided_arrays_take_numpys_calls():
    x, b, g = _arrays(np.float32, (64, 192))
    y = np.maximum(x, 0)
    np.testing.assert_array_equal(bias_relu(x[:, ::2], b[::2]), np.maximum(x[:, ::2] + b[::2], 0))
    np.testing.assert_array_equal(relu_backward(g[:, ::2], y[:, ::2]), g[:, ::2] * (y[:, ::2] > 0))


def _train(jit, steps=4):
    dg.random.seed(0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 96)).astype(np.float32)  # 64 × 128 hidden: above MIN_SIZE
    y = rng.integers(0, 10, 64)
    model = dg.Sequential(
        [layers.Dense(128, activation="relu"), layers.Dense(128, "relu"), layers.Dense(10)]
    )
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    history = [float(model.train_on_batch(x, y)) for _ in range(steps)]
    return model, history, x, y


def test_a_relu_net_is_fused_and_trains_as_eager_bit_for_bit():
    eager, eager_losses, _, _ = _train(jit=False)
    model, jit_losses, x, y = _train(jit=True)
    source = model._compiled_steps["train"].plan(x, y, None).source
    assert source.count("bias_relu(") == 2 and source.count("relu_backward(") == 2
    assert "greater(" not in source and "relu(" not in source.replace("_relu(", "")
    assert jit_losses == eager_losses
    for a, b in zip(eager.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_fusion_without_the_kernels():
    with fused.disabled():
        model, _, x, y = _train(jit=True, steps=1)
        source = model._compiled_steps["train"].plan(x, y, None).source
    assert "bias_relu(" not in source and "relu_backward(" not in source
    assert "relu(" in source and "greater(" in source


def test_a_plan_made_again_once_the_kernels_run_takes_the_fused_calls():
    """What fit does when it starts the kernels midway: the plans recorded while they were
    held back are made again from their recordings (nothing recorded again), and then
    train to the bits of a model that had the kernels from the start."""
    reference, reference_losses, x, y = _train(jit=True, steps=6)
    with fused.disabled():  # as fit holds them back
        model, losses_held, _, _ = _train(jit=True, steps=3)
        compiled = model._compiled_steps["train"]
        assert "bias_relu(" not in compiled.plan(x, y, None).source
    model._replan_compiled_steps()
    source = compiled.plan(x, y, None).source
    assert source.count("bias_relu(") == 2 and source.count("relu_backward(") == 2
    losses_after = [float(model.train_on_batch(x, y)) for _ in range(3)]
    assert losses_held + losses_after == reference_losses
    for a, b in zip(reference.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_sum_read_twice_is_not_fused():
    w = dg.tensor(np.ones((96, 128), np.float32), requires_grad=True)
    b = dg.tensor(np.zeros(128, np.float32), requires_grad=True)

    def f(x):
        z = x @ w + b
        return dnp.sum(dg.activations.relu(z)) + dnp.sum(z)  # z read by relu and by sum

    compiled = dg.compile(f)
    x = np.random.default_rng(0).standard_normal((64, 96)).astype(np.float32)
    source = compiled.plan(x).source
    assert "bias_relu(" not in source
    np.testing.assert_array_equal(compiled(x), f(x).numpy())


def test_a_mask_against_an_array_is_not_fused():
    w = dg.tensor(np.ones((96, 128), np.float32), requires_grad=True)
    limits = np.zeros((64, 128), np.float32)

    def f(x):
        y = x @ w
        return dnp.sum(y * dnp.greater(y, limits))  # a mask against an array, not 0

    compiled = dg.compile(f)
    x = np.random.default_rng(0).standard_normal((64, 96)).astype(np.float32)
    for _ in range(3):
        assert float(compiled(x)) == float(f(x))
    assert "relu_backward(" not in compiled.plan(x).source

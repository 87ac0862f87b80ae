"""Activations: values and gradients against PyTorch, stability at ±1000, the kinks,
and higher derivatives from the engine."""

import functools

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import activations as A

torch = pytest.importorskip("torch")
F = torch.nn.functional

PAIRS = {
    "sigmoid": (A.sigmoid, torch.sigmoid),
    "tanh": (A.tanh, torch.tanh),
    "hard_sigmoid": (A.hard_sigmoid, F.hardsigmoid),
    "hard_tanh": (A.hard_tanh, F.hardtanh),
    "softsign": (A.softsign, F.softsign),
    "softplus": (A.softplus, F.softplus),
    "relu": (A.relu, F.relu),
    "relu6": (A.relu6, F.relu6),
    "leaky_relu": (A.leaky_relu, lambda x: F.leaky_relu(x, 0.2)),
    "elu": (A.elu, F.elu),
    "selu": (A.selu, F.selu),
    "celu": (lambda x: A.celu(x, 0.7), lambda x: F.celu(x, 0.7)),
    "gelu": (A.gelu, F.gelu),
    "gelu_tanh": (lambda x: A.gelu(x, approximate=True), lambda x: F.gelu(x, approximate="tanh")),
    "silu": (A.silu, F.silu),
    "hard_silu": (A.hard_silu, F.hardswish),
    "mish": (A.mish, F.mish),
    "log_sigmoid": (A.log_sigmoid, F.logsigmoid),
    "softmax": (A.softmax, lambda x: F.softmax(x, dim=-1)),
    "log_softmax": (A.log_softmax, lambda x: F.log_softmax(x, dim=-1)),
    "exponential": (A.exponential, torch.exp),
}

# Includes the kinks (0, ±1, 6, -3, 3) where finite differences cannot check the derivative.
POINTS = np.array([[-1000.0, -7.0, -3.0, -1.0, -0.3, 0.0], [0.2, 1.0, 3.0, 6.0, 9.0, 1000.0]])


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_matches_torch_including_kinks_and_extremes(name):
    ours, theirs = PAIRS[name]
    points = POINTS if name != "exponential" else POINTS.clip(-50, 50)
    t = torch.tensor(points, requires_grad=True)
    expected = theirs(t)
    weights = np.random.default_rng(0).standard_normal(points.shape)
    (expected * torch.tensor(weights)).sum().backward()
    grad = dg.grad(lambda x: dnp.sum(ours(x) * weights))(points)
    actual = ours(points)
    assert np.all(np.isfinite(actual)) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(actual, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    # PyTorch's hard sigmoid uses a single-precision 1/6 for its slope, and its CELU a
    # single-precision 1/α, even in float64 (checked: deepgrad's CELU' is exact to 1e-16).
    rtol = 1e-7 if name in ("hard_sigmoid", "hard_silu", "celu") else 1e-9
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=rtol, atol=1e-12)


def _callable(name):
    """The activation by name, given the arguments it cannot do without (threshold's)."""
    if name == "threshold":
        return functools.partial(A.threshold, threshold=0.5, default_value=-3.0)
    return A.get(name)


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_second_derivatives_away_from_kinks(name):
    x = np.array([-3.4, -2.3, -0.7, 0.4, 1.9, 4.2])  # even: glu halves it
    dg.check_grads(_callable(name), (x,), order=2)


def test_float32_stays_float32_and_finite():
    x = dg.tensor([-1000.0, 0.0, 2.0, 1000.0], requires_grad=True)
    for name in A.ACTIVATIONS:
        if name == "exponential":
            continue
        y = _callable(name)(x)
        assert y.dtype == np.float32, name
        x.grad = None
        y.sum().backward()
        assert x.grad is not None and np.all(np.isfinite(x.grad.numpy())), name


def test_get_by_name_and_errors():
    assert A.get("swish") is A.silu and A.get(None) is A.linear
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        A.get("nope")


def test_celu_refuses_alpha_zero_as_pytorch_does():
    # It gave ReLU's values with a NaN at 0 and NaN gradients; Keras 3.15 gives NaN for
    # x > 0, and PyTorch raises.
    x = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match=r"celu: alpha must be nonzero.*alpha=0"):
        A.celu(x.numpy(), alpha=0.0)
    np.testing.assert_allclose(A.celu(x.numpy(), alpha=-0.5), F.celu(x, -0.5).numpy())


# keras.activations.gelu (exact) and its derivative (jax.grad), Keras 3.15 on JAX, float32.
GELU_TAIL = np.array([-3.0, -5.0, -6.0, -8.0, -10.0])
KERAS_GELU_TAIL = [-4.0496960e-03, -1.4332579e-06, -5.9195377e-09, -4.9767772e-15, -7.6198530e-23]
KERAS_GELU_TAIL_GRAD = [
    -1.1945652e-02,
    -7.1469467e-06,
    -3.5468780e-08,
    -3.9796149e-14,
    -7.6184001e-22,
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_gelu_is_accurate_in_the_negative_tail_as_keras(dtype):
    # ½x(1 + erf(x/√2)) cancelled: 0 from x ≈ −5.9 in float32 (PyTorch's float32 gelu
    # does too), and −1.49e-6 at −5 where Keras gives −1.43e-6.
    x = GELU_TAIL.astype(dtype)
    value = A.gelu(x)
    derivative = dg.elementwise_grad(A.gelu)(x)
    assert value.dtype == derivative.dtype == dtype
    np.testing.assert_allclose(value, KERAS_GELU_TAIL, rtol=1e-5)
    np.testing.assert_allclose(derivative, KERAS_GELU_TAIL_GRAD, rtol=1e-5)

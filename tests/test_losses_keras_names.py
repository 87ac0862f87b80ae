"""Keras 3's other losses: squared and categorical hinge, mean squared logarithmic error,
mean absolute percentage error and cosine similarity. Values against Keras on JAX (the
definitions), gradients against PyTorch's autograd of the same formula and against
central differences to second order in float64."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses

torch = pytest.importorskip("torch")
rng = np.random.default_rng(7)
N, K = 6, 4
signs = np.where(rng.uniform(size=(N, K)) > 0.5, 1.0, 0.0)
one_hot = np.eye(K)[rng.integers(0, K, N)]
scores = rng.normal(size=(N, K))
positive = rng.uniform(0.2, 3.0, (N, K))
targets = rng.uniform(0.5, 2.0, (N, K)) * np.where(rng.uniform(size=(N, K)) > 0.5, 1, -1)
weights = rng.uniform(0.2, 2.0, N)
EPS = 1e-7


def _torch_unit(x):
    return x / torch.sqrt(torch.clamp((x * x).sum(-1, keepdim=True), min=1e-12))


CASES = {
    "SquaredHinge": (
        signs,
        scores,
        lambda y, p: torch.clamp(1 - (2 * y - 1) * p, min=0).pow(2).mean(-1),
    ),
    "CategoricalHinge": (
        one_hot,
        scores,
        lambda y, p: torch.clamp(((1 - y) * p).max(-1).values - (y * p).sum(-1) + 1, min=0),
    ),
    "MeanSquaredLogarithmicError": (
        positive[::-1].copy(),
        positive,
        lambda y, p: (
            (torch.log1p(torch.clamp(p, min=EPS)) - torch.log1p(torch.clamp(y, min=EPS))) ** 2
        ).mean(-1),
    ),
    "MeanAbsolutePercentageError": (
        targets,
        scores,
        lambda y, p: 100 * ((y - p).abs() / torch.clamp(y.abs(), min=EPS)).mean(-1),
    ),
    "CosineSimilarity": (
        targets,
        scores,
        lambda y, p: -(_torch_unit(y) * _torch_unit(p)).sum(-1),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_match_torch(name):
    y_true, y_pred, per_sample = CASES[name]
    p = torch.tensor(y_pred, requires_grad=True)
    expected = (per_sample(torch.tensor(y_true), p) * torch.tensor(weights)).mean()
    expected.backward()
    loss = getattr(losses, name)()
    value, grad = dg.value_and_grad(lambda q: loss(y_true, q, sample_weight=weights))(y_pred)
    assert float(value) == pytest.approx(expected.item(), rel=1e-10)
    np.testing.assert_allclose(grad, p.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_order_central_differences(name):
    y_true, y_pred, _ = CASES[name]
    loss = getattr(losses, name)()
    dg.check_grads(lambda q: loss(y_true, q), (y_pred,), order=2, modes=("rev", "fwd"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_keras(name):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    y_true, y_pred, _ = CASES[name]
    y_true, y_pred = y_true.astype(np.float32), y_pred.astype(np.float32)
    expected = getattr(keras.losses, name)()(y_true, y_pred, sample_weight=weights)
    got = getattr(losses, name)()(y_true, y_pred, sample_weight=weights.astype(np.float32))
    assert float(got) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize(
    ("string", "name"),
    [
        ("squared_hinge", "SquaredHinge"),
        ("categorical_hinge", "CategoricalHinge"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("cosine_similarity", "CosineSimilarity"),
    ],
)
def test_by_name_and_saved(string, name):
    loss = losses.get(string)
    assert type(loss).__name__ == name
    assert type(losses.get(losses.serialize(loss))) is type(loss)

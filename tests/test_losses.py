"""Losses: values and gradients against PyTorch, reductions, sample weights, and the
likelihoods they are the negative logs of."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import losses
from deepgrad import numpy as dnp

torch = pytest.importorskip("torch")
F = torch.nn.functional
rng = np.random.default_rng(0)

N, K = 6, 4
logits = rng.standard_normal((N, K)) * 3
probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
labels = rng.integers(0, K, N)
one_hot = np.eye(K)[labels]
targets = rng.standard_normal((N, K))
binary = (rng.uniform(size=(N, 1)) > 0.5).astype(float)
binary_logits = rng.standard_normal((N, 1)) * 4
counts = rng.poisson(2.0, (N, K)).astype(float)
rates = rng.uniform(0.5, 3, (N, K))

CASES = {
    "mse": (losses.MeanSquaredError(), targets, logits, lambda y, p: F.mse_loss(p, y)),
    "mae": (losses.MeanAbsoluteError(), targets, logits, lambda y, p: F.l1_loss(p, y)),
    "huber": (losses.Huber(1.5), targets, logits, lambda y, p: F.huber_loss(p, y, delta=1.5)),
    "bce_logits": (
        losses.BinaryCrossentropy(from_logits=True),
        binary,
        binary_logits,
        lambda y, p: F.binary_cross_entropy_with_logits(p, y),
    ),
    "bce_probs": (
        losses.BinaryCrossentropy(),
        binary,
        1 / (1 + np.exp(-binary_logits)),
        lambda y, p: F.binary_cross_entropy(p, y),
    ),
    "cce_logits": (
        losses.CategoricalCrossentropy(from_logits=True),
        one_hot,
        logits,
        lambda y, p: F.cross_entropy(p, y),
    ),
    "cce_smoothing": (
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        one_hot,
        logits,
        lambda y, p: F.cross_entropy(p, y.argmax(-1), label_smoothing=0.1),
    ),
    "cce_probs": (
        losses.CategoricalCrossentropy(),
        one_hot,
        probs,
        # Probabilities are renormalised to sum to 1 first, as Keras does.
        lambda y, p: -(y * torch.log(p / p.sum(-1, keepdim=True))).sum(-1).mean(),
    ),
    "sparse_logits": (
        losses.SparseCategoricalCrossentropy(from_logits=True),
        labels,
        logits,
        lambda y, p: F.cross_entropy(p, y),
    ),
    "sparse_probs": (
        losses.SparseCategoricalCrossentropy(),
        labels,
        probs,
        lambda y, p: F.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), y),
    ),
    "poisson": (
        losses.Poisson(),
        counts,
        rates,
        lambda y, p: F.poisson_nll_loss(p, y, log_input=False, eps=1e-7),
    ),
    "kl": (
        losses.KLDivergence(),
        probs[::-1].copy(),
        probs,
        lambda y, p: F.kl_div(torch.log(p), y, reduction="sum") / len(y),
    ),
    "gaussian_fixed": (
        losses.GaussianNLL(sigma=0.5),
        targets,
        logits,
        lambda y, p: F.gaussian_nll_loss(p, y, torch.full_like(p, 0.25), full=True),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    loss, y_true, y_pred, reference = CASES[name]
    pt = torch.tensor(y_pred, requires_grad=True)
    yt = torch.tensor(y_true)
    expected = reference(yt, pt)
    expected.backward()
    value, grad = dg.value_and_grad(lambda p: loss(y_true, p))(y_pred)
    assert float(value) == pytest.approx(expected.item(), rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=1e-5, atol=1e-9)


def test_reductions_and_sample_weight():
    y, p = targets, logits
    per_sample = losses.MeanSquaredError(reduction="none")(y, p)
    assert per_sample.shape == (N,)
    total = losses.MeanSquaredError(reduction="sum")(y, p)
    assert float(total) == pytest.approx(float(per_sample.sum()))
    w = rng.uniform(size=N)
    weighted = losses.MeanSquaredError()(y, p, sample_weight=w)
    assert float(weighted) == pytest.approx(float((per_sample * w).sum() / N))
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


@pytest.mark.parametrize("weight", [2.0, 2, np.float32(2), np.array(2.0), np.array([2.0])])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_one_sample_weight_weighs_every_sample(weight, reduction):
    # Keras 3 broadcasts a number (or an array of one) over the samples: MeanSquaredError()
    # of [[1], [2], [3]] against [[1.5], [2], [2]] with weight 2 is 0.8333, sum 2.5, and
    # none [0.5, 0, 2]
    y, p = np.array([[1.0], [2.0], [3.0]]), np.array([[1.5], [2.0], [2.0]])
    loss = losses.MeanSquaredError(reduction=reduction)
    expected = {"mean": 0.5 / 0.6, "sum": 2.5, "none": [0.5, 0.0, 2.0]}[reduction]
    np.testing.assert_allclose(loss(y, p, sample_weight=weight), expected)
    grad = dg.grad(lambda q: dnp.sum(loss(y, q, sample_weight=weight)))(p)
    every = dg.grad(lambda q: dnp.sum(loss(y, q, sample_weight=np.full(3, 2.0))))(p)
    np.testing.assert_array_equal(grad, every)


def test_logits_are_stable():
    huge = np.array([[1000.0, -1000.0, 0.0]])
    value = losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([1]), huge)
    assert float(value) == pytest.approx(2000.0)
    g = dg.grad(lambda z: losses.BinaryCrossentropy(from_logits=True)(np.ones((1, 1)), z))(
        np.array([[-1000.0]])
    )
    assert np.isfinite(g).all() and float(g[0, 0]) == pytest.approx(-1.0)


def test_gaussian_nll_is_the_negative_log_density():
    y, mu, sigma = 1.3, 0.4, 0.7
    expected = -math.log(
        math.exp(-((y - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    )
    assert float(
        losses.GaussianNLL(sigma=sigma)(np.array([[y]]), np.array([[mu]]))
    ) == pytest.approx(expected)
    learned = losses.GaussianNLL()
    assert learned.sigma == 1.0 and len(learned.trainable_weights) == 1
    hetero = losses.GaussianNLL(sigma=None)
    value = hetero(np.array([[y]]), np.array([[mu, math.log(sigma)]]))
    assert float(value) == pytest.approx(expected, rel=1e-6)


def test_hinge_and_log_cosh():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.3], [-2.0]])
    assert float(losses.Hinge()(y, p)) == pytest.approx((0.7 + 0.0) / 2)
    e = np.array([[0.5, -30.0]])
    assert float(losses.LogCosh()(np.zeros((1, 2)), e)) == pytest.approx(
        np.mean([np.log(np.cosh(0.5)), 30 - np.log(2)])
    )


def test_shape_errors_name_the_loss():
    with pytest.raises(
        ValueError, match=r"MeanSquaredError: y_true has shape \(3,\) but y_pred has shape \(3, 2\)"
    ):
        losses.MeanSquaredError()(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"integers in \[0, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.array([5]), np.full((1, 4), 0.25))
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("nope")


@pytest.mark.parametrize(
    "loss, expected",
    [
        (losses.MeanSquaredError(), True),
        (losses.MeanSquaredError(reduction="sum_over_batch_size"), True),
        (losses.MeanSquaredError(reduction="sum"), False),
        (losses.MeanSquaredError(reduction=None), False),
        (losses.MeanSquaredError(reduction="mean_with_sample_weight"), False),
        (losses.SparseCategoricalCrossentropy(), True),
        (losses.SparseCategoricalCrossentropy(ignore_class=0), False),
        (losses.Dice(), False),  # one loss for the whole batch
        (losses.Dice(axis=(1,)), True),
        (losses.Tversky(axis=(0, 1)), False),
        (losses.Circle(), False),  # each sample's loss compares it with the others
        (losses.get(lambda y, p: (y - p) ** 2), True),
        (losses.OutputLosses({"a": "mse", "b": "mae"}, ["a", "b"]), True),
        (losses.OutputLosses({"a": "mse", "b": losses.Dice()}, ["a", "b"]), False),
    ],
)
def test_per_sample_mean_says_whether_parts_of_a_batch_combine_by_their_shares(loss, expected):
    """What data-parallel fit checks: a batch's loss equals its parts' weighted by size."""
    assert loss.per_sample_mean is expected

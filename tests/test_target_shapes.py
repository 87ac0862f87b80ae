"""Targets one trailing axis of length 1 away from the predictions ((n,) against (n, 1)),
and sample weights that do not fit the batch. ``KLDivergence`` and
``CategoricalCrossentropy`` multiplied y of shape (n,) with ŷ of shape (n, 1) as they were,
which broadcasts to (n, n): a plausible number, twice Keras' in one check. A metric given
fewer weights than samples averaged the values in groups (4 weights for 8 samples: pairs)."""

import numpy as np
import pytest

from deepgrad import losses, metrics

RNG = np.random.default_rng(0)
Y = RNG.uniform(0.1, 0.9, 6).astype(np.float32)
P = RNG.uniform(0.1, 0.9, 6).astype(np.float32)
W = RNG.uniform(0.5, 2.0, 6).astype(np.float32)

ELEMENTWISE = [
    losses.MeanSquaredError,
    losses.MeanAbsoluteError,
    losses.Huber,
    losses.LogCosh,
    losses.BinaryCrossentropy,
    losses.Poisson,
    losses.KLDivergence,
    losses.CategoricalCrossentropy,
]


@pytest.mark.parametrize("loss", ELEMENTWISE, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("y", "p"),
    [(Y, P[:, None]), (Y[:, None], P[:, None])],
    ids=["(n,) against (n, 1)", "(n, 1) against (n, 1)"],
)
def test_a_column_of_predictions_is_one_value_per_sample(loss, y, p):
    expected = float(loss()(Y[:, None], P[:, None], sample_weight=W))
    assert float(loss()(y, p, sample_weight=W)) == pytest.approx(expected, rel=1e-6)
    per_sample = np.asarray(loss(reduction="none")(y, p))
    assert per_sample.shape == (6,)


@pytest.mark.parametrize("loss", [losses.MeanSquaredError, losses.BinaryCrossentropy])
def test_a_column_of_targets_against_a_vector_of_predictions(loss):
    expected = float(loss()(Y, P, sample_weight=W))
    assert float(loss()(Y[:, None], P, sample_weight=W)) == pytest.approx(expected, rel=1e-6)


def test_kl_divergence_of_a_column_matches_the_formula():
    expected = np.average(Y * np.log(Y / P), weights=W) * W.sum() / W.size
    got = float(losses.KLDivergence()(Y, P[:, None], sample_weight=W))
    assert got == pytest.approx(expected, rel=1e-5)


def test_a_loss_refuses_weights_that_are_not_one_per_sample():
    with pytest.raises(ValueError, match=r"KLDivergence: sample_weight has shape \(6,\)"):
        losses.KLDivergence()(Y, P, sample_weight=W)  # 1-D: one distribution, one value
    with pytest.raises(ValueError, match="MeanSquaredError: sample_weight has shape"):
        losses.MeanSquaredError()(Y, P, sample_weight=W[:3])


@pytest.mark.parametrize(
    "metric", [metrics.MeanSquaredError, metrics.BinaryAccuracy, metrics.MeanAbsoluteError]
)
def test_a_metric_refuses_fewer_weights_than_samples(metric):
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        metric().update_state((Y > 0.5).astype(np.float32), P, sample_weight=W[:3])


def test_a_metric_takes_a_weight_per_sample_or_per_value():
    y, p = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    per_sample = metrics.MeanSquaredError()
    per_sample.update_state(y, p, sample_weight=W)
    expected = np.average(((y - p) ** 2).mean(axis=1), weights=W)
    assert per_sample.result() == pytest.approx(expected)
    per_value = metrics.MeanSquaredError()
    per_value.update_state(y, p, sample_weight=np.ones((6, 2)))
    assert per_value.result() == pytest.approx(((y - p) ** 2).mean())


def test_cosine_similarity_of_two_vectors():
    metric = metrics.CosineSimilarity()
    metric.update_state(Y, P)
    assert metric.result() == pytest.approx(Y @ P / np.linalg.norm(Y) / np.linalg.norm(P))

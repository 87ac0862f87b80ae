"""Keras 3's ``keras.random`` draws in ``deepgrad.random``: truncated_normal, dropout, gamma,
beta, binomial, categorical and SeedGenerator. The generators are NumPy's, not JAX's, so
the checks are on distributions (moments, bounds, KS tests) and seed semantics."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import random

stats = pytest.importorskip("scipy.stats")

N = 20000


def test_truncated_normal_redraws_beyond_two_standard_deviations():
    x = random.truncated_normal((N,), mean=1.0, stddev=0.5, seed=0)
    assert x.dtype == np.float32 and x.shape == (N,)
    assert np.abs(x - 1.0).max() <= 1.0  # within 2 stddev, none clipped to the bound
    assert np.abs(x - 1.0).max() > 0.99
    law = stats.truncnorm(-2, 2, loc=1.0, scale=0.5)
    assert stats.kstest(x, law.cdf).pvalue > 0.01
    assert x.std() == pytest.approx(0.5 * 0.8796256610342398, rel=0.02)
    assert random.truncated_normal((2, 3), dtype="float64").dtype == np.float64


def test_gamma_beta_binomial_follow_their_laws():
    g = random.gamma((N,), alpha=3.0, seed=1)
    assert g.dtype == np.float32 and stats.kstest(g, stats.gamma(3.0).cdf).pvalue > 0.01
    b = random.beta((N,), alpha=2.0, beta=5.0, seed=2)
    assert stats.kstest(b, stats.beta(2.0, 5.0).cdf).pvalue > 0.01
    assert 0 <= b.min() and b.max() <= 1
    n = random.binomial((N,), counts=10, probabilities=0.3, seed=3)
    assert n.dtype == np.float32  # Keras draws binomial counts in floatx
    assert set(np.unique(n)) <= set(range(11))
    assert n.mean() == pytest.approx(3.0, rel=0.02) and n.var() == pytest.approx(2.1, rel=0.05)


def test_parameters_broadcast_against_the_shape():
    b = random.binomial((N, 2), counts=[4, 8], probabilities=[0.5, 0.25], seed=4)
    np.testing.assert_allclose(b.mean(axis=0), [2.0, 2.0], rtol=0.03)
    g = random.gamma((N, 2), alpha=[1.0, 9.0], seed=5)
    np.testing.assert_allclose(g.mean(axis=0), [1.0, 9.0], rtol=0.03)


def test_moments_agree_with_keras_run_here():
    keras = pytest.importorskip("keras")
    pairs = [
        (random.gamma((N,), 2.5, seed=1), keras.random.gamma((N,), 2.5, seed=1)),
        (random.beta((N,), 0.5, 0.5, seed=1), keras.random.beta((N,), 0.5, 0.5, seed=1)),
        (random.truncated_normal((N,), seed=1), keras.random.truncated_normal((N,), seed=1)),
    ]
    for ours, theirs in pairs:
        theirs = np.asarray(theirs)
        assert ours.dtype == theirs.dtype
        assert stats.ks_2samp(ours, theirs).pvalue > 0.001


def test_categorical_takes_logits_and_returns_batch_by_samples_int32():
    logits = np.log([[0.2, 0.3, 0.5], [0.9, 0.05, 0.05]])
    draws = random.categorical(logits, 30000, seed=0)
    assert draws.shape == (2, 30000) and draws.dtype == np.int32
    frequencies = [np.bincount(row, minlength=3) / 30000 for row in draws]
    np.testing.assert_allclose(frequencies, np.exp(logits), atol=0.01)
    shifted = random.categorical(logits + 7.0, 5, seed=0)  # logits, not probabilities
    np.testing.assert_array_equal(shifted, random.categorical(logits, 5, seed=0))
    assert random.categorical(logits, 2, dtype="int64").dtype == np.int64
    masked = random.categorical([[-np.inf, 0.0, -np.inf]], 50, seed=1)
    assert (masked == 1).all()


def test_dropout_scales_the_kept_elements_and_follows_noise_shape():
    x = np.arange(1, 20001, dtype=np.float32).reshape(1000, 20)
    y = random.dropout(x, 0.3, seed=0)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
    assert y.dtype == np.float32
    rows = random.dropout(x, 0.5, noise_shape=(None, 1), seed=0)
    assert ((rows == 0).all(axis=1) | (rows == 2 * x).all(axis=1)).all()
    np.testing.assert_array_equal(random.dropout(x, 0.0), x)
    np.testing.assert_array_equal(random.dropout(x, 1.0), np.zeros_like(x))


def test_dropout_of_a_tensor_passes_the_gradient_through_the_kept_elements():
    x = dg.tensor(np.ones((4, 5), np.float32), requires_grad=True)
    y = random.dropout(x, 0.5, seed=3)
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(y.data))


def test_an_int_seed_repeats_a_seed_generator_moves_none_follows_the_global_seed():
    for draw in [
        lambda seed: random.truncated_normal((5,), seed=seed),
        lambda seed: random.gamma((5,), 2.0, seed=seed),
        lambda seed: random.beta((5,), 2.0, 2.0, seed=seed),
        lambda seed: random.binomial((5,), 20, 0.5, seed=seed),
        lambda seed: random.categorical(np.zeros((1, 9)), 5, seed=seed),
        lambda seed: random.dropout(np.ones(20, np.float32), 0.5, seed=seed),
    ]:
        np.testing.assert_array_equal(draw(7), draw(7))
        generator = random.SeedGenerator(7)
        first, second = draw(generator), draw(generator)
        assert not np.array_equal(first, second)
        replay = random.SeedGenerator(7)
        np.testing.assert_array_equal(draw(replay), first)
        dg.random.seed(0)
        unseeded = draw(None), draw(None)
        assert not np.array_equal(*unseeded)
        dg.random.seed(0)
        np.testing.assert_array_equal(draw(None), unseeded[0])


def test_a_seed_generator_leaves_the_global_stream_alone_and_has_keras_config():
    dg.random.seed(0)
    expected = random.normal(size=3)
    dg.random.seed(0)
    random.truncated_normal((100,), seed=random.SeedGenerator(1))
    np.testing.assert_array_equal(random.normal(size=3), expected)
    generator = random.SeedGenerator(5, name="mine")
    assert generator.get_config() == {"seed": 5, "name": "mine"}
    assert random.SeedGenerator.from_config(generator.get_config()).get_config()["seed"] == 5
    dg.random.seed(2)
    a = random.gamma((3,), 1.0, seed=random.SeedGenerator())
    dg.random.seed(2)
    np.testing.assert_array_equal(random.gamma((3,), 1.0, seed=random.SeedGenerator()), a)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: random.gamma((2,), 1.0, seed=1.5), "gamma: seed must be None, an integer"),
        (lambda: random.beta((2,), 1.0, 1.0, seed="3"), "beta: seed must be"),
        (lambda: random.SeedGenerator(2.0), "SeedGenerator: seed must be an integer"),  # pyright: ignore[reportArgumentType]
        (lambda: random.gamma((2,), 0.0), "gamma: alpha must be > 0"),
        (lambda: random.beta((2,), 1.0, [1.0, -1.0]), "beta: beta must be > 0"),
        (lambda: random.binomial((2,), 5.5, 0.5), "binomial: counts must be whole"),
        (lambda: random.binomial((2,), 5, 1.5), "binomial: probabilities must be in"),
        (lambda: random.gamma((2,), 1.0, dtype="int32"), "gamma: dtype must be a float"),
        (lambda: random.truncated_normal((2,), dtype="int32"), "truncated_normal: dtype"),
        (lambda: random.categorical(np.zeros(3), 2), "logits must be 2-D .*\\(3,\\)"),
        (lambda: random.categorical([[np.nan, 0.0]], 2), "categorical: logits must hold"),
        (lambda: random.categorical([[-np.inf, -np.inf]], 2), "categorical: logits must"),
        (lambda: random.categorical(np.zeros((1, 3)), 2.0), "num_samples must be an integer"),  # pyright: ignore[reportArgumentType]
        (lambda: random.dropout(np.ones(3), 1.5), "dropout: rate must be in \\[0, 1\\]"),
        (lambda: random.dropout(np.ones((2, 3)), 0.5, (2,)), "noise_shape \\(2,\\) has 1"),
        (lambda: random.dropout(np.ones((2, 3)), 0.5, (2, 2)), "does not broadcast"),
    ],
)
def test_bad_arguments_are_refused_naming_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- normal and uniform: NumPy's signature, and Keras 3's keywords ---------------------------


@pytest.mark.parametrize("function", [dg.random.normal, dg.random.uniform])
@pytest.mark.parametrize("shape", [(3, 2), [3, 2], (4,)])
def test_a_shape_as_the_first_argument_is_refused(function, shape):
    """``keras.random.normal((3, 2))`` is a 3 × 2 array; NumPy's reading, which deepgrad
    followed, gave two draws of means 3 and 2 (shape (2,)): a plausible wrong answer."""
    with pytest.raises(TypeError, match=r"not a shape .* size=.* shape="):
        function(shape)


def test_keras_keywords_draw_as_keras_describes():
    draws = dg.random.normal(shape=(4000, 2), mean=5.0, stddev=0.5, seed=3)
    assert draws.shape == (4000, 2) and draws.dtype == np.float32
    assert abs(draws.mean() - 5.0) < 0.05 and abs(draws.std() - 0.5) < 0.05
    assert np.array_equal(draws, dg.random.normal(shape=(4000, 2), mean=5.0, stddev=0.5, seed=3))
    values = dg.random.uniform(shape=[3000], minval=-2.0, maxval=-1.0, dtype="float64", seed=1)
    assert values.shape == (3000,) and values.dtype == np.float64
    assert values.min() >= -2.0 and values.max() < -1.0 and abs(values.mean() + 1.5) < 0.05


def test_numpy_forms_are_unchanged():
    dg.random.seed(0)
    a = dg.random.normal(1.0, 2.0, (2, 3))
    dg.random.seed(0)
    b = np.random.default_rng(0).normal(1.0, 2.0, (2, 3)).astype(np.float32)
    assert np.array_equal(a, b)
    assert dg.random.normal([0.0, 10.0]).shape == (2,)  # a list of floats is NumPy's loc
    assert dg.random.uniform(0.0, 1.0, 5).shape == (5,)


@pytest.mark.parametrize(
    "call",
    [
        lambda: dg.random.normal(1.0, mean=2.0),
        lambda: dg.random.normal(scale=3.0, stddev=2.0),
        lambda: dg.random.uniform(low=-1.0, minval=0.0),
        lambda: dg.random.uniform(size=(2,), shape=(2,)),
    ],
)
def test_a_numpy_and_a_keras_name_for_one_argument_are_refused(call):
    with pytest.raises(TypeError, match="give one"):
        call()

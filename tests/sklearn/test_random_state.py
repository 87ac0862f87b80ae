"""An estimator's random_state seeds generators of its own, as scikit-learn's do: it
neither reseeds nor moves deepgrad's global stream, and partial_fit carries its own on."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.sklearn import MLPClassifier, MLPRegressor


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    return X, (X[:, 0] > 0).astype(int)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: not converged
        return estimator.fit(X, y)


@pytest.mark.parametrize("make", [MLPClassifier, MLPRegressor])
def test_a_seeded_fit_leaves_the_global_stream_where_it_was(data, make):
    X, y = data
    dg.random.seed(5)
    expected = dg.random.normal(size=4)
    dg.random.seed(5)
    _fit(make((8,), max_iter=3, random_state=0), X, y)
    np.testing.assert_array_equal(dg.random.normal(size=4), expected)


def test_the_same_random_state_gives_the_same_model_whatever_the_global_stream(data):
    X, y = data
    dg.random.seed(1)
    first = _fit(MLPClassifier((8,), max_iter=3, random_state=0), X, y).predict_proba(X)
    dg.random.seed(2)
    second = _fit(MLPClassifier((8,), max_iter=3, random_state=0), X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_partial_fit_carries_its_own_stream_on(data):
    X, y = data
    runs = []
    for global_seed in (1, 2):
        dg.random.seed(global_seed)
        estimator = MLPClassifier((8,), random_state=0, shuffle=True)
        for _ in range(3):
            estimator.partial_fit(X, y, classes=[0, 1])
            dg.random.normal(size=3)  # the user's own draws between calls change nothing
        runs.append(estimator.predict_proba(X))
    np.testing.assert_array_equal(runs[0], runs[1])

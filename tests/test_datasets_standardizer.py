"""datasets.Standardizer against scikit-learn's StandardScaler: NaN left out of fit,
near-constant features, and features of another shape refused."""

import re

import numpy as np
import pytest

from deepgrad import datasets

# a feature with a missing value, one all missing, a constant one and one whose variance
# is rounding error
X = np.array(
    [
        [1.0, np.nan, 5.0, 1e-10],
        [np.nan, np.nan, 5.0, 1e-10 + 1e-25],
        [4.0, np.nan, 5.0, 1e-10],
        [6.0, np.nan, 5.0, 1e-10],
    ]
)
# StandardScaler().fit(X), scikit-learn 1.9.1
SKLEARN_MEAN = [3.6666666666666665, np.nan, 5.0, 1e-10]
SKLEARN_SCALE = [2.0548046676563256, np.nan, 1.0, 1.0]
# StandardScaler().fit(X).transform([[2.0, 3.0, 6.0, 1e-10]])
SKLEARN_TRANSFORMED = [-0.811107106, np.nan, 1.0, -2.58493941e-26]


def test_fit_leaves_nan_out_and_near_constant_features_unscaled_as_scikit_learn():
    # deepgrad's mean was NaN for the first feature (every value of it became NaN) and
    # the last feature was divided by 1.4e-26, giving [-0.52, 1.57, -0.52, -0.52]
    scaler = datasets.Standardizer().fit(X)
    assert scaler.mean is not None and scaler.scale is not None
    np.testing.assert_allclose(scaler.mean, SKLEARN_MEAN, rtol=1e-12)
    np.testing.assert_allclose(scaler.scale, SKLEARN_SCALE, rtol=1e-12)
    z = scaler.transform(np.array([[2.0, 3.0, 6.0, 1e-10]]))
    np.testing.assert_allclose(z[0], SKLEARN_TRANSFORMED, rtol=1e-6, atol=1e-30)
    assert np.isnan(scaler.transform(X)[1, 0])  # a missing value stays missing


def test_against_scikit_learn():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4)) * [1.0, 10.0, 1e-3, 1.0] + [0.0, 5.0, 1e6, 3.0]
    x[:, 3] = 3.0
    x[rng.random(x.shape) < 0.2] = np.nan
    for data in (x, X):
        ours, theirs = datasets.Standardizer().fit(data), preprocessing.StandardScaler().fit(data)
        assert ours.scale is not None
        np.testing.assert_allclose(ours.scale, theirs.scale_, rtol=1e-10)
        np.testing.assert_allclose(
            ours.transform(data), theirs.transform(data), rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_features_of_another_shape_are_refused(method):
    scaler = datasets.Standardizer().fit(np.arange(12.0).reshape(4, 3))
    # one column was broadcast against the three means: a (4, 3) result from (4, 1)
    message = re.escape("features of shape (1,), but the Standardizer was fitted on")
    with pytest.raises(ValueError, match=f"Standardizer.{method}: x of shape .*{message}"):
        getattr(scaler, method)(np.ones((4, 1)))


def test_infinite_values_are_refused():
    # inf made the feature's mean inf and every value of it NaN
    with pytest.raises(ValueError, match=r"Standardizer\.fit: .* holds infinite values"):
        datasets.Standardizer().fit(np.array([[1.0], [np.inf]]))
    scaler = datasets.Standardizer().fit(np.array([[1.0], [3.0]]))
    with pytest.raises(ValueError, match=r"Standardizer\.transform: .* holds infinite values"):
        scaler.transform(np.array([[-np.inf]]))

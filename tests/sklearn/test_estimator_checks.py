"""scikit-learn's own estimator checks are the judge (parametrize_with_checks), on small,
seeded instances so the run stays short; a check that cannot apply is listed by name with
the reason."""

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks

import deepgrad as dg
from deepgrad import layers
from deepgrad.sklearn import (
    MLPClassifier,
    MLPRegressor,
    ModelClassifier,
    ModelRegressor,
)


class SmallNet:
    """The model-building function, with a repr that names it: the checks' test ids are
    made from the estimators' reprs, and a plain function's repr holds its address, which
    differs between pytest-xdist's workers (they then refuse to run)."""

    def __call__(self, n_features_in, n_outputs, hidden=16):
        return dg.Sequential([layers.Dense(hidden, activation="tanh"), layers.Dense(n_outputs)])

    def __repr__(self) -> str:
        return "small_net"


small_net = SmallNet()


SETTINGS = {"learning_rate_init": 0.01, "max_iter": 60, "random_state": 0}
ESTIMATORS = [
    MLPClassifier((16,), **SETTINGS),
    MLPRegressor((16,), **SETTINGS),
    ModelClassifier(small_net, epochs=60, learning_rate=0.01, random_state=0),
    ModelRegressor(small_net, epochs=60, learning_rate=0.01, random_state=0),
]

# check name → why it cannot apply
EXPECTED_FAILURES: dict[str, str] = {
    "check_methods_subset_invariance": (
        "the models are float32 (the documented default) and the check compares at "
        "rtol=1e-7: NumPy's own float32 matmul of a subset of the rows differs from the whole "
        "batch's by an ulp, so the check passes or fails with the weights a fit happens to give"
    ),
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)

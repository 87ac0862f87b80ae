"""scikit-learn's own estimator checks are the judge (parametrize_with_checks), on small,
seeded instances so the run stays short; a check that cannot apply is listed by name with
the reason."""

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    parametrize_with_checks,
)

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


# the MLPs' objective is scikit-learn's, (Σ w_i ℓ_i + penalty) / Σ w_i per batch, so that
# integer weights are repeated samples: the check passes in float64 (below)
MLP_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "float32 models: the weighted and the repeated fits agree to 2.4e-7, the check asks "
        "for 1e-7; test_sample_weight_equivalence_in_float64 runs it on float64 models"
    ),
}
# the wrappers pass sample_weight to Model.fit, as Keras: each batch's mean is over its
# samples (Σ w_i ℓ_i / n) and repeated samples make more batches
WRAPPER_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "Model.fit's sample_weight (Keras' meaning): a batch's loss is Σ w_i ℓ_i / n over its "
        "n samples, and repeating samples adds batches, so more steps"
    ),
}


def expected_failed_checks(estimator):
    extra = MLP_EXPECTED_FAILURES
    if isinstance(estimator, ModelClassifier | ModelRegressor):
        extra = WRAPPER_EXPECTED_FAILURES
    return {**EXPECTED_FAILURES, **extra}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_sample_weight_equivalence_in_float64(estimator):
    """Integer sample weights are repeated samples, as scikit-learn's check wants."""
    check_sample_weight_equivalence_on_dense_data(
        estimator.__name__, estimator((16,), dtype="float64", **SETTINGS)
    )

"""What the estimators refuse, by name, rather than fit wrongly: parameters scikit-learn's
rules refuse, settings that would not be used, losses that do not suit the model's outputs,
label matrices, models with the wrong number of outputs; and what they take as scikit-learn
takes it."""

from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import deepgrad as dg
from deepgrad import layers, optimizers
from deepgrad.sklearn import (
    MLPClassifier,
    MLPRegressor,
    ModelClassifier,
    ModelRegressor,
)

X_IRIS, Y_IRIS = load_iris(return_X_y=True)


# parameters scikit-learn's MLP refuses, which were taken: tol=-1 never stopped, max_iter=2.5
# ran 2 epochs, epsilon=0 ended in a NaN loss, a string for a bool was taken as True
REFUSED_BY_SCIKIT_LEARN: list[dict[str, Any]] = [
    {"tol": -1.0},
    {"epsilon": 0.0},
    {"beta_1": 1.0},
    {"max_iter": 2.5},
    {"n_iter_no_change": 1.5},
    {"alpha": -1.0},
    {"learning_rate_init": 0.0},
    {"batch_size": 0},
    {"batch_size": "x"},
    {"shuffle": "no"},
    {"early_stopping": "yes"},
    {"warm_start": 3},
    {"verbose": "x"},
    {"random_state": "seed"},
]


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("params", REFUSED_BY_SCIKIT_LEARN, ids=str)
def test_parameters_scikit_learn_refuses_are_refused_with_its_error(estimator, params):
    from sklearn import neural_network

    key = next(iter(params))
    theirs = getattr(neural_network, estimator.__name__)(**params)
    with pytest.raises(ValueError, match=f"'{key}' parameter of {estimator.__name__}") as want:
        theirs.fit(X_IRIS, Y_IRIS)
    model = estimator(**params)
    with pytest.raises(ValueError) as got:
        model.fit(X_IRIS, Y_IRIS)
    assert str(got.value) == str(want.value)
    extra = {"classes": [0, 1, 2]} if estimator is MLPClassifier else {}
    with pytest.raises(ValueError, match=f"'{key}' parameter of {estimator.__name__}"):
        model.partial_fit(X_IRIS, Y_IRIS, **extra)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_parameters_scikit_learn_takes_are_taken_as_it_takes_them(estimator):
    """n_iter_no_change=inf never stops on the loss (it was an OverflowError) and warns at
    max_iter; validation_fraction=0 without early_stopping is unused; a batch_size above
    the number of samples is clipped with scikit-learn's warning."""
    from sklearn import neural_network

    settings = {"n_iter_no_change": np.inf, "tol": 1e10, "max_iter": 4, "random_state": 0}
    theirs = getattr(neural_network, estimator.__name__)(**settings)
    for model in (estimator(**settings), theirs):
        with pytest.warns(ConvergenceWarning):
            model.fit(X_IRIS, Y_IRIS)
        assert model.n_iter_ == 4
    estimator(validation_fraction=0.0, max_iter=1, random_state=0).fit(X_IRIS, Y_IRIS)
    with pytest.warns(UserWarning, match="larger than sample size. It is going to be clipped"):
        estimator(batch_size=500, max_iter=1, random_state=0).fit(X_IRIS, Y_IRIS)


def softmax_net(n_features_in, n_outputs, compiled=False):
    """A model that ends in a softmax: its outputs are probabilities, not logits."""
    model = dg.Sequential(
        [layers.Dense(16, activation="relu"), layers.Dense(n_outputs, activation="softmax")]
    )
    if compiled:
        model.compile(optimizers.Adam(learning_rate=0.01), "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("compiled", [False, True])
def test_model_classifier_takes_a_softmax_output_as_probabilities(compiled):
    """The model's own outputs are the probabilities (as scikeras' KerasClassifier takes
    them); a softmax of them was returned (0.57 for the model's 0.99 on iris' first sample),
    and the uncompiled model was trained on logits taken from its probabilities."""
    X = StandardScaler().fit_transform(X_IRIS)
    rate: dict[str, Any] = (
        {} if compiled else {"learning_rate": 0.01}
    )  # a compiled model has its own
    clf = ModelClassifier(
        softmax_net, model_params={"compiled": compiled}, epochs=60, random_state=0, **rate
    ).fit(X, Y_IRIS)
    outputs = np.asarray(clf.model_.predict(X, verbose=0), dtype=np.float64)
    np.testing.assert_allclose(clf.predict_proba(X), outputs, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(outputs), rtol=1e-12)
    assert clf.model_.loss.from_logits is False
    assert clf.score(X, Y_IRIS) > 0.9


def test_model_classifier_refuses_a_softmax_output_with_a_loss_on_logits():
    clf = ModelClassifier(
        softmax_net, loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True), epochs=1
    )
    with pytest.raises(ValueError, match=r"ModelClassifier: .* ends in a softmax .*from_logits"):
        clf.fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    "loss", ["sparse_categorical_crossentropy", dg.losses.SparseCategoricalCrossentropy()]
)
def test_mlp_classifier_refuses_a_loss_on_probabilities(loss):
    """The network's outputs are logits: such a loss trained on them as probabilities
    (a training accuracy of 0.08 on iris, silently)."""
    with pytest.raises(ValueError, match=r"MLPClassifier: loss=.* takes probabilities"):
        MLPClassifier((4,), loss=loss, max_iter=2, random_state=0).fit(X_IRIS, Y_IRIS)
    logits = dg.losses.SparseCategoricalCrossentropy(from_logits=True)
    MLPClassifier((4,), loss=logits, max_iter=2, random_state=0).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    "estimator", [MLPClassifier((4,)), ModelClassifier(softmax_net)], ids=["mlp", "model"]
)
def test_a_label_matrix_is_refused_by_name(estimator):
    """scikit-learn's MLPClassifier fits a multilabel indicator y with one logistic output
    per label; these classifiers do not, and say so (it was scikit-learn's bare "y should be
    a 1d array")."""
    indicator = np.eye(3, dtype=int)[Y_IRIS]
    indicator[::3, 0] = 1
    name = type(estimator).__name__
    with pytest.raises(ValueError, match=rf"{name}.fit: y has shape \(150, 3\).*multilabel"):
        estimator.fit(X_IRIS, indicator)
    with pytest.raises(ValueError, match=rf"{name}.partial_fit: y has shape \(150, 3\)"):
        estimator.partial_fit(X_IRIS, indicator, classes=[0, 1])


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"learning_rate_init": 0.5}, "learning_rate_init=0.5"),
        ({"beta_1": 0.5, "epsilon": 1e-3}, "beta_1=0.5, epsilon=0.001"),
    ],
)
def test_mlp_refuses_settings_an_optimizer_object_would_not_use(change, named):
    """An optimizer object keeps its own settings: learning_rate_init=0.5 gave the same fit
    as 0.001 (SGD at 0.01 either way), silently."""
    sgd = optimizers.SGD(learning_rate=0.01)
    model = MLPClassifier((4,), optimizer=sgd, max_iter=2, random_state=0, **change)
    with pytest.raises(ValueError, match=rf"MLPClassifier: {named} would not be used: .*SGD"):
        model.fit(X_IRIS, Y_IRIS)
    same = MLPClassifier((4,), optimizer=sgd, learning_rate_init=0.001, max_iter=2)
    assert same.fit(X_IRIS, Y_IRIS).model_.optimizer.learning_rate == 0.01


def compiled_net(n_features_in, n_outputs):
    model = dg.Sequential([layers.Dense(8, activation="relu"), layers.Dense(n_outputs)])
    model.compile("adam", dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate": 0.5},
        {"optimizer": "sgd"},
        {"loss": "sparse_categorical_crossentropy"},
        {"jit": False},
    ],
    ids=str,
)
def test_model_classifier_refuses_settings_a_compiled_model_would_not_use(change):
    """A model that comes back compiled is trained as compiled: learning_rate=0.5 left its
    Adam at 0.001, silently."""
    key = next(iter(change))
    clf = ModelClassifier(compiled_net, epochs=1, **change)
    with pytest.raises(
        ValueError, match=rf"ModelClassifier: {key}=.* would not be used: .*compiled"
    ):
        clf.fit(X_IRIS, Y_IRIS)


def test_model_classifier_refuses_a_learning_rate_an_optimizer_object_would_not_use():
    clf = ModelClassifier(
        softmax_net, optimizer=optimizers.SGD(learning_rate=0.01), learning_rate=0.5
    )
    with pytest.raises(ValueError, match=r"learning_rate=0\.5 would not be used: .* a SGD"):
        clf.fit(X_IRIS, Y_IRIS)
    clf.set_params(learning_rate=0.001, epochs=1).fit(X_IRIS, Y_IRIS)
    assert clf.model_.optimizer.learning_rate == 0.01


@pytest.mark.parametrize("estimator", [ModelClassifier, ModelRegressor])
@pytest.mark.parametrize(
    "params",
    [
        {"epochs": 0},
        {"epochs": 2.5},
        {"batch_size": 2.5},
        {"batch_size": "x"},
        {"shuffle": "no"},
        {"learning_rate": -1.0},
        {"model_params": [1]},
        {"jit": "x"},
        {"random_state": "x"},
    ],
    ids=str,
)
def test_the_wrappers_refuse_bad_parameters_by_scikit_learns_rules(estimator, params):
    """epochs=0 returned an untrained model, epochs=2.5 and batch_size=2.5 were truncated,
    shuffle="no" shuffled: scikit-learn's errors now, naming the estimator and parameter."""
    key = next(iter(params))
    model = estimator(softmax_net, **params)
    with pytest.raises(ValueError, match=f"'{key}' parameter of {estimator.__name__} must be"):
        model.fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=f"'{key}' parameter of {estimator.__name__} must be"):
        model.partial_fit(X_IRIS, Y_IRIS, **({"classes": [0, 1, 2]} if model._classifier else {}))


def test_the_wrappers_take_a_learning_rate_schedule():
    schedule = optimizers.schedules.ExponentialDecay(0.01, decay_steps=10, decay_rate=0.9)
    clf = ModelClassifier(softmax_net, learning_rate=schedule, epochs=2).fit(X_IRIS, Y_IRIS)
    assert clf.model_.optimizer.learning_rate is schedule


@pytest.mark.parametrize("estimator", [MLPRegressor((4,)), ModelRegressor(softmax_net)])
@pytest.mark.parametrize("dtype", ["int32", "bool"])
def test_a_dtype_that_is_not_floating_is_refused_by_name(estimator, dtype):
    """X is cast to the model's dtype: an integer one would truncate it (it failed later,
    in the autodiff engine, without naming the estimator)."""
    name = type(estimator).__name__
    with pytest.raises(ValueError, match=f"{name}: dtype must be a floating dtype.*'{dtype}'"):
        estimator.set_params(dtype=dtype).fit(X_IRIS, Y_IRIS.astype(float))


def test_partial_fit_names_itself_for_a_single_class():
    with pytest.raises(ValueError, match=r"MLPClassifier.partial_fit: needs samples of at least"):
        MLPClassifier((4,)).partial_fit(X_IRIS, Y_IRIS * 0, classes=[0])


@pytest.mark.parametrize(
    ("estimator", "units", "y", "expected"),
    [
        (ModelClassifier, 5, Y_IRIS, 3),  # trained on 5 logits; predict: an IndexError
        (ModelClassifier, 1, Y_IRIS % 2, 2),  # one output for two classes
        (ModelRegressor, 3, Y_IRIS.astype(float), 1),
    ],
)
def test_the_wrappers_name_a_model_with_the_wrong_number_of_outputs(estimator, units, y, expected):
    def build(n_features_in, n_outputs):
        return dg.Sequential([layers.Dense(units)])

    name = estimator.__name__
    with pytest.raises(
        ValueError,
        match=rf"{name}: build_model\(n_features_in=4, n_outputs={expected}\) .* "
        rf"shape \(1, {units}\); it must be \(1, {expected}\)",
    ):
        estimator(build, epochs=1).fit(X_IRIS, y)


@pytest.mark.parametrize("compiled", [False, True])
def test_model_classifier_refuses_a_loss_on_probabilities_for_a_model_of_logits(compiled):
    """Such a model was trained on its logits as probabilities and predict_proba gave the
    logits as they were (negative "probabilities")."""

    def logits_net(n_features_in, n_outputs):
        model = dg.Sequential([layers.Dense(8, activation="relu"), layers.Dense(n_outputs)])
        if compiled:
            model.compile("adam", "sparse_categorical_crossentropy")
        return model

    loss: dict[str, Any] = {} if compiled else {"loss": "sparse_categorical_crossentropy"}
    clf = ModelClassifier(logits_net, epochs=1, **loss)
    with pytest.raises(ValueError, match=r"ModelClassifier: the loss .* are not probabilities"):
        clf.fit(X_IRIS, Y_IRIS)


def test_model_classifier_with_a_loss_function_reads_a_softmax_output_as_probabilities():
    """A loss function of one's own does not say whether it takes logits: a model that ends
    in a softmax then gives probabilities (they were softmaxed again, 0.42 off)."""

    def cross_entropy(y_true, y_pred):
        return dg.losses.sparse_categorical_crossentropy(y_true, y_pred)

    def net(n_features_in, n_outputs):
        model = softmax_net(n_features_in, n_outputs)
        model.compile(optimizers.Adam(learning_rate=0.01), cross_entropy)
        return model

    X = StandardScaler().fit_transform(X_IRIS)
    clf = ModelClassifier(net, epochs=60, random_state=0).fit(X, Y_IRIS)
    outputs = np.asarray(clf.model_.predict(X, verbose=0), dtype=np.float64)
    np.testing.assert_allclose(clf.predict_proba(X), outputs, rtol=1e-12)

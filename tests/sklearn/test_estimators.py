"""The estimators inside scikit-learn's machinery (Pipeline, GridSearchCV, cross_val_score,
clone) and their scikit-learn attributes and parameters."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
pd = pytest.importorskip("pandas")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deepgrad as dg  # noqa: E402
from deepgrad import layers, optimizers  # noqa: E402
from deepgrad.sklearn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    ModelClassifier,
    ModelRegressor,
)

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
FAST = {"learning_rate_init": 0.01, "max_iter": 100, "random_state": 0}


def test_pipeline_and_cross_val_score():
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((16,), **FAST))
    scores = cross_val_score(pipeline, X_IRIS, Y_IRIS, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85


def test_grid_search_over_deepgrad_and_scikit_learn_parameters():
    search = GridSearchCV(
        MLPClassifier(**FAST),
        {"hidden_layer_sizes": [(4,), (16,)], "optimizer": ["adam", "rmsprop"]},
        cv=2,
    )
    search.fit(StandardScaler().fit_transform(X_IRIS), Y_IRIS)
    assert set(search.best_params_) == {"hidden_layer_sizes", "optimizer"}
    assert search.best_score_ > 0.8


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    fitted = MLPClassifier((8,), **FAST).fit(X_IRIS, Y_IRIS)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "model_")


def test_string_labels_probabilities_and_score():
    labels = np.array(["setosa", "versicolor", "virginica"])[Y_IRIS]
    clf = MLPClassifier((16,), **FAST).fit(StandardScaler().fit_transform(X_IRIS), labels)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    proba = clf.predict_proba(StandardScaler().fit_transform(X_IRIS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(StandardScaler().fit_transform(X_IRIS))) <= set(clf.classes_)
    assert clf.n_features_in_ == 4 and clf.n_iter_ >= 1 and len(clf.loss_curve_) == clf.n_iter_


def test_feature_names_in_from_a_data_frame():
    frame = pd.DataFrame(X_IRIS, columns=["sl", "sw", "pl", "pw"])
    clf = MLPClassifier((4,), max_iter=5, random_state=0).fit(frame, Y_IRIS)
    assert clf.feature_names_in_.tolist() == ["sl", "sw", "pl", "pw"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X_IRIS)


def test_partial_fit_one_epoch_per_call_and_classes_required():
    clf = MLPClassifier((8,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="first call needs classes"):
        clf.partial_fit(X_IRIS, Y_IRIS)
    for _ in range(3):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    assert len(clf.loss_curve_) == 3 and clf.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes_"):
        clf.partial_fit(X_IRIS[:2], [0, 7])


def test_the_same_random_state_gives_the_same_model():
    a = MLPRegressor((8,), max_iter=20, random_state=3).fit(X_IRIS, Y_IRIS.astype(float))
    b = MLPRegressor((8,), max_iter=20, random_state=3).fit(X_IRIS, Y_IRIS.astype(float))
    np.testing.assert_array_equal(a.predict(X_IRIS), b.predict(X_IRIS))


def test_stops_when_the_loss_stalls_and_warns_when_it_does_not():
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    y = y / y.std()
    converged = MLPRegressor(
        (16,), learning_rate_init=0.01, max_iter=500, tol=1e-2, n_iter_no_change=3, random_state=0
    ).fit(X, y)
    assert converged.n_iter_ < 500
    with pytest.warns(ConvergenceWarning, match="max_iter=2 reached"):
        MLPRegressor((16,), max_iter=2, random_state=0).fit(X, y)


def test_early_stopping_keeps_the_best_validation_score():
    clf = MLPClassifier(
        (16,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=5, **FAST
    )
    clf.fit(StandardScaler().fit_transform(X_IRIS), Y_IRIS)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_an_optimizer_object_is_copied_not_changed():
    adam = optimizers.Adam(learning_rate=0.01)
    MLPClassifier((4,), optimizer=adam, max_iter=3, random_state=0).fit(X_IRIS, Y_IRIS)
    assert not adam.params  # the user's object was never built on the model's weights


def test_jit_gives_the_same_model():
    eager = MLPClassifier((8,), jit=False, max_iter=5, random_state=0).fit(X_IRIS, Y_IRIS)
    compiled = MLPClassifier((8,), jit=True, max_iter=5, random_state=0).fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(
        compiled.predict_proba(X_IRIS), eager.predict_proba(X_IRIS), rtol=1e-5, atol=1e-6
    )


def test_model_classifier_with_routed_parameters_and_a_compiled_model():
    def build(n_features_in, n_outputs, width):
        model = dg.Sequential([layers.Dense(width, activation="relu"), layers.Dense(n_outputs)])
        model.compile(
            optimizer=optimizers.Adam(0.02),
            loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return model

    clf = ModelClassifier(build, model_params={"width": 12}, epochs=60, random_state=0)
    clf.fit(StandardScaler().fit_transform(X_IRIS), Y_IRIS)
    assert clf.model_.layers[0].units == 12
    assert clf.score(StandardScaler().fit_transform(X_IRIS), Y_IRIS) > 0.9


def test_model_regressor_passes_sample_weight_to_model_fit():
    """Samples of weight 0 take no part: their targets, far off, move nothing."""
    X = np.linspace(-1, 1, 200)[:, None]
    y = 3 * X[:, 0] + 1
    off = np.arange(200) % 2 == 0
    y_given = np.where(off, 100.0, y)
    reg = ModelRegressor(
        lambda n_in, n_out: dg.Sequential([layers.Dense(n_out)]),
        epochs=200,
        learning_rate=0.05,
        random_state=0,
    )
    reg.fit(X, y_given, sample_weight=np.where(off, 0.0, 1.0))
    assert reg.score(X, y) > 0.99


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes must be positive integers"),
        ({"max_iter": 0}, r"'max_iter' parameter of MLPClassifier must be an int in the range"),
        (
            {"validation_fraction": 1.5},
            r"'validation_fraction' parameter of MLPClassifier must be a float in the range",
        ),
        ({"activation": "nope"}, "unknown activation 'nope'"),
        ({"activation": None}, "MLPClassifier: activation must be a name, got None"),
        (
            {"early_stopping": True, "validation_fraction": 0.0},
            r"early_stopping=True needs a validation_fraction in \(0, 1\)",
        ),
    ],
)
def test_bad_parameters_are_named_at_fit(params, match):
    clf = MLPClassifier(**params)  # never at construction: scikit-learn's rule
    with pytest.raises(ValueError, match=match):
        clf.fit(X_IRIS, Y_IRIS)


def test_verbose_prints_the_loss_per_iteration(capsys):
    MLPClassifier((4,), max_iter=2, verbose=True, random_state=0).fit(X_IRIS, Y_IRIS)
    assert capsys.readouterr().out.startswith("Iteration 1, loss = ")


def test_pickling_carries_the_model_as_a_deepgrad_model_file():
    import pickle

    clf = MLPClassifier((8,), max_iter=5, random_state=0).fit(X_IRIS, Y_IRIS)  # jit=True
    state = clf.__getstate__()
    assert "model_" not in state and state["_model_file"][:8]  # safetensors bytes
    assert hasattr(clf, "model_")  # getting the state does not change the estimator
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X_IRIS), clf.predict_proba(X_IRIS))
    copy.partial_fit(X_IRIS, Y_IRIS)  # training goes on, optimizer state included
    assert len(copy.loss_curve_) == len(clf.loss_curve_) + 1


@pytest.mark.parametrize("jit", [False, True])
def test_an_unpickled_estimators_model_runs_its_steps_as_jit_says(jit):
    import pickle

    clf = MLPClassifier((8,), max_iter=3, random_state=0, jit=jit).fit(X_IRIS, Y_IRIS)
    assert clf.model_.jit is jit
    assert pickle.loads(pickle.dumps(clf)).model_.jit is jit


def _sklearn_stop(curve, tol, patience):
    """The iteration scikit-learn's rule stops at, replayed on a loss curve."""
    best, stalled = np.inf, 0
    for iteration, loss in enumerate(curve, start=1):
        stalled = stalled + 1 if loss > best - tol else 0
        best = min(best, loss)
        if stalled > patience:
            return iteration
    return None


def test_training_stops_at_the_iteration_scikit_learns_rule_gives():
    X, y = make_regression(200, 5, noise=1.0, random_state=1)
    y = y / y.std()
    for tol, patience in [(1e-2, 3), (1e-3, 2), (0.0, 4)]:  # the last runs to max_iter
        model = MLPRegressor(
            (16,),
            learning_rate_init=0.01,
            max_iter=300,
            tol=tol,
            n_iter_no_change=patience,
            random_state=0,
        ).fit(X, y)
        assert len(model.loss_curve_) == model.n_iter_
        assert (_sklearn_stop(model.loss_curve_, tol, patience) or 300) == model.n_iter_
        assert model.best_loss_ == min(model.loss_curve_)
        assert model.t_ == model.n_iter_ * len(X)


def test_a_loss_that_blows_up_is_an_error_naming_the_iteration():
    X, y = make_regression(100, 5, random_state=0)
    with pytest.raises(ValueError, match=r"training loss became (inf|nan) at iteration \d+"):
        MLPRegressor((8,), learning_rate_init=1e6, max_iter=50, random_state=0).fit(X * 1e6, y)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("patience", [1, 3])
def test_stops_after_as_many_stalled_epochs_as_scikit_learns_mlp(early_stopping, patience):
    """A tol no epoch can meet: scikit-learn stops once more than n_iter_no_change epochs
    in a row have stalled (the first epoch improves on -inf or inf)."""
    from sklearn.neural_network import MLPRegressor as ScikitMLPRegressor

    X, y = make_regression(100, 4, random_state=0)
    y = y / y.std()
    settings = {"tol": 1e10, "n_iter_no_change": patience, "early_stopping": early_stopping}
    ours = MLPRegressor((8,), random_state=0, **settings).fit(X, y)
    theirs = ScikitMLPRegressor(hidden_layer_sizes=(8,), random_state=0, **settings).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == patience + 2


@pytest.mark.parametrize("n_targets", [1, 3])
def test_the_regressors_loss_is_scikit_learns_half_squared_error(n_targets):
    """scikit-learn's squared_error: ½·mean((y − ŷ)²) + ½·alpha·Σ‖W‖² / batch. A learning
    rate too small to move the weights makes the first epoch's loss that of the fitted
    model, so that it can be computed from predict and the kernels."""
    X, y = make_regression(60, 4, n_targets=n_targets, random_state=0)
    y = y / y.std()
    for alpha in (0.0, 0.5):
        model = MLPRegressor(
            (6,), alpha=alpha, learning_rate_init=1e-12, max_iter=1, shuffle=False, random_state=0
        ).fit(X, y)
        kernels = [np.asarray(layer.kernel.numpy()) for layer in model.model_.layers]
        penalty = 0.5 * alpha * sum(float(np.sum(k**2)) for k in kernels) / len(X)
        expected = 0.5 * np.mean((y - model.predict(X)) ** 2) + penalty
        assert model.loss_curve_[0] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_refuses_early_stopping_as_scikit_learn(estimator):
    model = estimator((4,), early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match=f"{estimator.__name__}.partial_fit: early_stopping"):
        model.partial_fit(X_IRIS, Y_IRIS, **({"classes": [0, 1, 2]} if model._classifier else {}))
    assert not hasattr(model, "model_")


def test_n_iter_counts_the_last_calls_epochs_as_scikit_learn():
    """scikit-learn's n_iter_ is the epochs of the last fit or partial_fit call; loss_curve_
    and t_ keep every call's."""
    from sklearn.neural_network import MLPClassifier as ScikitMLPClassifier

    models = [
        MLPClassifier((4,), max_iter=5, random_state=0),
        ScikitMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0),
    ]
    with pytest.warns(ConvergenceWarning):
        for model in models:
            model.fit(X_IRIS, Y_IRIS)
    for model in models:
        model.partial_fit(X_IRIS, Y_IRIS).partial_fit(X_IRIS, Y_IRIS)
    ours, theirs = models
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert len(ours.loss_curve_) == len(theirs.loss_curve_) == 7
    assert ours.t_ == theirs.t_ == 7 * len(X_IRIS)

"""Training trajectories against scikit-learn's own MLP, run here: the same data, the same
initial weights (scikit-learn's, drawn as its ``_init_coef`` draws them), no shuffling,
float64; ``loss_curve_`` and the weights must agree to float precision, for the L2 penalty
on batches of any size, ``sample_weight`` and ``warm_start``.

``epsilon`` is made negligible in these runs: deepgrad's Adam adds ε to √v̂ (as the paper
and PyTorch) and scikit-learn's to √v (as Keras), which differ by about ε/√v̂ per step."""

import itertools
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import check_random_state  # noqa: E402

from deepgrad.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
_REGRESSION = make_regression(250, 4, random_state=0)
X_REG, Y_REG = np.asarray(_REGRESSION[0]), np.asarray(_REGRESSION[1])
Y_REG = Y_REG / Y_REG.std()
SETTINGS = {
    "hidden_layer_sizes": (5,),
    "shuffle": False,
    "random_state": 0,
    "learning_rate_init": 0.01,
    "epsilon": 1e-30,
}


def scikit_learn_initial_weights(units, random_state: int | np.random.RandomState = 0):
    """[W0, b0, W1, b1, ...] as scikit-learn's MLP draws them (Glorot uniform, relu)."""
    draws = check_random_state(random_state)
    weights = []
    for fan_in, fan_out in itertools.pairwise(units):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(draws.uniform(-bound, bound, (fan_in, fan_out)))
        weights.append(draws.uniform(-bound, bound, fan_out))
    return weights


def starting_from(estimator_class, weights):
    """``estimator_class`` whose new network starts from ``weights``."""

    class Started(estimator_class):
        def _build(self, n_features, n_outputs):
            model = super()._build(n_features, n_outputs)
            model.set_weights(weights)
            return model

    Started.__name__ = estimator_class.__name__
    return Started


def pair(kind, **settings):
    """(deepgrad's estimator, scikit-learn's), set alike, from the same weights."""
    X, y = (X_IRIS, Y_IRIS) if kind == "classifier" else (X_REG, Y_REG)
    n_outputs = 3 if kind == "classifier" else 1
    units = [X.shape[1], *SETTINGS["hidden_layer_sizes"], n_outputs]
    ours = MLPClassifier if kind == "classifier" else MLPRegressor
    theirs = getattr(neural_network, ours.__name__)
    start = scikit_learn_initial_weights(units)
    everything = {**SETTINGS, **settings}
    return starting_from(ours, start)(dtype="float64", **everything), theirs(**everything), X, y


def assert_same_state(ours, theirs):
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    expected = [w for layer in zip(theirs.coefs_, theirs.intercepts_, strict=True) for w in layer]
    for got, want in zip(ours.model_.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)
    assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    if theirs.best_loss_ is None:  # early_stopping
        assert ours.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-10)
    assert ours._no_improvement_count == theirs._no_improvement_count


def fit_both(models, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter reached: ConvergenceWarning, both alike
        for model in models:
            model.fit(*args, **kwargs)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_penalty_is_divided_by_each_batchs_own_size(kind):
    """250 or 150 samples in batches of 100: the last batch has 50 and its penalty is
    alpha/2 · Σ‖W‖² / 50 in scikit-learn (it was / 100 here: a first loss of 0.24920 for
    scikit-learn's 0.25097 on the regressor)."""
    ours, theirs, X, y = pair(kind, alpha=0.3, batch_size=100, max_iter=5)
    fit_both([ours, theirs], X, y)
    assert_same_state(ours, theirs)


def sample_weights(n, seed=1):
    weights = np.random.default_rng(seed).uniform(0.0, 3.0, n)
    weights[::7] = 0.0  # a weight of 0 takes the sample out
    return weights


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_sample_weight_gives_scikit_learns_trajectory(kind, alpha):
    """scikit-learn's objective per batch: (Σ w_i ℓ_i + alpha/2 · Σ‖W‖²) / Σ w_i, in fit and
    in partial_fit."""
    ours, theirs, X, y = pair(kind, alpha=alpha, batch_size=40, max_iter=4)
    weights = sample_weights(len(X))
    fit_both([ours, theirs], X, y, sample_weight=weights)
    assert_same_state(ours, theirs)
    for model in (ours, theirs):
        model.partial_fit(X[:90], y[:90], sample_weight=weights[:90])
    assert_same_state(ours, theirs)
    # weights of 1 are no weights
    unweighted, reference, _, _ = pair(kind, alpha=alpha, batch_size=40, max_iter=4)
    fit_both([unweighted, reference], X, y, sample_weight=np.ones(len(X)))
    assert_same_state(unweighted, reference)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_warm_start_goes_on_as_scikit_learn(kind):
    """A second fit goes on from the fitted weights with a new optimizer (scikit-learn makes
    one per fit), and loss_curve_, t_, best_loss_ and the count of stalled epochs go on;
    n_iter_ counts the second fit's epochs. The count carries over: with a tol hard to meet
    the second fit stops after fewer epochs than a fresh one would."""
    ours, theirs, X, y = pair(kind, alpha=1e-3, max_iter=3, warm_start=True)
    fit_both([ours, theirs], X, y)
    for model in (ours, theirs):
        model.set_params(max_iter=4, learning_rate_init=0.02)
    fit_both([ours, theirs], X, y)
    assert len(ours.loss_curve_) == 7
    assert_same_state(ours, theirs)
    for model in (ours, theirs):
        model.set_params(max_iter=50, tol=1e-2, n_iter_no_change=2)
    fit_both([ours, theirs], X, y)
    fit_both([ours, theirs], X, y)
    assert_same_state(ours, theirs)
    assert ours.n_iter_ < 50


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_without_warm_start_a_second_fit_starts_again(kind):
    ours, theirs, X, y = pair(kind, max_iter=3)
    fit_both([ours, theirs], X, y)
    fit_both([ours, theirs], X, y)
    assert len(ours.loss_curve_) == 3
    assert_same_state(ours, theirs)


def test_partial_fit_keeps_best_loss_and_the_count_as_scikit_learn():
    ours, theirs, X, y = pair("regressor", tol=10.0)
    for _ in range(3):
        for model in (ours, theirs):
            model.partial_fit(X, y)
    assert_same_state(ours, theirs)
    assert ours._no_improvement_count == 2  # only the first epoch beat inf by tol


def test_warm_start_refuses_other_classes_as_scikit_learn():
    models = [
        MLPClassifier((4,), max_iter=2, warm_start=True, random_state=0),
        neural_network.MLPClassifier((4,), max_iter=2, warm_start=True, random_state=0),
    ]
    fit_both(models, X_IRIS, Y_IRIS)
    for model in models:
        with pytest.raises(ValueError, match="warm_start"):
            model.fit(X_IRIS[Y_IRIS < 2], Y_IRIS[Y_IRIS < 2])
    with pytest.raises(ValueError, match=r"previous fit, \[0, 1, 2\]; y holds \[0, 1\]"):
        models[0].fit(X_IRIS[Y_IRIS < 2], Y_IRIS[Y_IRIS < 2])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"hidden_layer_sizes": (5,)}, r"cannot change hidden_layer_sizes from \[4\] to \[5\]"),
        ({"activation": "tanh"}, "cannot change activation from 'relu' to 'tanh'"),
        ({"dtype": "float64"}, "cannot change dtype from 'float32' to 'float64'"),
        ({"early_stopping": True}, "fitted with early_stopping=False"),
    ],
)
def test_warm_start_names_what_it_cannot_carry_on(change, match):
    model = MLPRegressor((4,), max_iter=2, warm_start=True, random_state=0)
    fit_both([model], X_REG, Y_REG)
    model.set_params(**change)
    with pytest.raises(ValueError, match=match):
        model.fit(X_REG, Y_REG)


def test_warm_start_refuses_other_features_and_outputs():
    model = MLPRegressor((4,), max_iter=2, warm_start=True, random_state=0)
    fit_both([model], X_REG, Y_REG)
    with pytest.raises(ValueError, match="features"):
        model.fit(X_REG[:, :3], Y_REG)
    with pytest.raises(ValueError, match="y has 2 columns; the model was started with 1"):
        model.fit(X_REG, np.c_[Y_REG, Y_REG])


def test_warm_started_early_stopping_keeps_the_best_weights_of_every_fit():
    """scikit-learn keeps validation_scores_, best_validation_score_ and the best weights
    over warm-started fits: a second fit that never beats the first's best ends on the
    first fit's best weights."""
    model = MLPClassifier(
        (16,), early_stopping=True, warm_start=True, learning_rate_init=0.01, random_state=0
    )
    fit_both([model], X_IRIS, Y_IRIS)
    first, best = model.predict_proba(X_IRIS), model.best_validation_score_
    assert model.validation_scores_ is not None and best is not None
    scores = len(model.validation_scores_)
    model.set_params(max_iter=3)
    fit_both([model], X_IRIS, Y_IRIS)
    # the count of stalled epochs goes on too: past n_iter_no_change, one more stops it
    assert len(model.validation_scores_) == scores + model.n_iter_ == scores + 1
    assert max(model.validation_scores_[scores:]) <= best == model.best_validation_score_
    np.testing.assert_array_equal(model.predict_proba(X_IRIS), first)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_early_stopping_scores_validation_with_the_sample_weights(kind):
    """scikit-learn splits the weights with their samples and scores the validation part
    with them (accuracy or R²): at the end, the best weights give the best score."""
    ours, _, X, y = pair(kind, early_stopping=True, max_iter=30, validation_fraction=0.3)
    weights = sample_weights(len(X), seed=2)
    fit_both([ours], X, y, sample_weight=weights)
    _, X_val, _, y_val, _, w_val = scikit_learns_split(kind, X, y, weights, fraction=0.3)
    assert ours.score(X_val, y_val, sample_weight=w_val) == pytest.approx(
        ours.best_validation_score_, rel=1e-12
    )
    assert ours.score(X_val, y_val) != pytest.approx(ours.best_validation_score_, rel=1e-6)


def scikit_learns_split(kind, X, y, *more, fraction, n_outputs=None):
    """scikit-learn's MLP's validation split with random_state=0: from the generator that
    drew the initial weights, after them, stratified only for one output (binary)."""
    n_outputs = n_outputs or (3 if kind == "classifier" else 1)
    draws = check_random_state(0)
    scikit_learn_initial_weights([X.shape[1], *SETTINGS["hidden_layer_sizes"], n_outputs], draws)
    return train_test_split(
        X,
        y,
        *more,
        test_size=fraction,
        stratify=y if n_outputs == 1 and kind == "classifier" else None,
        random_state=draws,
    )


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("weighted", [False, True])
def test_early_stopping_gives_scikit_learns_trajectory(kind, weighted):
    """The validation split is scikit-learn's: drawn after the initial weights from the same
    generator, and not stratified for a multiclass y (scikit-learn stratifies for one output
    only). It was drawn from a fresh generator and stratified: validation scores 0.133
    (accuracy) and 0.068 (R²) away from scikit-learn's. A warm-started fit splits from the
    seed, as scikit-learn's."""
    ours, theirs, X, y = pair(
        kind, early_stopping=True, max_iter=8, validation_fraction=0.2, warm_start=True
    )
    weights = {"sample_weight": sample_weights(len(X), seed=3)} if weighted else {}
    for _ in range(2):
        fit_both([ours, theirs], X, y, **weights)
        np.testing.assert_allclose(
            ours.validation_scores_, theirs.validation_scores_, rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
        assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
        assert ours.n_iter_ == theirs.n_iter_ and ours.t_ == theirs.t_
    expected = [w for layer in zip(theirs.coefs_, theirs.intercepts_, strict=True) for w in layer]
    for got, want in zip(ours.model_.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def test_a_binary_classifiers_validation_split_is_scikit_learns_stratified_one():
    """scikit-learn's binary network has one output: its initial weights take 4·5 + 5 + 5 + 1
    draws, and the split is stratified."""
    X, y = X_IRIS[:100], Y_IRIS[:100]
    ours = MLPClassifier(early_stopping=True, validation_fraction=0.2, max_iter=2, **SETTINGS)
    fit_both([ours], X, y)
    _, X_val, _, y_val = scikit_learns_split("classifier", X, y, fraction=0.2, n_outputs=1)
    assert ours.score(X_val, y_val) == ours.best_validation_score_  # the best weights kept
    np.testing.assert_array_equal(ours._validation_split(X, y, None, 0.2)[3][1], X_val)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.ones(5), r"sample_weight.shape == \(5,\), expected \(150,\)!"),
        (np.ones((150, 1)), "Sample weights must be 1D array or scalar"),
        (np.zeros(150), "Sample weights must contain at least one non-zero number"),
        (np.r_[np.ones(149), -1.0], r"partial_fit: sample_weight holds 1 negative weights"),
    ],
)
def test_bad_sample_weights_are_refused(estimator, weights, match):
    """scikit-learn's own errors for the shape and all-zero weights. scikit-learn's MLP
    takes negative weights, dividing a batch's losses by a total that may be 0 or below;
    they are refused here."""
    model = estimator((4,), random_state=0)
    extra = {"classes": [0, 1, 2]} if estimator is MLPClassifier else {}
    with pytest.raises(ValueError, match=match.replace("partial_fit", "fit")):
        model.fit(X_IRIS, Y_IRIS, sample_weight=weights)
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X_IRIS, Y_IRIS, sample_weight=weights, **extra)
    assert not hasattr(model, "model_")


def test_a_batch_whose_weights_sum_to_zero_is_an_error():
    """scikit-learn raises ZeroDivisionError there; the loss is NaN here and named."""
    weights = np.r_[np.zeros(50), np.ones(100)]
    model = MLPClassifier((4,), batch_size=50, shuffle=False, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="or a batch whose sample weights sum to 0"):
        model.fit(X_IRIS, Y_IRIS, sample_weight=weights)


def test_pickling_keeps_alpha_and_what_a_warm_start_goes_on_with():
    ours, theirs, X, y = pair("regressor", alpha=0.3, batch_size=100, max_iter=3, warm_start=True)
    fit_both([ours, theirs], X, y)
    state = ours.__getstate__()  # what pickle does (the test's class is local: unpicklable)
    ours = type(ours).__new__(type(ours))
    ours.__setstate__(state)
    assert ours.model_.alpha == 0.3
    fit_both([ours, theirs], X, y)
    assert_same_state(ours, theirs)


def test_loss_squared_error_is_scikit_learns_default():
    """scikit-learn's name for its regressor's loss: it was an unknown deepgrad loss."""
    ours, theirs, X, y = pair("regressor", loss="squared_error", alpha=0.3, max_iter=3)
    fit_both([ours, theirs], X, y)
    assert_same_state(ours, theirs)


def test_loss_poisson_is_refused_rather_than_taken_for_deepgrads():
    """scikit-learn's loss="poisson" puts an exp on the output (first loss 2.9565 here);
    deepgrad's Poisson loss on the linear output gave a NaN loss at the first epoch."""
    counts = np.random.default_rng(0).poisson(np.exp(0.5 * X_REG[:, 0]))
    theirs = neural_network.MLPRegressor(
        loss="poisson", hidden_layer_sizes=(4,), max_iter=2, random_state=0
    )
    fit_both([theirs], X_REG, counts)
    assert np.all(np.asarray(theirs.predict(X_REG)) > 0)
    with pytest.raises(ValueError, match=r"MLPRegressor: loss='poisson' .* is not supported"):
        MLPRegressor((4,), loss="poisson", max_iter=2, random_state=0).fit(X_REG, counts)


def test_a_column_y_is_fitted_and_predicted_one_d_as_scikit_learn():
    """scikit-learn's MLPRegressor turns y of shape (n, 1) into (n,), with a
    DataConversionWarning, and predicts shape (n,); (n, 1) was predicted here."""
    from sklearn.exceptions import DataConversionWarning

    ours, theirs, X, y = pair("regressor", max_iter=3)
    for model in (ours, theirs):
        with pytest.warns(DataConversionWarning, match="column-vector y"):
            model.fit(X, y[:, None])  # and max_iter's ConvergenceWarning
        assert model.predict(X).shape == (len(X),)
    assert_same_state(ours, theirs)
    for model in (ours, theirs):
        with pytest.warns(DataConversionWarning):
            model.partial_fit(X, y[:, None])
    assert ours.predict(X).shape == theirs.predict(X).shape == (len(X),)
    assert_same_state(ours, theirs)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_initial_weights_are_drawn_as_scikit_learns(estimator, activation):
    """scikit-learn draws every kernel and bias uniform in ±√(6 / (fan_in + fan_out)), or
    ±√(2 / ...) with the logistic activation. Here the kernels were Glorot uniform (the
    ±√(6 / ...) bound with every activation) and the biases 0."""
    theirs = getattr(neural_network, estimator.__name__)(activation=activation)
    theirs._random_state = check_random_state(0)
    ours = estimator((60, 40), activation=activation, random_state=0, dtype="float64")
    ours._seed_streams()
    with ours._drawing():
        weights = ours._build(30, 5).get_weights()
    for fan_in, fan_out, kernel, bias in zip(
        [30, 60, 40], [60, 40, 5], weights[::2], weights[1::2], strict=True
    ):
        want_kernel, want_bias = theirs._init_coef(fan_in, fan_out, np.float64)
        bound = max(np.abs(want_kernel).max(), np.abs(want_bias).max())
        assert np.abs(kernel).max() <= bound * 1.01 and np.abs(bias).max() <= bound * 1.01
        assert np.all(bias != 0)
        # the uniform law on ±bound has a standard deviation of bound/√3 (200 draws or more)
        assert kernel.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_multi_output_regression_gives_scikit_learns_trajectory(early_stopping):
    """scikit-learn reports its squared error as the mean over the outputs but steps on the
    gradient of their sum (its output delta is ŷ - y): with 3 targets the steps here were
    those of the mean, predictions 0.011 away after 6 epochs. Pickled, the model goes on the
    same way."""
    regression = make_regression(200, 4, n_targets=3, random_state=1)
    X, Y = np.asarray(regression[0]), np.asarray(regression[1])
    Y = Y / Y.std(axis=0)
    settings = {**SETTINGS, "alpha": 0.01, "batch_size": 64, "max_iter": 6, "warm_start": True}
    settings["early_stopping"] = early_stopping
    ours = starting_from(MLPRegressor, scikit_learn_initial_weights([4, 5, 3]))(
        dtype="float64", **settings
    )
    theirs = neural_network.MLPRegressor(**settings)
    weights = sample_weights(len(X))
    fit_both([ours, theirs], X, Y, sample_weight=weights)
    assert_same_state(ours, theirs)
    if early_stopping:
        assert ours.validation_scores_ is not None
        expected = np.asarray(theirs.validation_scores_)
        np.testing.assert_allclose(ours.validation_scores_, expected, rtol=1e-10)
    state = ours.__getstate__()  # what pickle does (the test's class is local: unpicklable)
    ours = type(ours).__new__(type(ours))
    ours.__setstate__(state)
    fit_both([ours, theirs], X, Y)
    assert_same_state(ours, theirs)


def test_only_scikit_learns_squared_error_steps_on_the_sum_over_the_targets():
    """A loss of one's own is trained on its own gradient; a warm start that changes the
    loss changes the scale too."""
    regression = make_regression(60, 4, n_targets=3, random_state=1)
    X, Y = np.asarray(regression[0]), np.asarray(regression[1])
    model = MLPRegressor((4,), max_iter=1, warm_start=True, random_state=0)
    fit_both([model], X, Y)
    assert model.model_.data_gradient_scale == 3.0
    fit_both([model.set_params(loss="mse")], X, Y)
    assert model.model_.data_gradient_scale == 1.0
    assert MLPClassifier((4,), max_iter=1).fit(X_IRIS, Y_IRIS).model_.data_gradient_scale == 1.0

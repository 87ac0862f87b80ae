"""A model with two inputs and two outputs trained and evaluated as Keras 3 does: one loss
for every output, per-output sample weights (list or dict), ``<output>_loss`` logs only
when more than one output has a loss, and ``class_weight`` refused. Each case runs Keras
3 (JAX) on the same weights and data and compares the History, the weights and
``evaluate``."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
XA = RNG.normal(size=(10, 3)).astype("float32")
XB = RNG.normal(size=(10, 2)).astype("float32")
YA = RNG.normal(size=(10, 1)).astype("float32")
YB = np.eye(3, dtype="float32")[RNG.integers(0, 3, 10)]
SW_A = RNG.uniform(size=10).astype("float32")
SW_B = RNG.uniform(size=10).astype("float32")
X, Y = [XA, XB], [YA, YB]
XD, YD = {"in_a": XA, "in_b": XB}, {"out_a": YA, "out_b": YB}
TWO_LOSSES = {"loss": ["mse", "categorical_crossentropy"]}


def build(lib):
    """Two named inputs, a shared layer called twice, two named outputs."""
    layers = lib.layers
    a, b = lib.Input((3,), name="in_a"), lib.Input((2,), name="in_b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    ha = shared(layers.Concatenate(name="cat1")([a, layers.Dense(1, name="pb")(b)]))
    hb = shared(layers.Concatenate(name="cat2")([b, layers.Dense(2, name="pa")(a)]))
    h = layers.Concatenate(name="cat")([ha, hb])
    out_a = layers.Dense(1, name="out_a")(h)
    out_b = layers.Dense(3, activation="softmax", name="out_b")(h)
    return lib.Model([a, b], [out_a, out_b])


def weights():
    rng = np.random.default_rng(1)
    return [rng.normal(0, 0.5, w.shape).astype("float32") for w in build(dg).get_weights()]


def run(lib, compile_kwargs, fit_kwargs, jit=None):
    model = build(lib)
    model.set_weights(weights())
    extra = {} if jit is None else {"jit": jit}
    model.compile(optimizer=lib.optimizers.SGD(0.1), **compile_kwargs, **extra)
    history = model.fit(verbose=0, batch_size=4, shuffle=False, **fit_kwargs).history
    evaluated = model.evaluate(
        fit_kwargs["x"],
        fit_kwargs["y"],
        sample_weight=fit_kwargs.get("sample_weight"),
        batch_size=4,
        verbose=0,
        return_dict=True,
    )
    return history, model.get_weights(), evaluated


def keras_run(compile_kwargs, fit_kwargs):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    return run(keras, compile_kwargs, fit_kwargs)


def assert_same(theirs, ours):
    (their_history, their_weights, their_eval), (history, weights_now, evaluated) = theirs, ours
    assert list(history) == list(their_history)
    for key, values in their_history.items():
        np.testing.assert_allclose(history[key], values, rtol=1e-4, atol=1e-6, err_msg=key)
    for theirs_w, ours_w in zip(their_weights, weights_now, strict=True):
        np.testing.assert_allclose(ours_w, theirs_w, rtol=1e-4, atol=1e-6)
    assert sorted(evaluated) == sorted(their_eval)
    for key, value in their_eval.items():
        np.testing.assert_allclose(evaluated[key], value, rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize(
    "compile_kwargs",
    [
        {"loss": "mse"},
        {"loss": dg.losses.MeanSquaredError()},
        {"loss": "mse", "loss_weights": 0.5},
    ],
    ids=["name", "instance", "one-weight"],
)
def test_one_loss_is_every_outputs_loss(compile_kwargs):
    # Keras 3 applies one loss to each output and logs out_a_loss and out_b_loss (with
    # loss_weights=0.5, loss = 0.5 (out_a_loss + out_b_loss)); deepgrad refused both.
    theirs = keras_run(
        {k: "mse" if k == "loss" else v for k, v in compile_kwargs.items()}, {"x": X, "y": Y}
    )
    assert list(theirs[0]) == ["loss", "out_a_loss", "out_b_loss"]
    assert_same(theirs, run(dg, compile_kwargs, {"x": X, "y": Y}))


def test_one_output_with_a_loss_logs_no_output_loss():
    # Keras 3 logs only "loss" when one output has a loss; deepgrad added "out_a_loss".
    theirs = keras_run({"loss": ["mse", None]}, {"x": X, "y": Y})
    assert list(theirs[0]) == ["loss"]
    assert_same(theirs, run(dg, {"loss": ["mse", None]}, {"x": X, "y": Y}))


@pytest.mark.parametrize("jit", [False, True])
def test_sample_weight_per_output_as_a_list(jit):
    # Keras 3 weighs each output's loss (and weighted metrics) by its own array;
    # deepgrad raised "x has 10 samples but sample_weight has 2".
    compile_kwargs = {**TWO_LOSSES, "weighted_metrics": [["mae"], ["accuracy"]]}
    fit_kwargs = {
        "x": X,
        "y": Y,
        "sample_weight": [SW_A, SW_B],
        "validation_data": (X, Y, [SW_B, SW_A]),
    }
    theirs = keras_run(compile_kwargs, fit_kwargs)
    assert_same(theirs, run(dg, compile_kwargs, fit_kwargs, jit=jit))


def test_sample_weight_per_output_as_a_dict_matches_the_list():
    # Keras 3.15 fails inside fit (KeyError: 0) on a dict of sample weights: deepgrad
    # takes it by output name, with the numbers Keras gives the list.
    theirs = keras_run(TWO_LOSSES, {"x": X, "y": Y, "sample_weight": [SW_A, SW_B]})
    by_name = {"out_b": SW_B, "out_a": SW_A}
    assert_same(theirs, run(dg, TWO_LOSSES, {"x": XD, "y": YD, "sample_weight": by_name}))


def test_train_and_test_on_batch_with_sample_weight_per_output():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    results = []
    for lib in (keras, dg):
        model = build(lib)
        model.set_weights(weights())
        model.compile(optimizer=lib.optimizers.SGD(0.1), **TWO_LOSSES)
        trained = model.train_on_batch(X, Y, sample_weight=[SW_A, SW_B], return_dict=True)
        tested = model.test_on_batch(X, Y, sample_weight=[SW_A, SW_B])
        results.append((trained, tested))
    (their_trained, their_tested), (trained, tested) = results
    assert sorted(trained) == sorted(their_trained)
    for key, value in their_trained.items():
        np.testing.assert_allclose(trained[key], value, rtol=1e-5)
    np.testing.assert_allclose(tested, their_tested, rtol=1e-5)


def test_class_weight_is_refused_with_several_outputs():
    # Keras 3: "`class_weight` is only supported for Models with a single output.";
    # deepgrad failed in NumPy (ufunc 'rint' not supported) on the packed targets.
    model = build(dg)
    model.compile(optimizer="sgd", **TWO_LOSSES)
    with pytest.raises(ValueError, match="class_weight is only supported for a model with one"):
        model.fit(X, Y, class_weight={0: 1.0, 1: 2.0}, verbose=0)


def test_sample_weight_must_cover_every_output():
    model = build(dg)
    model.compile(optimizer="sgd", **TWO_LOSSES)
    with pytest.raises(ValueError, match=r"no weights for the outputs \['out_b'\]"):
        model.fit(X, Y, sample_weight={"out_a": SW_A}, verbose=0)
    with pytest.raises(ValueError, match="list of 3 arrays but the model has 2 outputs"):
        model.fit(X, Y, sample_weight=[SW_A, SW_B, SW_A], verbose=0)


def test_one_weight_for_losses_given_per_output_is_refused():
    model = build(dg)
    with pytest.raises(ValueError, match=r"loss_weights=0\.5 is one number"):
        model.compile(optimizer="sgd", loss_weights=0.5, **TWO_LOSSES)


def test_train_on_batch_takes_class_weight_as_keras():
    # Keras 3's train_on_batch(x, y, sample_weight, class_weight, return_dict): deepgrad had
    # no class_weight, so a fourth positional argument became return_dict, unweighted
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.integers(0, 3, 8)
    start = [rng.normal(size=(3, 3)).astype("float32"), np.zeros(3, "float32")]
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    results = []
    for lib in (keras, dg):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(3, activation="softmax")])
        model.set_weights(start)
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        first = model.train_on_batch(x, y, None, class_weight)
        second = model.train_on_batch(x, y, class_weight=class_weight, return_dict=True)
        results.append((first, second["loss"], model.get_weights()))
    (their_first, their_second, their_weights), (first, second, weights_now) = results
    np.testing.assert_allclose(first, their_first, rtol=1e-5)
    np.testing.assert_allclose(second, their_second, rtol=1e-5)
    for ours, theirs in zip(weights_now, their_weights, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_train_on_batch_refuses_class_weight_with_several_outputs_or_sample_weight():
    model = build(dg)
    model.compile(optimizer="sgd", **TWO_LOSSES)
    with pytest.raises(ValueError, match="class_weight is only supported for a model with one"):
        model.train_on_batch(X, Y, class_weight={0: 1.0})
    one = dg.Sequential([dg.Input((3,)), dg.layers.Dense(2, activation="softmax")])
    one.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="give sample_weight or class_weight, not both"):
        one.train_on_batch(XA, np.zeros(10), SW_A, {0: 1.0})


def test_validation_data_as_a_list_of_input_and_target_lists():
    # Keras 3 reads validation_data=[x, y] as (x, y); with lists of inputs and targets
    # deepgrad failed ("validation_data: x: expected an array or list")
    fit_kwargs = {"x": X, "y": Y, "validation_data": [X, Y]}
    theirs = keras_run(TWO_LOSSES, fit_kwargs)
    assert "val_out_b_loss" in theirs[0]
    assert_same(theirs, run(dg, TWO_LOSSES, fit_kwargs))

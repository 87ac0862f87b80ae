"""Keras 3's ``gradient_accumulation_steps``: one update every n steps, from the mean of
their gradients, checked against Keras on JAX (fixed numbers it produced, and Keras run
here when it is installed) through ``apply``, eager and compiled ``fit`` and
``train_on_batch``, and saved and restored mid-accumulation."""

import functools
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers
from deepgrad.optimizers import schedules


def _apply_all(optimizer, weights, gradients, constraint=None):
    """The weights and ``iterations`` after each ``apply`` of one gradient per step."""
    params = [dg.layers.Variable(np.array(w, np.float32), requires_grad=True) for w in weights]
    for param in params:
        param.constraint = constraint
    path = []
    for step in gradients:
        optimizer.apply([np.array(g, np.float32) for g in step], params)
        path.append(([p.numpy().copy() for p in params], optimizer.iterations))
    return path


def _values(path):
    return [[w.tolist() for w in weights] for weights, _ in path]


def test_sgd_updates_every_n_steps_with_the_mean_gradient_as_keras():
    # keras.optimizers.SGD(0.5, gradient_accumulation_steps=2).apply on [1, 2]
    grads = [[[1.0, 0.0]], [[3.0, 2.0]], [[5.0, 5.0]], [[1.0, -1.0]], [[2.0, 2.0]]]
    path = _apply_all(
        optimizers.SGD(learning_rate=0.5, gradient_accumulation_steps=2), [[1, 2]], grads
    )
    assert _values(path) == [[[1.0, 2.0]], [[0.0, 1.5]], [[0.0, 1.5]], [[-1.5, 0.5]], [[-1.5, 0.5]]]
    assert [iterations for _, iterations in path] == [0, 1, 1, 2, 2]


def test_a_schedule_sees_every_step_taken_as_in_keras():
    # Keras: ExponentialDecay(1.0, 1, 0.5) at steps 2 and 5 (0.25, 0.03125), 3 accumulated
    grads = [[[1, 0]], [[3, 2]], [[5, 4]], [[1, -1]], [[2, 2]], [[0, 3]]]
    rate = schedules.ExponentialDecay(1.0, 1, 0.5)
    opt = optimizers.SGD(learning_rate=rate, gradient_accumulation_steps=3)
    path = _apply_all(opt, [[1, 2]], grads)
    np.testing.assert_allclose(path[2][0][0], [0.25, 1.5], rtol=1e-7)
    np.testing.assert_allclose(path[5][0][0], [0.21875, 1.4583333730697632], rtol=1e-7)
    assert [iterations for _, iterations in path] == [0, 0, 1, 1, 1, 2]


def test_constraints_are_applied_at_every_step_as_in_keras():
    # Keras applies a variable's constraint after every apply, also one that only
    # accumulates: v.constraint = lambda v: v * 0.5, SGD(0.5, gradient_accumulation_steps=2)
    opt = optimizers.SGD(learning_rate=0.5, gradient_accumulation_steps=2)
    grads = [[[1, 0]], [[3, 2]], [[5, 5]]]
    path = _apply_all(opt, [[1, 2]], grads, constraint=lambda v: v * 0.5)
    assert _values(path) == [[[0.5, 1.0]], [[-0.25, 0.25]], [[-0.125, 0.125]]]


# (deepgrad's optimizer, Keras' optimizer) for the same rule; Keras' SGD momentum form.
RULES = {
    "sgd": ("SGD", {"learning_rate": 0.1}, {}),
    "sgd_momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}, {"momentum_form": "keras"}),
    "adam": ("Adam", {"learning_rate": 0.01}, {}),
    "adamw_clipnorm_ema": (
        "AdamW",
        {
            "learning_rate": 0.01,
            "weight_decay": 0.1,
            "clipnorm": 1.0,
            "use_ema": True,
            "ema_momentum": 0.5,
            "ema_overwrite_frequency": 2,
        },
        {},
    ),
}


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _pair(keras, rule, steps):
    name, options, ours_only = RULES[rule]
    theirs = getattr(keras.optimizers, name)(gradient_accumulation_steps=steps, **options)
    ours = getattr(optimizers, name)(gradient_accumulation_steps=steps, **options, **ours_only)
    return ours, theirs


@pytest.mark.parametrize("steps", [2, 3])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_apply_matches_keras_step_by_step(rule, steps):
    keras = _keras()
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in ((3, 4), (4,))]
    gradients = [
        [(rng.standard_normal(w.shape) * 3).astype(np.float32) for w in weights] for _ in range(10)
    ]
    ours, theirs = _pair(keras, rule, steps)
    variables = [keras.Variable(w.copy()) for w in weights]
    path = _apply_all(ours, weights, gradients)
    for step, (our_weights, our_iterations) in zip(gradients, path, strict=True):
        theirs.apply([g.copy() for g in step], variables)
        assert our_iterations == int(theirs.iterations)
        for ours_w, variable in zip(our_weights, variables, strict=True):
            np.testing.assert_allclose(ours_w, np.asarray(variable), rtol=1e-5, atol=1e-5)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((70, 3)).astype(np.float32)  # 9 batches of 8: not a multiple
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(np.float32)
    return x, y


@functools.cache
def _keras_fit(rule, steps):
    """Keras' weights before and after a fit of 3 epochs, and its ``iterations``."""
    keras = _keras()
    x, y = _data()
    optimizer = _pair(keras, rule, steps)[1]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=optimizer, loss="mse")
    initial = model.get_weights()
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return initial, model.get_weights(), int(optimizer.iterations)


def _model(optimizer, weights, jit):
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", jit=jit)
    model.build((None, 3))
    model.set_weights(weights)
    return model


@pytest.mark.parametrize("how", ["fit", "fit_jit", "train_on_batch_jit"])
@pytest.mark.parametrize("steps", [2, 3])
@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "adam"])
def test_fit_matches_keras(rule, steps, how):
    keras = _keras()
    x, y = _data()
    ours = _pair(keras, rule, steps)[0]
    initial, expected, their_iterations = _keras_fit(rule, steps)
    model = _model(ours, initial, jit=how != "fit")
    if how.startswith("fit"):
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    else:
        for _ in range(3):
            for start in range(0, len(x), 8):
                model.train_on_batch(x[start : start + 8], y[start : start + 8])
    assert model.optimizer.iterations == their_iterations == 27 // steps
    for ours_w, theirs_w in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(ours_w, theirs_w, rtol=1e-5, atol=3e-5)


def _wide_model(optimizer, jit):
    """128 × 128 kernels: large enough for plain SGD inside the products (``MIN_SIZE``)."""
    dg.random.seed(3)
    model = dg.Sequential([layers.Dense(128, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", jit=jit)
    model.build((None, 128))
    return model


def test_plain_sgd_accumulates_in_a_compiled_step_as_eagerly():
    # A compiled step may apply plain SGD inside the gradient products (the kernel of
    # 128 × 128 here): with accumulation it must not, and the weights follow eager's.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 128)).astype(np.float32)
    y = x[:, :1] - x[:, 1:2]
    models = {
        jit: _wide_model(optimizers.SGD(learning_rate=0.05, gradient_accumulation_steps=2), jit)
        for jit in (False, True)
    }
    before = models[True].get_weights()
    models[True].train_on_batch(x[:8], y[:8])  # accumulated only: the weights stay
    for ours, theirs in zip(models[True].get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    models[False].train_on_batch(x[:8], y[:8])
    for model in models.values():
        model.fit(x[8:], y[8:], batch_size=8, shuffle=False, verbose=0)  # 4 more steps
        assert model.optimizer.iterations == 2
    for ours, theirs in zip(models[True].get_weights(), models[False].get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert models[True]._compiled_steps["train"].descent is None
    # Without accumulation the same model does take the products' path.
    plain = _wide_model(optimizers.SGD(learning_rate=0.05), True)
    plain.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    descent = plain._compiled_steps["train"].descent
    assert descent is not None and descent.applied


def test_saved_mid_accumulation_resumes_bit_for_bit(tmp_path):
    x, y = _data()
    dg.random.seed(3)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(gradient_accumulation_steps=3), loss="mse")
    model.fit(x[:32], y[:32], batch_size=8, epochs=1, shuffle=False, verbose=0)  # 4 steps
    state = model.optimizer.state_arrays()
    assert int(state["iterations"]) == 4 and model.optimizer.iterations == 1  # as Keras
    assert np.any(state["0.gradient_accumulator"] != 0)  # the 4th step's gradient
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    assert restored.optimizer.get_config()["gradient_accumulation_steps"] == 3
    assert restored.optimizer.get_config() == model.optimizer.get_config()
    for resumed in (model, restored):
        resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert restored.optimizer.iterations == model.optimizer.iterations == (4 + 18) // 3
    for ours, theirs in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_config_round_trip_and_keras_config():
    opt = optimizers.get({"class_name": "SGD", "config": {"gradient_accumulation_steps": 4}})
    assert opt.gradient_accumulation_steps == 4
    assert optimizers.get(optimizers.serialize(opt)).gradient_accumulation_steps == 4
    assert optimizers.Adam().get_config()["gradient_accumulation_steps"] is None


def test_setting_iterations_counts_updates():
    opt = optimizers.SGD(
        learning_rate=schedules.ExponentialDecay(1.0, 1, 0.5), gradient_accumulation_steps=2
    )
    opt.iterations = 3  # three updates made: six steps taken, which the schedule sees
    assert opt.iterations == 3
    assert opt.current_learning_rate() == 0.5**6


@pytest.mark.parametrize("steps", [1, -2, 2.5, True, "2"])
def test_gradient_accumulation_steps_must_be_an_integer_of_at_least_2(steps):
    with pytest.raises(
        ValueError, match=r"Adam: gradient_accumulation_steps must be None or an integer >= 2"
    ):
        optimizers.Adam(gradient_accumulation_steps=steps)


def test_lbfgs_does_not_take_it():
    with pytest.raises(TypeError, match="gradient_accumulation_steps"):
        optimizers.LBFGS(gradient_accumulation_steps=2)

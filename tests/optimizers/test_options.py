"""What every optimizer shares: names in compile, state saved and restored bit for bit,
weight decay (coupled and decoupled), clipping, the moving average of the weights, one
buffer per dtype, and the errors."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers
from deepgrad.optimizers import schedules

FIT_NAMES = sorted(optimizers.OPTIMIZERS)  # fit gives L-BFGS its closure


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype(np.float32)
    return x, y


def _model(optimizer):
    dg.random.seed(3)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


@pytest.mark.parametrize("name", FIT_NAMES)
def test_compile_by_name_and_resume_from_a_saved_file_bit_for_bit(name, tmp_path):
    x, y = _data()
    model = _model(name)
    assert type(model.optimizer) is optimizers.OPTIMIZERS[name]
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    assert restored.optimizer.iterations == model.optimizer.iterations >= 8
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    restored.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_schedule_and_options_survive_saving(tmp_path):
    x, y = _data()
    opt = optimizers.Adam(
        learning_rate=schedules.Warmup(schedules.CosineDecay(0.01, 100), 5),
        global_clipnorm=1.0,
        use_ema=True,
        ema_momentum=0.9,
    )
    model = _model(opt)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg").optimizer
    assert restored.get_config() == opt.get_config()
    assert restored.current_learning_rate() == opt.current_learning_rate()


def test_lbfgs_state_round_trip():
    def problem(params):
        return ((params[0] - 3.0) ** 2).sum() + (params[0] ** 4).sum() * 0.01

    def run(opt, params, steps):
        def closure():
            opt.zero_grad()
            loss = problem(params)
            loss.backward()
            return loss

        for _ in range(steps):
            opt.step(closure)

    params = [dg.tensor(np.zeros(3), dtype="float64", requires_grad=True)]
    opt = optimizers.LBFGS(params, max_iter=2, history_size=3)
    run(opt, params, 2)
    copy = [dg.tensor(params[0].numpy(), dtype="float64", requires_grad=True)]
    resumed = optimizers.LBFGS(copy, max_iter=2, history_size=3)
    resumed.load_state_arrays(opt.state_arrays())
    run(opt, params, 2)
    run(resumed, copy, 2)
    np.testing.assert_array_equal(params[0].numpy(), copy[0].numpy())


def test_state_with_the_wrong_shape_is_refused_and_nothing_changes():
    params = [dg.tensor(np.ones(3), requires_grad=True)]
    opt = optimizers.Adam(params)
    state = opt.state_arrays()
    state["0.m"] = np.ones(4, np.float32)
    with pytest.raises(ValueError, match=r"Adam: optimizer state '0.m' has shape \(4,\)"):
        opt.load_state_arrays(state)
    assert opt.iterations == 0 and not opt.state[0]["m"].any()


def _one_step(opt_factory, values, gradients):
    params = [dg.tensor(v, dtype="float64", requires_grad=True) for v in values]
    opt = opt_factory(params)
    for p, g in zip(params, gradients, strict=True):
        p.grad.data[...] = g
    opt.step()
    return [p.numpy() for p in params]


def test_coupled_and_decoupled_weight_decay():
    theta, g = [np.array([1.0, -2.0])], [np.array([0.5, 0.5])]
    # Coupled: the rule sees g + λθ.
    coupled = _one_step(lambda p: optimizers.SGD(p, 0.1, weight_decay=0.2), theta, g)
    np.testing.assert_allclose(coupled[0], theta[0] - 0.1 * (g[0] + 0.2 * theta[0]))
    # Decoupled: θ ← θ − ηλθ, then the rule with g alone; for Adam that differs.
    decoupled = _one_step(lambda p: optimizers.Adam(p, 0.1, decoupled_weight_decay=0.2), theta, g)
    adamw = _one_step(lambda p: optimizers.AdamW(p, 0.1, weight_decay=0.2), theta, g)
    np.testing.assert_array_equal(decoupled[0], adamw[0])
    # Adam's first step is −η·sign(g): decay shrinks θ first.
    np.testing.assert_allclose(adamw[0], theta[0] * (1 - 0.1 * 0.2) - 0.1, rtol=1e-7)
    coupled_adam = _one_step(lambda p: optimizers.Adam(p, 0.1, weight_decay=0.2), theta, g)
    assert not np.allclose(coupled_adam[0], adamw[0])


def test_clipping_per_parameter_by_value_and_globally():
    values = [np.zeros(2), np.zeros(2)]
    grads = [np.array([3.0, 4.0]), np.array([0.3, 0.4])]  # norms 5 and 0.5
    clipped = _one_step(lambda p: optimizers.SGD(p, 1.0, clipnorm=1.0), values, grads)
    np.testing.assert_allclose(clipped[0], [-0.6, -0.8])  # rescaled to norm 1
    np.testing.assert_allclose(clipped[1], [-0.3, -0.4])  # already below: unchanged
    by_value = _one_step(lambda p: optimizers.SGD(p, 1.0, clipvalue=0.35), values, grads)
    np.testing.assert_allclose(np.concatenate(by_value), [-0.35, -0.35, -0.3, -0.35])
    total = np.sqrt(25 + 0.25)
    globally = _one_step(lambda p: optimizers.SGD(p, 1.0, global_clipnorm=1.0), values, grads)
    np.testing.assert_allclose(np.concatenate(globally), -np.concatenate(grads) / total)
    with pytest.raises(ValueError, match="only one of clipvalue, clipnorm and global_clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)


@pytest.mark.parametrize(
    "clips",
    [
        {"clipvalue": 1.0, "clipnorm": 1.0},
        {"clipvalue": 1.0, "global_clipnorm": 1.0},
        {"clipvalue": 0.5, "clipnorm": 1.0, "global_clipnorm": 2.0},
    ],
)
def test_two_clippings_are_refused_as_keras_refuses_them(clips):
    # deepgrad applied clipvalue, then clipnorm (or the global norm), in an order no
    # argument says; Keras 3 raises "Only one of clipnorm, clipvalue and global_clipnorm".
    with pytest.raises(ValueError, match=r"Adam: only one of .* got clipvalue="):
        optimizers.Adam(**clips)
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Only one of"):
        keras.optimizers.Adam(**clips)


@pytest.mark.parametrize("clip", ["clipvalue", "clipnorm", "global_clipnorm"])
def test_a_clipping_threshold_of_zero_clips_nothing_as_keras(clip):
    """Keras 3.15 clips only with a threshold > 0: SGD(0.1, clipnorm=0.0) takes
    [1, 2] with the gradient [3, −4] to [0.7, 2.4]; deepgrad scaled the gradient by 0 (or
    clipped it to [0, 0]) and left [1, 2]."""
    w = dg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    opt = optimizers.SGD(learning_rate=0.1, **{clip: 0.0})
    opt.apply([np.array([3.0, -4.0], np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), [0.7, 2.4], rtol=1e-6)


@pytest.mark.parametrize("clip", ["clipvalue", "clipnorm", "global_clipnorm"])
def test_a_negative_clipping_threshold_is_refused(clip):
    """Keras ignores it (no clipping); deepgrad reversed or flipped the gradient: with
    clipnorm=-1 the same step went to [1.06, 1.92], uphill."""
    with pytest.raises(ValueError, match=rf"SGD: {clip} must be None, 0 .* got -1.0"):
        optimizers.SGD(learning_rate=0.1, **{clip: -1.0})


def test_a_learning_rate_given_as_a_string_is_refused_as_keras_refuses_it():
    with pytest.raises(ValueError, match=r"Adam: learning_rate must be .* got '0.1'"):
        optimizers.Adam(learning_rate="0.1")


def test_moving_average_of_the_weights():
    theta = dg.tensor(np.array([0.0]), dtype="float64", requires_grad=True)
    opt = optimizers.SGD([theta], 1.0, use_ema=True, ema_momentum=0.5)
    average = None
    for _ in range(3):
        theta.grad.data[...] = -1.0
        opt.step()
        value = theta.numpy()[0]  # Keras': the first step's average is θ₁ itself
        average = value if average is None else 0.5 * average + 0.5 * value
    assert theta.numpy()[0] == 3.0 and average == (0.5 * 1 + 0.5 * 2) * 0.5 + 0.5 * 3
    with opt.averaged_weights():
        assert theta.numpy()[0] == average
    assert theta.numpy()[0] == 3.0
    opt.finalize_weights()
    assert theta.numpy()[0] == average


def test_fit_ends_holding_the_averaged_weights():
    x, y = _data()
    model = _model(optimizers.SGD(learning_rate=0.05, use_ema=True, ema_momentum=0.9))
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    ema = model.optimizer.state[0]["ema"]
    np.testing.assert_array_equal(np.concatenate([w.ravel() for w in model.get_weights()]), ema)


def test_fit_validates_with_the_model_weights_not_their_moving_average_as_keras():
    """Keras 3.15 validates with the model's own weights during ``fit`` (its
    ``SwapEMAWeights`` callback swaps the average in); deepgrad validated with the moving
    average: val_loss 1.8854, 1.2198 against Keras' 1.4461, 1.0334 below."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    xv = rng.normal(size=(8, 3)).astype("float32")
    yv = rng.normal(size=(8, 1)).astype("float32")
    kernel = rng.normal(size=(3, 1)).astype("float32")
    model = dg.models.Sequential([dg.layers.Input((3,)), dg.layers.Dense(1)])
    model.set_weights([kernel, np.zeros(1, "float32")])
    model.compile(optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5), "mse")
    history = model.fit(
        x, y, batch_size=4, epochs=2, validation_data=(xv, yv), verbose=0, shuffle=False
    )
    # keras.Sequential([Input((3,)), Dense(1)]), the same weights, SGD(0.1, use_ema=True,
    # ema_momentum=0.5), the same fit, on JAX
    keras_val_loss = [1.44613778591156, 1.0333898067474365]
    np.testing.assert_allclose(history.history["val_loss"], keras_val_loss, rtol=1e-6)
    # the model ends holding the average, which evaluate then uses, as in Keras
    assert model.evaluate(xv, yv, verbose=0) == pytest.approx(1.2198119163513184, rel=1e-6)


def test_fit_of_zero_epochs_leaves_the_weights_as_keras():
    """Keras 3.15 overwrites the weights with their moving average at the end of a fit of
    at least one epoch (``epochs > 0``, also when ``initial_epoch`` has reached it);
    deepgrad also did for ``epochs=0``, after train_on_batch: kernel [0.6232, -0.1279,
    1.5667] where Keras keeps [0.7009, -0.0961, 1.5666] (the numbers below, from Keras)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    kernel = rng.normal(size=(3, 1)).astype("float32")
    model = dg.models.Sequential([dg.layers.Input((3,)), dg.layers.Dense(1)])
    model.set_weights([kernel, np.zeros(1, "float32")])
    model.compile(optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5), "mse")
    for _ in range(3):
        model.train_on_batch(x[:4], y[:4])
    trained = [0.7008821, -0.09614248, 1.566616]
    model.fit(x, y, epochs=0, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0].ravel(), trained, rtol=1e-6)
    model.fit(x, y, epochs=1, initial_epoch=1, verbose=0)  # no epoch run; the average taken
    averaged = [0.62315357, -0.12787278, 1.5667057]
    np.testing.assert_allclose(model.get_weights()[0].ravel(), averaged, rtol=1e-6)


def test_one_buffer_per_dtype():
    params = [
        dg.tensor(np.ones(2), dtype="float32", requires_grad=True),
        dg.tensor(np.ones(3), dtype="float64", requires_grad=True),
        dg.tensor(np.ones(4), dtype="float32", requires_grad=True),
    ]
    opt = optimizers.Adam(params, 0.1)
    assert [g.values.dtype for g in opt.flat.groups] == [np.float32, np.float64]
    assert [g.values.size for g in opt.flat.groups] == [6, 3]
    for p in params:
        p.grad.data[...] = 1.0
    opt.step()
    for p in params:
        assert p.dtype == p.grad.dtype
        np.testing.assert_allclose(p.numpy(), 0.9, rtol=1e-6)
    opt.zero_grad()
    assert all(not p.grad.numpy().any() for p in params)


def test_errors_name_the_optimizer_and_the_fix():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; known: sgd"):
        optimizers.get("adamm")
    with pytest.raises(RuntimeError, match=r"SGD: no parameters; pass them"):
        optimizers.SGD().step()
    with pytest.raises(ValueError, match="nesterov=True needs momentum"):
        optimizers.SGD(momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match="Adam: betas must be in"):
        optimizers.Adam(beta_1=1.0)
    params = [dg.tensor(np.ones(2), requires_grad=True)]
    with pytest.raises(ValueError, match=r"LBFGS\.step needs a closure"):
        optimizers.LBFGS(params).step()
    assert optimizers.Adam(0.001).learning_rate == 0.001  # Keras' habit: accepted
    with pytest.raises(TypeError, match=r"pass a function by name: SGD\(learning_rate="):
        optimizers.SGD(lambda step: 0.1)
    with pytest.raises(TypeError, match="parameters must be Tensors, got ndarray"):
        optimizers.Adam([np.ones(2)])


def test_freezing_a_bound_parameter_is_an_error_that_says_what_to_do():
    params = [dg.tensor(np.ones(2), requires_grad=True), dg.tensor(np.ones(3), requires_grad=True)]
    opt = optimizers.Adam(params, 0.1)
    params[0].requires_grad = False
    with pytest.raises(RuntimeError, match=r"shape \(2,\) no longer requires grad.*build the"):
        opt.step()
    rebuilt = optimizers.Adam(params[1:], 0.1)  # a new optimizer for what is still trained
    params[1].grad = dg.tensor(np.ones(3, np.float32))
    rebuilt.step()
    np.testing.assert_allclose(params[1].numpy(), 0.9, rtol=1e-6)


def test_asgd_evaluates_with_the_polyak_ruppert_average():
    theta = dg.tensor(np.array([0.0]), dtype="float64", requires_grad=True)
    opt = optimizers.ASGD([theta], 1.0, lambd=0.0, t0=0)
    for _ in range(4):  # θ: 1, 2, 3, 4
        theta.grad.data[...] = -1.0
        opt.step()
    assert theta.numpy()[0] == 4.0
    with opt.averaged_weights():  # PyTorch's indexing: the average of θ_{t0+2}, ..., θ_4
        assert theta.numpy()[0] == pytest.approx((2 + 3 + 4) / 3)
    assert theta.numpy()[0] == 4.0


@pytest.mark.parametrize("nesterov", [False, True])
def test_keras_and_pytorch_momentum_forms_agree_at_a_constant_rate(nesterov):
    rng = np.random.default_rng(0)
    gradients = [[rng.standard_normal(3)] for _ in range(20)]

    def path(form, rate):
        theta = dg.tensor(np.ones(3), dtype="float64", requires_grad=True)
        opt = optimizers.SGD([theta], rate, momentum=0.9, nesterov=nesterov, momentum_form=form)
        for (g,) in gradients:
            theta.grad.data[...] = g
            opt.step()
        return theta.numpy()

    np.testing.assert_allclose(path("keras", 0.1), path("pytorch", 0.1), rtol=1e-12)
    # Under a schedule they differ: PyTorch's form applies today's η to the whole velocity.
    drop = schedules.PiecewiseConstant([10], [0.1, 0.01])
    assert not np.allclose(path("keras", drop), path("pytorch", drop))


def test_sutskever_form_by_hand():
    # v₁ = −0.1·2 = −0.2, θ₁ = 0.8; v₂ = 0.9·(−0.2) − 0.01·(−1) = −0.17, θ₂ = 0.63
    # (the rate drops to 0.01 at step 2: the velocity keeps the old rate's size).
    theta = dg.tensor(np.array([1.0]), dtype="float64", requires_grad=True)
    rate = schedules.PiecewiseConstant([1], [0.1, 0.01])
    opt = optimizers.SGD([theta], rate, momentum=0.9, momentum_form="keras")
    path = []
    for g in (2.0, -1.0):
        theta.grad.data[...] = g
        opt.step()
        path.append(theta.numpy()[0])
    assert path == pytest.approx([0.8, 0.63])


def test_fit_with_lbfgs_full_batch():
    x, y = _data()
    dg.random.seed(3)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(
        optimizer=optimizers.LBFGS(max_iter=20, line_search_fn="strong_wolfe"), loss="mse"
    )
    history = model.fit(x, y, epochs=3, batch_size=None, verbose=0)
    assert history.history["loss"][0] > 0.1
    assert model.evaluate(x, y, verbose=0) < 1e-8  # least squares: solved exactly


def test_moving_average_and_global_clipnorm_match_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    gradients = [rng.standard_normal(5) * 3 for _ in range(8)]
    theirs = keras.Variable(np.ones(5))
    keras_sgd = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9, global_clipnorm=1.0)
    theta = dg.tensor(np.ones(5), dtype="float64", requires_grad=True)
    ours = optimizers.SGD([theta], 0.1, use_ema=True, ema_momentum=0.9, global_clipnorm=1.0)
    for g in gradients:
        keras_sgd.apply([g], [theirs])
        theta.grad.data[...] = g
        ours.step()
    np.testing.assert_allclose(theta.numpy(), np.asarray(theirs), rtol=1e-6)
    keras_sgd.finalize_variable_values([theirs])
    ours.finalize_weights()
    np.testing.assert_allclose(theta.numpy(), np.asarray(theirs), rtol=1e-6)


def test_global_clipnorm_of_float32_gradients_beyond_float32s_square():
    theta = dg.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = optimizers.SGD([theta], 0.1, global_clipnorm=1.0)
    theta.grad.data[...] = np.float32(5e19)
    opt.step()
    np.testing.assert_allclose(theta.numpy(), 1.0 - 0.1 / np.sqrt(2.0), rtol=1e-6)


def test_rmsprop_momentum_in_keras_form_matches_keras_under_a_schedule():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    gradients = [rng.standard_normal(5) for _ in range(12)]
    keras_rate = keras.optimizers.schedules.PiecewiseConstantDecay([4, 8], [0.1, 0.01, 0.05])
    theirs = keras.Variable(np.ones(5))
    keras_rmsprop = keras.optimizers.RMSprop(keras_rate, rho=0.9, momentum=0.9, epsilon=1e-30)
    rate = schedules.PiecewiseConstantDecay([4, 8], [0.1, 0.01, 0.05])
    theta = dg.tensor(np.ones(5), dtype="float64", requires_grad=True)
    ours = optimizers.RMSprop(
        [theta], rate, rho=0.9, momentum=0.9, epsilon=1e-30, momentum_form="keras"
    )
    for g in gradients:
        keras_rmsprop.apply([g], [theirs])
        theta.grad.data[...] = g
        ours.step()
    np.testing.assert_allclose(theta.numpy(), np.asarray(theirs), rtol=1e-5)


def test_a_numpy_number_is_a_learning_rate_as_a_python_float_is():
    assert optimizers.Adam(np.float32(0.01)).learning_rate == pytest.approx(0.01)
    assert optimizers.SGD(np.float64(0.1)).learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize("name", [name for name in optimizers.OPTIMIZERS if name != "lbfgs"])
def test_from_config_rebuilds_the_optimizer_as_keras_does(name):
    # Keras' Optimizer.from_config(get_config()), a schedule read back from its config;
    # deepgrad had no from_config (an AttributeError)
    cls = optimizers.OPTIMIZERS[name]
    options = {"clipnorm": 0.5, "use_ema": True, "gradient_accumulation_steps": 3}
    opt = cls(learning_rate=schedules.ExponentialDecay(0.1, 2.5, 0.5), **options)
    rebuilt = cls.from_config(opt.get_config())
    assert type(rebuilt) is cls
    assert rebuilt.get_config() == opt.get_config()
    assert rebuilt.learning_rate(3) == pytest.approx(0.1 * 0.5**1.2)


def test_from_config_of_lbfgs():
    opt = optimizers.LBFGS(learning_rate=0.5, history_size=7, line_search_fn="strong_wolfe")
    assert optimizers.LBFGS.from_config(opt.get_config()).get_config() == opt.get_config()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Lion"])
def test_a_weight_decay_of_none_is_no_decay_as_keras_writes_it(name):
    """Keras' configs hold weight_decay=None; float(None) raised a bare TypeError."""
    cls = getattr(dg.optimizers, name)
    w = dg.tensor(np.ones(3), requires_grad=True)
    decayed_none = cls([w], learning_rate=0.1, weight_decay=None)
    w.grad = dg.tensor(np.full(3, 0.5))
    decayed_none.step()
    v = dg.tensor(np.ones(3), requires_grad=True)
    plain = cls([v], learning_rate=0.1, weight_decay=0.0)
    v.grad = dg.tensor(np.full(3, 0.5))
    plain.step()
    assert decayed_none.weight_decay == 0.0 and decayed_none.decoupled_weight_decay == 0.0
    assert np.array_equal(w.numpy(), v.numpy())


def test_momentum_and_lion_betas_above_one_are_refused_as_keras_refuses_them():
    # Above 1 the velocity grows at every step; deepgrad took SGD(momentum=1.5) and
    # Lion(beta_1=1.5) and diverged, where Keras 3 raises.
    with pytest.raises(ValueError, match=r"SGD: momentum must be in \[0, 1\], got 1.5"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"Lion: betas must be in \[0, 1\], got 1.5"):
        optimizers.Lion(beta_1=1.5)
    assert optimizers.SGD(momentum=1.0).momentum == 1.0  # Keras' bound is inclusive

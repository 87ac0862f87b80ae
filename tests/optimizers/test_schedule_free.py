"""Schedule-free SGD and AdamW: Keras' ScheduleFreeAdamW numbers, the paper's algorithm
(as the authors' reference implementation writes it, x, y and z explicit), convergence,
the state through saving, and a compiled fit equal to the eager one."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers
from deepgrad.compiler.plan import Plan
from deepgrad.optimizers import schedules

START = np.array([0.5, -1.0, 2.0, 0.25])
GRADIENTS = np.array(
    [
        [0.3, -0.2, 1.5, 0.0],
        [-0.1, 0.4, 0.7, 2.0],
        [0.2, 0.2, -0.6, -1.0],
        [0.05, -0.3, 0.1, 0.5],
        [-0.4, 0.1, 0.3, -0.2],
    ]
)
PLAIN = {"learning_rate": 0.1}
WARMED = {"learning_rate": 0.1, "warmup_steps": 3, "weight_decay": 0.2, "beta_1": 0.8}

# Produced with Keras 3.15 on JAX, JAX_ENABLE_X64=1 and keras.config.set_floatx("float64"):
#   v = keras.Variable(START, dtype="float64")
#   opt = keras.optimizers.ScheduleFreeAdamW(**settings)
#   for g in GRADIENTS: opt.apply([g], [v])
# then v (y), opt._momentums[0] (z) and opt._velocities[0] (v).
KERAS_FLOAT64 = {
    "plain": (
        [0.4107495997221907, -1.0116572066152993, 1.8730114812299004, 0.1690007455160646],
        [0.4882177486445092, -1.0310941809726084, 1.8503523151049468, 0.1618684909958317],
    ),
    "warmup and decay": (
        [0.45599269731592595, -1.004576820199422, 1.87701949082722, 0.19955900155966017],
        [0.5399743100948402, -1.055603469798384, 1.9369571967864967, 0.2089971561552406],
    ),
}
KERAS_VELOCITY = [
    0.00030202810963009025,
    0.00033919075968004035,
    0.003188815320512253,
    0.005275762996000004,
]
# The same in float32 (no JAX_ENABLE_X64, float32 variable and gradients): y only.
KERAS_FLOAT32 = {
    "plain": [0.41074923, -1.0116571, 1.8730118, 0.16900134],
    "warmup and decay": [0.45599234, -1.0045769, 1.8770196, 0.19955947],
}
SETTINGS = {"plain": PLAIN, "warmup and decay": WARMED}


def _run_adamw(settings: dict, dtype: str):
    w = dg.tensor(START.astype(dtype), dtype=dtype, requires_grad=True)
    opt = optimizers.ScheduleFreeAdamW([w], **settings)
    for gradient in GRADIENTS:
        opt.apply([gradient.astype(dtype)])
    return w.numpy(), opt


@pytest.mark.parametrize("case", list(SETTINGS))
def test_schedule_free_adamw_takes_keras_steps_in_float64(case):
    y, opt = _run_adamw(SETTINGS[case], "float64")
    keras_y, keras_z = KERAS_FLOAT64[case]
    np.testing.assert_allclose(y, keras_y, rtol=1e-14)
    np.testing.assert_allclose(opt.state[0]["z"], keras_z, rtol=1e-14)
    np.testing.assert_allclose(opt.state[0]["v"], KERAS_VELOCITY, rtol=1e-14)


@pytest.mark.parametrize("case", list(SETTINGS))
def test_schedule_free_adamw_takes_keras_steps_in_float32(case):
    # Keras' float32 (XLA's) is up to 4e-6 (relative) from the float64 values, deepgrad's
    # float32 within 1e-6 of them.
    y, _ = _run_adamw(SETTINGS[case], "float32")
    np.testing.assert_allclose(y, KERAS_FLOAT32[case], rtol=1e-5)
    np.testing.assert_allclose(y, KERAS_FLOAT64[case][0], rtol=1e-6)


def test_schedule_free_adamw_against_keras_run_here():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    start = rng.standard_normal(6).astype(np.float32)
    gradients = rng.standard_normal((12, 6)).astype(np.float32)
    settings = {"learning_rate": 0.05, "beta_1": 0.7, "warmup_steps": 4, "weight_decay": 0.1}
    variable = keras.Variable(start)
    keras_opt = keras.optimizers.ScheduleFreeAdamW(**settings)
    w = dg.tensor(start.copy(), requires_grad=True)
    opt = optimizers.ScheduleFreeAdamW([w], **settings)
    for gradient in gradients:
        keras_opt.apply([gradient], [variable])
        opt.apply([gradient.copy()])
    np.testing.assert_allclose(w.numpy(), np.asarray(variable.numpy()), rtol=1e-5, atol=1e-6)


def test_schedule_free_adamw_x_is_the_mean_of_the_z_sequence():
    # Keras' averaging weight is 1/t: x = (y − (1 − β₁)z)/β₁ is the plain mean of z₁..z_T.
    w = dg.tensor(START.copy(), dtype="float64", requires_grad=True)
    opt = optimizers.ScheduleFreeAdamW([w], learning_rate=0.1, beta_1=0.9)
    zs = []
    for gradient in GRADIENTS:
        opt.apply([gradient])
        zs.append(opt.state[0]["z"].copy())
    x = (w.numpy() - 0.1 * opt.state[0]["z"]) / 0.9
    np.testing.assert_allclose(x, np.mean(zs, axis=0), rtol=1e-13)


# ---- schedule-free SGD against the paper's algorithm -------------------------------------


def _reference_sgd(gradient_at, start, steps, lr, momentum, warmup, r, power, decay):
    """The paper's Algorithm 1 with warmup and weighted averaging, as the authors'
    SGDScheduleFreeReference writes it: x, y and z explicit, c_{t+1} = w_t / Σw,
    w_t = (t+1)^r · (max γ)^p, γ_t = lr(t)·min((t+1)/warmup, 1) (k = t from 0)."""
    z, x, y = start.copy(), start.copy(), start.copy()
    weight_sum, lr_max = 0.0, -1.0
    for k in range(steps):
        scheduled = lr(k) * ((k + 1) / warmup if k < warmup else 1.0)
        lr_max = max(scheduled, lr_max)
        weight = (k + 1) ** r * lr_max**power
        weight_sum += weight
        c = weight / weight_sum if weight_sum else 0.0
        gradient = gradient_at(y) + decay * y
        z = z - scheduled * gradient
        x = (1 - c) * x + c * z
        y = momentum * x + (1 - momentum) * z
    return y, z


def _quadratic_gradient(theta):
    hessian = np.diag([3.0, 1.0, 0.5, 2.0])
    return hessian @ (theta - np.array([1.0, -2.0, 0.5, 0.0]))


SGD_CASES = {
    "defaults (c = 1/t)": {},
    "warmup, γ² weights": {"warmup_steps": 5},
    "polynomial weights, β = 0.5": {"r": 1.0, "momentum": 0.5, "warmup_steps": 2},
    "no γ weighting, L2 decay": {"weight_lr_power": 0.0, "warmup_steps": 4, "weight_decay": 0.1},
    "a decaying schedule": {"warmup_steps": 3, "schedule": True},
}


@pytest.mark.parametrize("case", list(SGD_CASES))
def test_schedule_free_sgd_follows_the_papers_algorithm(case):
    options = dict(SGD_CASES[case])
    rate = 0.2
    learning_rate = rate
    if options.pop("schedule", False):
        learning_rate = schedules.ExponentialDecay(rate, decay_steps=4, decay_rate=0.5)
    theta = dg.tensor(START.copy(), dtype="float64", requires_grad=True)
    opt = optimizers.ScheduleFreeSGD([theta], learning_rate=learning_rate, **options)
    steps = 20
    for _ in range(steps):
        opt.apply([_quadratic_gradient(theta.numpy())])
    expected_y, expected_z = _reference_sgd(
        _quadratic_gradient,
        START,
        steps,
        lr=(lambda k: float(learning_rate(k))) if callable(learning_rate) else (lambda k: rate),
        momentum=options.get("momentum", 0.9),
        warmup=options.get("warmup_steps", 0),
        r=options.get("r", 0.0),
        power=options.get("weight_lr_power", 2.0),
        decay=options.get("weight_decay", 0.0),
    )
    np.testing.assert_allclose(theta.numpy(), expected_y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(opt.state[0]["z"], expected_z, rtol=1e-12, atol=1e-14)


def test_schedule_free_sgd_first_steps_by_hand():
    # g = 2θ, η = 0.1, β = 0.9 from θ = 1. Step 1 (c = 1): z₁ = x₁ = y₁ = 0.8. Step 2
    # (c = ½), g = 1.6: z₂ = 0.64, x₂ = (0.8 + 0.64)/2 = 0.72, y₂ = 0.9·0.72 + 0.1·0.64.
    theta = dg.tensor([1.0], dtype="float64", requires_grad=True)
    opt = optimizers.ScheduleFreeSGD([theta], learning_rate=0.1)
    opt.apply([2 * theta.numpy()])
    np.testing.assert_allclose(theta.numpy(), [0.8])
    opt.apply([np.array([1.6])])  # the gradient at y₁ = 0.8
    np.testing.assert_allclose(theta.numpy(), [0.712])
    np.testing.assert_allclose(opt.state[0]["z"], [0.64])


@pytest.mark.parametrize("make", [optimizers.ScheduleFreeSGD, optimizers.ScheduleFreeAdamW])
def test_converges_on_a_convex_quadratic_in_float32(make):
    theta = dg.tensor(np.array([3.0, -3.0], np.float32), requires_grad=True)
    hessian = np.diag([2.0, 0.5]).astype(np.float32)
    opt = make([theta], learning_rate=0.05)
    for _ in range(3000):
        opt.apply([hessian @ theta.numpy()])
    assert np.linalg.norm(theta.numpy()) < 1e-3


# ---- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: optimizers.ScheduleFreeSGD(momentum=0.0), "momentum must be in"),
        (lambda: optimizers.ScheduleFreeSGD(momentum=1.0), "momentum must be in"),
        (lambda: optimizers.ScheduleFreeAdamW(beta_1=0.0), "beta_1 must be in"),
        (lambda: optimizers.ScheduleFreeAdamW(beta_2=1.0), "beta_2 in"),
        (lambda: optimizers.ScheduleFreeAdamW(warmup_steps=-1), "warmup_steps must be"),
        (lambda: optimizers.ScheduleFreeSGD(warmup_steps=2.5), "warmup_steps must be"),  # type: ignore[arg-type]
    ],
)
def test_arguments_out_of_range_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_adamw_refuses_a_second_weight_decay_argument():
    with pytest.raises(TypeError, match="already decoupled"):
        optimizers.ScheduleFreeAdamW(decoupled_weight_decay=0.1)


def test_keras_names_and_config_round_trip():
    opt = optimizers.get("schedulefreeadamw")
    assert isinstance(opt, optimizers.ScheduleFreeAdamW)
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (0.0025, 0.9, 0.999, 1e-8)
    for made in (
        optimizers.ScheduleFreeAdamW(learning_rate=0.01, warmup_steps=7, weight_decay=0.05),
        optimizers.ScheduleFreeSGD(learning_rate=0.3, momentum=0.8, r=1.0, weight_lr_power=1.0),
    ):
        rebuilt = optimizers.get(optimizers.serialize(made))
        assert type(rebuilt) is type(made)
        assert rebuilt.get_config() == made.get_config()
    assert rebuilt.get_config()["weight_decay"] == 0.0
    decayed = optimizers.get(optimizers.serialize(optimizers.ScheduleFreeAdamW(weight_decay=0.05)))
    assert decayed.decoupled_weight_decay == 0.05


# ---- state through saving, and the compiled fit ------------------------------------------


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    return x, (x @ rng.standard_normal((5, 1))).astype(np.float32)


def _model(optimizer, jit=False):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(8, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", jit=jit)
    return model


MAKERS = {
    "sgd": lambda: optimizers.ScheduleFreeSGD(learning_rate=0.05, warmup_steps=3),
    "adamw": lambda: optimizers.ScheduleFreeAdamW(
        learning_rate=0.01, warmup_steps=3, weight_decay=0.01
    ),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_state_round_trips_through_saving_and_resumes_bit_for_bit(name, tmp_path):
    x, y = _data()
    model = _model(MAKERS[name]())
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / "model.dg"
    model.save(path)
    restored = dg.load_model(path)
    assert type(restored.optimizer) is type(model.optimizer)
    saved, loaded = model.optimizer.state_arrays(), restored.optimizer.state_arrays()
    expected = {"sgd": {"z", "weight_sum", "lr_max"}, "adamw": {"z", "v"}}[name]
    assert {key.split(".")[-1] for key in saved} == expected | {"iterations"}
    assert saved.keys() == loaded.keys()
    for key in saved:
        np.testing.assert_array_equal(loaded[key], saved[key])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    restored.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_compiled_fit_equals_the_eager_one(name, monkeypatch):
    x, y = _data()
    replayed = []
    replay = Plan.__call__

    def counted(plan, *inputs):
        replayed.append(plan)
        return replay(plan, *inputs)

    monkeypatch.setattr(Plan, "__call__", counted)
    results = []
    for jit in (False, True):
        model = _model(MAKERS[name](), jit=jit)
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
        results.append((history.history["loss"], model.get_weights(), model.evaluate(x, y)))
        assert bool(replayed) == jit  # the compiled run did replay its plans
    (eager_loss, eager_weights, eager_eval), (jit_loss, jit_weights, jit_eval) = results
    assert eager_loss == jit_loss
    assert eager_eval == jit_eval
    for a, b in zip(eager_weights, jit_weights, strict=True):
        np.testing.assert_array_equal(a, b)

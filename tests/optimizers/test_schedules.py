"""Learning-rate schedules: their values, their Robbins–Monro verdicts, serialisation."""

import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers
from deepgrad.optimizers import schedules as S

# schedule, (sum diverges, sum of squares converges)
VERDICTS = [
    (S.Constant(0.1), (True, False)),
    (S.Constant(0.0), (False, True)),
    (S.PiecewiseConstant([10, 20], [0.1, 0.05, 0.01]), (True, False)),
    (S.PiecewiseConstant([10], [0.1, 0.0]), (False, True)),
    (S.PiecewiseConstantDecay([10, 20], [0.1, 0.05, 0.01]), (True, False)),
    (S.StepDecay(0.1, step_size=10, factor=0.5), (False, True)),
    (S.StepDecay(0.1, step_size=10, factor=1.0), (True, False)),
    (S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9), (False, True)),
    (S.ExponentialDecay(0.1, decay_steps=10, decay_rate=1.0), (True, False)),
    (S.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5), (True, True)),
    (S.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.0), (True, False)),  # constant
    (S.InversePowerDecay(0.1, power=1.0), (True, True)),
    (S.InversePowerDecay(0.1, power=0.51), (True, True)),
    (S.InversePowerDecay(0.1, power=0.5), (True, False)),
    (S.InversePowerDecay(0.1, power=0.0), (True, False)),
    (S.InversePowerDecay(0.1, power=1.01), (False, True)),
    (S.InversePowerDecay(0.1, power=2.0), (False, True)),
    (S.PolynomialDecay(0.1, 100, end_learning_rate=0.001), (True, False)),
    (S.PolynomialDecay(0.1, 100, end_learning_rate=0.0, power=2.0), (False, True)),
    (S.CosineDecay(0.1, decay_steps=100), (False, True)),
    (S.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10), (True, False)),
    (
        S.CosineDecay(0.1, decay_steps=100, alpha=0.1, warmup_steps=10, warmup_initial=0.0),
        (True, False),
    ),
    (S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=1.0), (True, False)),
    (S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.6), (True, True)),
    (S.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.4), (False, True)),
    (S.OneCycle(0.1, total_steps=100), (True, False)),
    (S.Warmup(S.InversePowerDecay(0.1, power=0.75), 10), (True, True)),
    (S.Warmup(0.1, 10), (True, False)),
    (S.Scaled(S.InversePowerDecay(0.1, power=0.75), 0.5), (True, True)),
]


@pytest.mark.parametrize("schedule, verdict", VERDICTS, ids=lambda v: repr(v)[:40])
def test_robbins_monro_verdicts(schedule, verdict):
    answer = schedule.robbins_monro()
    assert (answer.sum_diverges, answer.sum_of_squares_converges) == verdict
    assert answer.holds == all(verdict)
    assert not answer.estimated
    assert answer.reason


def test_every_built_in_schedule_has_a_verdict_test():
    tested = {type(schedule).__name__ for schedule, _ in VERDICTS}
    assert tested == set(S.SCHEDULES)


@pytest.mark.parametrize(
    "function, verdict",
    [
        (lambda k: 0.5 / (k + 1), (True, True)),
        (lambda k: 0.5 / (k + 1) ** 0.75, (True, True)),
        (lambda k: 0.5 / (k + 1) ** 0.4, (True, False)),
        (lambda k: 0.5 / (k + 1) ** 1.5, (False, True)),
        (lambda k: 0.1, (True, False)),
        (lambda k: 0.1 * 0.9**k, (False, True)),
    ],
)
def test_estimates_for_plain_functions(function, verdict):
    answer = S.robbins_monro(function)
    assert answer.estimated
    assert (answer.sum_diverges, answer.sum_of_squares_converges) == verdict
    assert "estimate" in str(answer)


def test_values():
    assert S.InversePowerDecay(1.0, decay_steps=2, power=0.5)(6) == pytest.approx(0.5)
    assert S.InverseTimeDecay(1.0, decay_steps=10, decay_rate=0.5)(20) == pytest.approx(0.5)
    assert S.ExponentialDecay(1.0, 10, 0.5)(15) == pytest.approx(0.5**1.5)
    assert S.ExponentialDecay(1.0, 10, 0.5, staircase=True)(15) == 0.5
    assert S.StepDecay(1.0, 10, 0.1)(25) == pytest.approx(0.01)
    assert [S.PiecewiseConstant([2, 4], [3.0, 2.0, 1.0])(k) for k in range(6)] == [
        3.0,
        3.0,
        2.0,
        2.0,
        1.0,
        1.0,
    ]
    cosine = S.CosineDecay(1.0, decay_steps=10, alpha=0.1, warmup_steps=5, warmup_initial=0.0)
    assert [cosine(k) for k in (0, 5, 10, 15, 100)] == pytest.approx(
        [0.0, 1.0, 0.1 + 0.9 * 0.5, 0.1, 0.1]
    )
    restarts = S.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert restarts(10) == pytest.approx(0.5)  # the second period starts at ε₀·m_mul
    assert restarts(20) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 10 / 20)))
    assert S.Warmup(S.Constant(1.0), 4).rates(6).tolist() == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_one_cycle_matches_torch():
    torch = pytest.importorskip("torch")
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=0.1)
    reference = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.1, total_steps=50, anneal_strategy="cos"
    )
    ours = S.OneCycle(0.1, total_steps=50)
    for k in range(50):
        assert ours(k) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        reference.step()


@pytest.mark.parametrize("schedule", [s for s, _ in VERDICTS], ids=lambda v: repr(v)[:40])
def test_serialisation_round_trip(schedule):
    rebuilt = S.get(S.serialize(schedule))
    assert type(rebuilt) is type(schedule)
    assert rebuilt.rates(40).tolist() == schedule.rates(40).tolist()
    # Keras' from_config, from the class
    rebuilt = type(schedule).from_config(schedule.get_config())
    assert type(rebuilt) is type(schedule)
    assert rebuilt.rates(40).tolist() == schedule.rates(40).tolist()


def test_optimizer_uses_the_schedule_at_each_step():
    import deepgrad as dg

    theta = dg.tensor([0.0], dtype="float64", requires_grad=True)
    opt = optimizers.SGD([theta], learning_rate=S.PiecewiseConstant([1, 2], [1.0, 0.1, 0.01]))
    for _ in range(3):
        opt.apply([np.ones(1)])
    assert theta.numpy()[0] == pytest.approx(-1.11)
    config = optimizers.serialize(opt)
    assert optimizers.get(config).learning_rate(1) == 0.1


def test_plain_function_rates_cannot_be_saved():
    opt = optimizers.SGD(learning_rate=lambda k: 0.1)
    with pytest.raises(ValueError, match="cannot be saved"):
        optimizers.serialize(opt)


def _fit_linear(learning_rate, callback, epochs=4):
    import numpy as np

    import deepgrad as dg
    from deepgrad import layers

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    y = x @ np.array([[1.0], [2.0]], np.float32)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=learning_rate), loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[callback])
    return model.optimizer


def test_learning_rate_scheduler_takes_a_schedule_per_epoch():
    from deepgrad import callbacks

    opt = _fit_linear(0.5, callbacks.LearningRateScheduler(S.ExponentialDecay(0.1, 1, 0.5)))
    assert opt.current_learning_rate() == pytest.approx(0.1 * 0.5**3)  # epoch 3's rate


def test_reduce_on_plateau_scales_a_schedule_and_keeps_its_shape(tmp_path):
    from deepgrad import callbacks

    schedule = S.InverseTimeDecay(0.1, decay_steps=4)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0)
    opt = _fit_linear(schedule, plateau, epochs=3)  # no epoch improves by 10: halve each time
    assert isinstance(opt.learning_rate, S.Scaled)
    assert opt.learning_rate.factor == pytest.approx(0.5**2)  # the first epoch sets the best
    assert opt.learning_rate(8) == pytest.approx(0.25 * schedule(8))
    assert opt.learning_rate.robbins_monro().holds
    rebuilt = S.get(S.serialize(opt.learning_rate))
    assert rebuilt(8) == opt.learning_rate(8)


KERAS_SCHEDULES = [
    ("PolynomialDecay", (0.1, 100), {}),
    ("PolynomialDecay", (0.1, 100, 0.001), {}),
    ("PolynomialDecay", (0.1, 100), {"end_learning_rate": 0.01, "power": 0.5}),
    ("PolynomialDecay", (0.1, 30), {"end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
    ("CosineDecay", (0.1, 100), {"alpha": 0.1}),
    ("CosineDecay", (0.0, 100), {"alpha": 0.1, "warmup_target": 0.2, "warmup_steps": 10}),
    ("CosineDecay", (0.1, 100), {"warmup_target": 0.2, "warmup_steps": 0}),
    ("CosineDecayRestarts", (0.1, 10), {"t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 10), {"t_mul": 1.0, "m_mul": 0.8, "alpha": 0.2}),
    ("ExponentialDecay", (0.1, 10, 0.5), {}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {"staircase": True}),
    ("InverseTimeDecay", (0.1, 3, 0.7), {"staircase": True}),
    # a rate of 0 keeps 0.1 in Keras; deepgrad raised ZeroDivisionError when made
    ("InverseTimeDecay", (0.1, 10, 0.0), {}),
    ("InverseTimeDecay", (0.1, 10, 0.0), {"staircase": True}),
    ("ExponentialDecay", (0.1, 3, 0.7), {"staircase": True}),
    ("ExponentialDecay", (0.1, 2.5, 0.5), {}),
    ("ExponentialDecay", (0.1, 2.5, 0.5), {"staircase": True}),
    ("CosineDecay", (0.1, 37.5), {"alpha": 0.1}),
    ("CosineDecay", (0.05, 80), {"warmup_target": 0.2, "warmup_steps": 12.5}),
    ("CosineDecayRestarts", (0.1, 7.5), {"t_mul": 2.0}),
    ("CosineDecayRestarts", (0.1, 7), {"t_mul": 1.5, "m_mul": 0.9}),
    ("CosineDecayRestarts", (0.1, 10), {"t_mul": 0.5}),
]


def test_a_fractional_boundary_is_kept():
    # it was truncated to an integer: step 2 got the value after the boundary 2.5
    schedule = S.PiecewiseConstant([2.5, 4], [3.0, 2.0, 1.0])
    assert [schedule(k) for k in range(6)] == [3.0, 3.0, 3.0, 2.0, 1.0, 1.0]
    rebuilt = S.get(S.serialize(schedule))
    assert isinstance(rebuilt, S.PiecewiseConstant) and rebuilt.boundaries == [2.5, 4]


@pytest.mark.parametrize("boundaries", [[2.5, 7.5], [2, 7.9], [0.5, 1]])
def test_keras_piecewise_constant_decay_with_fractional_boundaries(boundaries):
    keras = pytest.importorskip("keras")
    values = [1.0, 0.5, 0.1]
    theirs = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
    ours = S.PiecewiseConstantDecay(boundaries, values)
    assert [ours(k) for k in range(10)] == pytest.approx([float(theirs(k)) for k in range(10)])


@pytest.mark.parametrize(("name", "args", "kwargs"), KERAS_SCHEDULES)
def test_keras_named_schedules_match_keras(name, args, kwargs):
    import os

    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    ours = getattr(S, name)(*args, **kwargs)
    steps = [0, 1, 5, 9, 10, 11, 29, 30, 31, 45, 70, 99, 100, 101, 250, 1000]
    if kwargs.get("t_mul", 1) < 1:  # periods of 10, 5, 2.5, ...: 20 steps in all
        steps = [step for step in steps if step < 20]
    expected = [float(theirs(step)) for step in steps]
    np.testing.assert_allclose([ours(step) for step in steps], expected, rtol=2e-6, atol=1e-7)


def test_cosine_warmup_steps_without_a_target_or_a_start_is_refused():
    with pytest.raises(ValueError, match="warmup_steps=10 needs warmup_target"):
        S.CosineDecay(0.1, 100, warmup_steps=10)


def test_a_polynomial_decay_saved_by_deepgrad_0_1_loads_as_the_power_law_it_was():
    old = {
        "class_name": "PolynomialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10.0, "power": 0.75},
    }
    loaded = S.get(old)
    assert type(loaded) is S.InversePowerDecay
    assert loaded(30) == pytest.approx(0.1 / 4**0.75)


# Keras 3.15 (JAX): a fractional number of steps is divided into the step as a float.
# deepgrad truncated it to an integer: ExponentialDecay(0.1, 2.5, 0.5)(1) was 0.0707
# (2 steps), CosineDecay's warmup over 12.5 steps reached 0.0625 at step 1 (12 steps).
@pytest.mark.parametrize(
    ("schedule", "step", "keras"),
    [
        (S.ExponentialDecay(0.1, 2.5, 0.5), 1, 0.0757858283255199),
        (S.ExponentialDecay(0.1, 2.5, 0.5, staircase=True), 2, 0.1),
        (S.CosineDecay(0.05, 80, warmup_target=0.2, warmup_steps=12.5), 1, 0.062),
        (S.CosineDecay(0.1, 37.5, alpha=0.1), 1, 0.09984218329191208),
        (S.CosineDecayRestarts(0.1, 7.5, t_mul=2.0), 1, 0.09567726850509645),
    ],
)
def test_a_fractional_number_of_steps_is_kept_as_keras_keeps_it(schedule, step, keras):
    assert schedule(step) == pytest.approx(keras, rel=1e-6)


def test_cosine_restarts_past_the_end_of_shrinking_periods_is_refused():
    # Keras gives NaN from step 20 on (the log of a negative number): a NaN rate trains to
    # NaN weights. Before, deepgrad's loop looked for the period forever.
    schedule = S.CosineDecayRestarts(0.1, 10, t_mul=0.5)
    assert schedule(19) == pytest.approx(0.06545084971874737)
    with pytest.raises(ValueError, match=r"t_mul=0.5 < 1 the periods add up to 20 steps"):
        schedule(20)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: S.ExponentialDecay(0.1, 0, 0.5), "ExponentialDecay: decay_steps must be"),
        (lambda: S.InverseTimeDecay(0.1, 0, 0.5), "InverseTimeDecay: decay_steps must be"),
        (lambda: S.CosineDecay(0.1, 0), "CosineDecay: decay_steps must be a number > 0"),
        (lambda: S.CosineDecayRestarts(0.1, -1), "first_decay_steps must be a number > 0"),
        (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul must be > 0"),
    ],
)
def test_steps_that_keras_refuses_are_refused_when_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_function_of_no_argument_is_a_learning_rate_called_at_each_step_as_keras():
    """Keras 3 calls a learning rate that is a function of no argument at each step;
    deepgrad passed it the step count and failed with "<lambda>() takes 0 positional
    arguments but 1 was given". The weights below are Keras 3.15's (JAX, float32)."""
    gradients = [[3.0, -4.0], [-1.0, 0.5], [2.0, 2.0]]
    for make, keras_weights in [
        (lambda rate: optimizers.SGD(learning_rate=rate), [0.6, 2.15]),
        (
            lambda rate: optimizers.Adam(learning_rate=rate, epsilon=1e-30),
            [0.7996707558631897, 2.168475866317749],
        ),
    ]:
        w = dg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        opt = make(lambda: 0.1)
        for gradient in gradients:
            opt.apply([np.array(gradient, np.float32)], [w])
        # Adam's float32 arithmetic is Keras' in another order: 1.3e-6 apart
        np.testing.assert_allclose(w.numpy(), keras_weights, rtol=2e-6)
    assert optimizers.SGD(learning_rate=lambda step: 0.1 * step).current_learning_rate() == 0.0

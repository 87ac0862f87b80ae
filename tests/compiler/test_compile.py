"""deepgrad.compile and model.compile(jit=True): the replayed plan computes what eager
mode computes (bit for bit), re-records on new shapes, refuses what it cannot replay,
and allocates nothing per step beyond a few small arrays."""

import functools
import gc
import re
import tracemalloc
import weakref

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import activations, layers, losses, optimizers
from deepgrad.compiler import CompileError, record_call
from deepgrad.tensor import raw_data


def _data(n=96, features=12, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    return x, rng.integers(0, classes, n)


def _train(jit, hidden, optimizer="adam", loss=None, epochs=2, y=None, **fit):
    dg.random.seed(0)
    x, labels = _data()
    model = dg.Sequential([*hidden(), layers.Dense(4)])
    model.compile(
        optimizer=optimizer,
        loss=loss or losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"] if loss is None else [],
        jit=jit,
    )
    history = model.fit(
        x, labels if y is None else y, batch_size=16, epochs=epochs, verbose=0, **fit
    )
    return history.history, model.get_weights(), model


ARCHITECTURES = {
    "relu": lambda: [layers.Dense(16, activation="relu")],
    "tanh+sigmoid": lambda: [layers.Dense(16, activation="tanh"), layers.Dense(8, "sigmoid")],
    "dropout": lambda: [layers.Dense(16, activation="relu"), layers.Dropout(0.3)],
    "batchnorm": lambda: [layers.Dense(16), layers.BatchNormalization(), layers.Activation("elu")],
    "l2": lambda: [layers.Dense(16, activation="gelu", kernel_regularizer="l2")],
    "noise": lambda: [layers.GaussianNoise(0.1), layers.Dense(16, activation="swish")],
}


@pytest.mark.parametrize("name", ARCHITECTURES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_with_jit_equals_eager_bit_for_bit(name, optimizer):
    eager_history, eager_weights, _ = _train(False, ARCHITECTURES[name], optimizer)
    jit_history, jit_weights, model = _train(True, ARCHITECTURES[name], optimizer)
    assert jit_history == eager_history
    for a, b in zip(eager_weights, jit_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model._compiled_steps["train"]._plans, "the plan was never replayed"


@pytest.mark.parametrize("name", sorted(set(activations.ACTIVATIONS) - {"softmax", "linear"}))
def test_every_activation_compiles(name):
    activation = activations.get(name)
    if name == "threshold":  # it has no defaults for its two arguments
        activation = functools.partial(activation, threshold=0.1, default_value=-0.5)
    hidden = lambda: [layers.Dense(8, activation=activation)]  # noqa: E731
    eager = _train(False, hidden, "sgd", epochs=1, validation_split=0.25)
    jit = _train(True, hidden, "sgd", epochs=1, validation_split=0.25)
    assert jit[0] == eager[0]


REGRESSION_LOSSES = {  # classes: GaussianNLL learns σ, so each run needs its own
    "mse": losses.MeanSquaredError,
    "mae": losses.MeanAbsoluteError,
    "huber": losses.Huber,
    "gaussian_nll": losses.GaussianNLL,
}


@pytest.mark.parametrize("name", REGRESSION_LOSSES)
def test_regression_losses_compile(name):
    x, _ = _data()
    y = np.tanh(x[:, :4]).astype(np.float32)
    hidden = lambda: [layers.Dense(8, activation="tanh")]  # noqa: E731
    eager = _train(False, hidden, "sgd", loss=REGRESSION_LOSSES[name](), y=y)
    jit = _train(True, hidden, "sgd", loss=REGRESSION_LOSSES[name](), y=y)
    assert jit[0] == eager[0]


def test_sample_weights_and_a_smaller_last_batch():
    x, y = _data(n=90)  # batches of 16 and a last one of 10: two signatures
    weights = np.linspace(0.5, 1.5, 90)
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential([layers.Dense(8, activation="relu"), layers.Dense(4)])
        model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
        history = model.fit(x, y, sample_weight=weights, batch_size=16, epochs=3, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    assert results[0][0] == results[1][0]
    assert len(model._compiled_steps["train"]._plans) == 2


def test_evaluate_with_jit_equals_eager():
    _, _, model = _train(True, ARCHITECTURES["batchnorm"], epochs=1)
    x, y = _data(seed=1)
    compiled = [model.evaluate(x, y, batch_size=32, verbose=0) for _ in range(3)]
    model.jit = False
    assert compiled[-1] == model.evaluate(x, y, batch_size=32, verbose=0)


def test_lbfgs_with_jit():
    x, _ = _data()
    y = (x[:, :1] * 0.5).astype(np.float32)
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential([layers.Dense(1)])
        model.compile(optimizers.LBFGS(learning_rate=1.0), "mse", jit=jit)
        results.append(model.fit(x, y, batch_size=None, epochs=4, verbose=0).history["loss"])
    assert results[0] == results[1]
    assert results[1][-1] < 1e-6


# ---- deepgrad.compile on plain functions ---------------------------------------------------


def test_compiled_grad_equals_grad_on_new_inputs():
    def loss(w, x):
        return dnp.sum(dnp.tanh(x @ w) ** 2)

    compiled = dg.compile(dg.grad(loss))
    rng = np.random.default_rng(0)
    for _ in range(5):
        w, x = rng.normal(size=(3, 2)), rng.normal(size=(4, 3))
        np.testing.assert_array_equal(compiled(w, x), dg.grad(loss)(w, x))


def test_backward_inside_accumulates_as_eager():
    w = dg.tensor(np.ones(3), requires_grad=True)

    @dg.compile
    def step(x):
        loss = dnp.sum(dnp.sin(x * w))
        loss.backward()
        return loss

    xs = np.random.default_rng(0).normal(size=(5, 3))
    for x in xs:
        step(x)
    expected = sum(x * np.cos(x) for x in xs)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


def test_new_shapes_are_recorded_again():
    compiled = dg.compile(lambda x: dnp.sum(x * x, axis=0))
    for n in (4, 4, 4, 7, 7, 7, 4):
        x = np.arange(n * 2, dtype=float).reshape(n, 2)
        np.testing.assert_array_equal(compiled(x), np.sum(x * x, axis=0))
    assert len(compiled._plans) == 2


def test_outputs_are_not_overwritten_by_the_next_call():
    compiled = dg.compile(lambda x: dnp.exp(x) + 1.0)
    first = [compiled(np.full(3, float(i))) for i in range(4)]
    np.testing.assert_allclose(first[2], np.exp(2.0) + 1.0)
    np.testing.assert_allclose(first[3], np.exp(3.0) + 1.0)


def test_numpy_work_outside_deepgrad_ops_is_refused():
    def f(x):
        doubled = x.data * 2.0  # NumPy's own multiply: a replay would freeze it
        return dnp.sum(dnp.sin(doubled))

    compiled = dg.compile(f)
    compiled(np.ones(3))
    with pytest.raises(CompileError, match=r"the call to sin .*different arguments") as error:
        compiled(np.zeros(3))
    # the user's line, file and code, put into words when the message is made
    assert "test_compile.py:" in str(error.value)
    assert "in f: return dnp.sum(dnp.sin(doubled))" in str(error.value)


def test_branching_on_the_data_is_refused():
    def f(x):
        return dnp.exp(x) if float(dnp.sum(x)) > 0 else dnp.sin(x)

    compiled = dg.compile(f)
    with pytest.raises(CompileError, match=r"float\(\) of a float64 array of shape \(\)"):
        compiled(np.ones(2))


def test_record_call_runs_on_every_replay():
    draws = []

    def noise(shape):
        draws.append(shape)
        return np.full(shape, float(len(draws)))

    compiled = dg.compile(lambda x: x + record_call(noise, x.shape), check=False)
    values = [float(compiled(np.zeros(1))[0]) for _ in range(3)]
    assert values == [1.0, 2.0, 3.0]


def test_arguments_that_require_grad_are_refused():
    compiled = dg.compile(lambda w: dnp.sum(w * w))
    with pytest.raises(CompileError, match="requires grad"):
        compiled(dg.tensor([1.0], requires_grad=True))


def test_replaced_weights_are_used_by_the_replay():
    model, x, y = _mlp_step()
    new_weights = [w * 0.5 for w in model.get_weights()]
    model.set_weights(new_weights)
    model.optimizer.params[0].data = np.asarray(new_weights[0]).copy()  # a new array too
    compiled = model.train_on_batch(x, y)
    model.set_weights(new_weights)
    model.jit = False
    assert compiled == model.train_on_batch(x, y)


def test_the_plan_is_readable_python():
    w = dg.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    compiled = dg.compile(lambda x: dnp.sum(dnp.tanh(x @ w)))
    x = np.ones((4, 3), np.float32)
    plan = compiled.plan(x)
    assert plan.source.startswith("def plan(t0):")
    assert "matmul(t0, c0._value, out=b0)" in plan.source
    rows = plan.profile(x, repeats=3)
    assert len(rows) == len(plan.source.splitlines()) - 2
    assert all(seconds >= 0 for seconds, _ in rows)


# ---- no waste ------------------------------------------------------------------------------


def _mlp_step(batch=64, width=256, optimizer="sgd"):
    dg.random.seed(0)
    model = dg.Sequential(
        [layers.Dense(width, activation="relu"), layers.Dense(width, "relu"), layers.Dense(10)]
    )
    model.compile(optimizer, losses.SparseCategoricalCrossentropy(from_logits=True), jit=True)
    x, y = _data(n=batch, features=width, classes=10)
    for _ in range(3):
        model.train_on_batch(x, y)
    return model, x, y


@pytest.mark.parametrize("classes", [10, 300])  # the numba kernel's size and NumPy's
def test_a_replay_refuses_labels_out_of_range(classes):
    model = dg.Sequential([layers.Dense(16, activation="relu"), layers.Dense(classes)])
    model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True), jit=True)
    x, y = _data(n=32, classes=classes)
    for _ in range(3):
        model.train_on_batch(x, y)
    y[5] = -1  # the loss's own check does not run in a replay: the op's does
    with pytest.raises(ValueError, match="labels must be in"):
        model.train_on_batch(x, y)


def test_a_plan_keeps_no_recorded_arrays():
    model, x, y = _mlp_step()
    compiled = model._compiled_steps["train"]
    plan = compiled.plan(x, y, None)
    results = [c.result for c in plan.calls if isinstance(c.result, np.ndarray)]
    assert results and all(r.strides == (0,) * r.ndim for r in results)  # shape-only stand-ins
    assert not compiled._first_recordings  # the first recording is dropped once compared


def test_gradients_are_computed_into_the_flat_buffer():
    model, x, y = _mlp_step(optimizer="adam")  # plain SGD writes no weight's gradient
    plan = model._compiled_steps["train"].plan(x, y, None)
    assert plan.source.count("grad_target(") == len(model.trainable_weights)
    assert "store_grad" not in plan.source and "accumulate_grad" not in plan.source
    flat = model.optimizer.flat.groups[0].grads
    for p in model.trainable_weights:
        assert np.shares_memory(p.grad.numpy(), flat)


def test_buffers_are_reused_and_float32_stays_float32():
    model, x, y = _mlp_step()
    plan = model._compiled_steps["train"].plan(x, y, None)
    produced = sum(c.result.nbytes for c in plan.calls if isinstance(c.result, np.ndarray))
    assert plan.buffer_bytes < 0.5 * produced
    floating = {b.dtype for b in plan._buffers if b.dtype.kind == "f"}
    assert floating == {np.dtype(np.float32)}  # (and boolean masks)


def test_a_replay_allocates_only_small_arrays_and_memory_stays_flat():
    model, x, y = _mlp_step(batch=128, width=512)
    step = model._compiled_steps["train"]
    buffers = step.plan(x, y, None).buffer_bytes
    tracemalloc.start()
    try:
        step(x, y, None)
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        step(x, y, None)
        peak = tracemalloc.get_traced_memory()[1] - baseline
        for _ in range(500):  # NumPy and Python fill their small-object caches (~30 KB)
            step(x, y, None)
        gc.collect()
        warm = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            step(x, y, None)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - warm
    finally:
        tracemalloc.stop()
    logits = 128 * 10 * 4
    assert peak < min(25 * logits, 0.1 * buffers), (peak, buffers)  # logits-sized temporaries
    assert growth < 16 * 1024, growth  # one kept array per step would be 1000 × 5 KB


def _train_step_peak(jit):
    """tracemalloc's peak over a model's first three training steps (eager, or recording
    twice and planning)."""
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(256, activation="relu"), layers.Dense(10)])
    model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    x, y = _data(n=256, features=256, classes=10)
    model.train_on_batch(x, y)  # builds the optimizer's buffers
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            model.train_on_batch(x, y)
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


def test_recording_frees_intermediates_as_eager_mode_does():
    eager, compiled = _train_step_peak(False), _train_step_peak(True)
    # Holding every intermediate of a recorded step was about twice eager's peak.
    assert compiled < 1.5 * eager, (compiled, eager)


def test_an_array_freed_while_recording_is_not_kept():
    freed = []

    def f(x):
        y = dnp.exp(x)
        array = weakref.ref(raw_data(y))
        total = dnp.sum(y)
        del y
        freed.append(array() is None)  # not held by the recorder, only its shape
        return total + 1.0

    compiled = dg.compile(f)
    x = np.ones(1000)
    for _ in range(3):
        assert float(compiled(x)) == float(np.sum(np.exp(x)) + 1.0)
    assert freed == [True, True]  # both recordings (the third call replays)


def test_the_printed_plan_defines_every_name_it_uses_and_runs_no_identity():
    """The plan's source reads as a program: every t-name is a parameter, assigned, or a
    folded constant named in a comment; x / 1 and x ** 1 in x's own buffer are not run."""
    model = dg.Sequential([dg.layers.Dense(4, activation="relu"), dg.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit=True)
    x, y = np.ones((8, 3), np.float32), np.ones((8, 1), np.float32)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    plan = next(iter(model._compiled_steps["train"]._plans.values()))[0]
    lines = plan.source.splitlines()
    defined = set(re.findall(r"t\d+", lines[0]))
    for line in lines[1:]:
        body = line.strip()
        if body.startswith("#"):
            defined.update(re.findall(r"^# (t\d+):", body))
            continue
        target, _, expression = body.partition(" = ") if " = " in body else ("", "", body)
        used = set(re.findall(r"\bt\d+\b", expression.split("#")[0]))
        assert used <= defined, f"{line!r} uses {sorted(used - defined)} before defining them"
        defined.update(re.findall(r"^t\d+$", target))
        assert not re.search(r"\b(divide|power)\(t\d+, 1, out=", body), line


def _counting(fn):
    """fn, and a list that grows by one each time fn runs as Python (a recording)."""
    runs = []

    def counted(x):
        runs.append(x.shape)
        return fn(x)

    return counted, runs


def test_a_later_shape_is_recorded_once_after_a_check_on_different_data():
    counted, runs = _counting(lambda x: dnp.sum(dnp.tanh(x) * 2.0))
    compiled = dg.compile(counted)
    rng = np.random.default_rng(0)
    for _ in range(4):
        compiled(rng.standard_normal((5, 3)))
    assert runs == [(5, 3), (5, 3)]  # recorded, recorded and compared, then replayed
    last = rng.standard_normal((2, 3))
    for _ in range(3):
        np.testing.assert_allclose(compiled(last), np.sum(np.tanh(last) * 2.0))
    assert runs == [(5, 3), (5, 3), (2, 3)]  # the smaller batch: recorded once


def test_a_check_on_the_same_data_twice_proves_nothing_for_later_shapes():
    counted, runs = _counting(lambda x: dnp.sum(dnp.tanh(x)))
    compiled = dg.compile(counted)
    x = np.ones((5, 3))
    compiled(x)
    compiled(x.copy())  # equal data: the comparison could not have seen a frozen value
    compiled(np.zeros((2, 3)))
    compiled(np.ones((2, 3)))
    assert runs == [(5, 3), (5, 3), (2, 3), (2, 3)]


def test_numpy_work_on_a_later_shape_is_refused_while_no_check_has_passed():
    def f(x):
        doubled = x.data * 2.0  # frozen by a replay
        return dnp.sum(dnp.sin(doubled))

    compiled = dg.compile(f)
    compiled(np.ones(3))
    with pytest.raises(CompileError, match="different arguments"):
        compiled(np.zeros(3))
    compiled(np.ones(4))  # the first check failed: every signature is still compared
    with pytest.raises(CompileError, match="different arguments"):
        compiled(np.zeros(4))


def test_a_check_counts_only_when_every_argument_changed():
    """Equal labels on the first two calls: a value read from them outside deepgrad's ops
    would have passed the comparison, so later shapes are still compared."""
    runs = []

    def f(x, y):
        runs.append(x.shape)
        return dnp.sum(dnp.tanh(x)) + dnp.sum(y)

    compiled = dg.compile(f)
    rng = np.random.default_rng(0)
    y = np.arange(5.0)
    compiled(rng.standard_normal((5, 3)), y)
    compiled(rng.standard_normal((5, 3)), y.copy())
    compiled(rng.standard_normal((2, 3)), np.arange(2.0))
    compiled(rng.standard_normal((2, 3)), np.arange(2.0) + 1)
    assert runs == [(5, 3), (5, 3), (2, 3), (2, 3)]


@pytest.mark.parametrize("jit", [False, True])
def test_a_weight_the_loss_no_longer_reaches_gets_no_stale_gradient(jit):
    """Compiled with a loss that reaches fewer weights than the last training did (same
    optimizer), the weights it does not reach get a zero gradient, as eager's zero_grad
    gives them: not the last gradient of the earlier training, applied again every step."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    targets = [rng.standard_normal((32, 1)).astype(np.float32) for _ in range(2)]
    inputs = dg.Input((4,))
    first, second = layers.Dense(1), layers.Dense(1)
    model = dg.Model(inputs, [first(inputs), second(inputs)])
    optimizer = dg.optimizers.SGD(learning_rate=0.1)
    model.compile(optimizer, ["mse", "mse"], jit=jit)
    model.fit(x, targets, batch_size=8, epochs=1, shuffle=False, verbose=0)
    unreached = [w.numpy().copy() for w in second.weights]
    model.compile(optimizer, ["mse", None], jit=jit)
    model.fit(x, targets, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for before, weight in zip(unreached, second.weights, strict=True):
        np.testing.assert_array_equal(weight.numpy(), before)


@pytest.mark.parametrize("jit", [True, "auto"])
def test_detect_anomaly_checks_every_op_of_a_compiled_step(jit):
    """A replay checks no op for NaN or Inf, so inside detect_anomaly() a compiled step
    runs as written: the error names the op, as in eager mode, instead of a NaN loss."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5)).astype(np.float32)
    y = rng.standard_normal((32, 1)).astype(np.float32)
    model = dg.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile("sgd", "mse", jit=jit)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    batch = x[:8].copy()
    batch[0, 0] = np.inf
    with dg.detect_anomaly(), pytest.raises(dg.AnomalyError, match="matmul produced NaN or Inf"):
        with np.errstate(invalid="ignore"):
            model.train_on_batch(batch, y[:8])
    assert np.isfinite(model.train_on_batch(x[:8], y[:8]))  # replayed again outside


def test_a_compiled_function_inside_detect_anomaly_gives_what_it_gives_outside():
    f = dg.compile(dg.grad(lambda v: dnp.sum(dnp.tanh(v) * v)))
    v = np.linspace(-1, 1, 5)
    outside = f(v)
    with dg.detect_anomaly():
        inside = f(v)
    np.testing.assert_array_equal(np.asarray(inside), outside)


def test_a_nan_passed_to_an_op_is_the_same_on_both_recordings():
    # NaN != NaN: comparing the two recordings' arguments with == refused every NaN fill
    def f(x):
        return dnp.nanmean(dnp.where(x > 0, x, np.nan), axis=-1)

    compiled = dg.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal((3, 5))
        np.testing.assert_array_equal(compiled(x), f(x))
    assert compiled._plans, "never replayed"

"""Every op of the table, and a training step, run on the guard backend (tests/backend/
guard.py): arrays that refuse implicit conversion to NumPy, as CuPy's do. An op or an engine
path that takes a silent round trip through a host NumPy array fails here."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import backend
from deepgrad.tensor import raw_data
from tests.backend.guard import GuardArray, ImplicitConversionError, guard_xp
from tests.ops.op_table import OP_TABLE
from tests.optimizers.test_elementwise import RULES, _inputs


def _to_guard(value):
    """Every array argument on the device, masks and indices too (as a GPU user has them)."""
    if isinstance(value, np.ndarray):
        return GuardArray(value.copy())
    return value


def _host(value):
    return [backend.to_numpy(raw_data(v)) for v in dg.tree_flatten(value)[0]]


def test_the_guard_refuses_implicit_conversion():
    guarded = GuardArray(np.ones(3))
    with pytest.raises(ImplicitConversionError):
        np.asarray(guarded)
    host = np.zeros(3)
    with pytest.raises(ImplicitConversionError):
        host[...] = guarded
    assert isinstance(np.exp(guarded), GuardArray)  # ufuncs dispatch, as on CuPy
    assert isinstance(np.sum(guarded, axis=0), GuardArray | np.floating)
    assert backend.array_module(guarded) is guard_xp


# Rows whose test function itself makes a host constant (not the op): they cannot run on a
# device as written.
HOST_CONSTANT_ROWS = {"cholesky": "the row's function adds np.eye, a host array, to its input"}

# Known to make a host array on the way, so they would fail on CuPy: each is a bug to fix
# (an ``xp = array_module(x)`` away), listed so that a new one fails here and a fixed one
# (an unexpected pass) asks to be taken off the list.
KNOWN_HOST_ARRAYS: dict[str, str] = {}


@pytest.mark.parametrize("spec", OP_TABLE, ids=lambda s: s.name)
def test_op_forward_and_vjp_stay_on_the_backend(spec, request):
    if spec.name in HOST_CONSTANT_ROWS:
        pytest.skip(HOST_CONSTANT_ROWS[spec.name])
    if spec.name in KNOWN_HOST_ARRAYS:
        request.applymarker(
            pytest.mark.xfail(
                raises=(TypeError, RuntimeError), strict=True, reason=KNOWN_HOST_ARRAYS[spec.name]
            )
        )
    rng = np.random.default_rng(0)
    kwargs = spec.kwargs[0]
    args = spec.arguments(rng, spec.shapes.examples[0])
    guarded = tuple(_to_guard(np.asarray(a)) for a in args)

    expected = spec.fn(*args, **kwargs)
    actual = spec.fn(*guarded, **kwargs)
    for a, e in zip(_host(actual), _host(expected), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)

    positions = [
        i for i, a in enumerate(guarded) if isinstance(a, GuardArray) and a.dtype.kind in "fc"
    ]
    if not positions:
        return

    def f(*xs):
        full = list(guarded)
        for i, x in zip(positions, xs, strict=True):
            full[i] = x
        return spec.fn(*full, **kwargs)

    def f_host(*xs):
        full = list(args)
        for i, x in zip(positions, xs, strict=True):
            full[i] = x
        return spec.fn(*full, **kwargs)

    out, pullback = dg.vjp(f, *(guarded[i] for i in positions))
    out_host, pullback_host = dg.vjp(f_host, *(np.asarray(args[i]) for i in positions))
    cotangent = dg.tree_map(lambda o: guard_xp.ones_like(raw_data(o)), out)
    cotangent_host = dg.tree_map(lambda o: np.ones_like(raw_data(o)), out_host)
    grads = pullback(cotangent)
    for g in dg.tree_flatten(grads)[0]:
        assert isinstance(raw_data(g), GuardArray | np.floating | float), type(raw_data(g))
    for a, e in zip(_host(grads), _host(pullback_host(cotangent_host)), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_training_step_stays_on_the_backend(optimizer):
    """Forward, backward and an optimizer's update of a two-layer net on guard arrays, equal
    to the same step on NumPy arrays."""
    rng = np.random.default_rng(0)
    host = {
        "x": rng.standard_normal((8, 5)),
        "y": rng.standard_normal((8, 1)),
        "w1": rng.standard_normal((5, 4)),
        "b1": np.zeros(4),
        "w2": rng.standard_normal((4, 1)),
        "b2": np.zeros(1),
    }

    def step(make):
        params = [dg.tensor(make(host[k]), requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
        opt = getattr(dg.optimizers, optimizer)(params, learning_rate=0.1)
        w1, b1, w2, b2 = params
        hidden = dg.numpy.tanh(dg.tensor(make(host["x"])) @ w1 + b1)
        loss = ((hidden @ w2 + b2 - dg.tensor(make(host["y"]))) ** 2).mean()
        loss.backward()
        opt.step()
        return [raw_data(p) for p in params]

    on_guard = step(GuardArray)
    on_host = step(np.copy)
    for guarded, expected in zip(on_guard, on_host, strict=True):
        assert isinstance(guarded, GuardArray)
        np.testing.assert_allclose(guarded.get(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_every_optimizer_rule_updates_device_arrays_in_place(name, dtype):
    """Each rule's NumPy plan on guard arrays (what runs on a device without its own kernel):
    the arrays stay on the device and equal the host's update bit for bit."""
    rule = RULES[name]
    for arrays, scalars in _inputs(rule, dtype, 65, seed=2):
        on_host = [a.copy() for a in arrays]
        on_device = [GuardArray(a.copy()) for a in arrays]
        rule.numpy(*on_host, *scalars, scratch={})
        rule.numpy(*on_device, *scalars, scratch={})
        for device_array, host_array in zip(on_device, on_host, strict=True):
            assert isinstance(device_array, GuardArray)
            np.testing.assert_array_equal(device_array.get(), host_array)


def test_a_compiled_training_step_replays_on_the_device():
    """``dg.compile`` of forward + backward on guard arrays, then the optimizer's update: the
    recorded plan replays on device buffers (gradients written straight into device arrays)
    with the numbers of the same step on the host."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 1))

    def train(where):
        dg.random.seed(0)
        layers = [dg.layers.Dense(8, activation="tanh", input_shape=(5,)), dg.layers.Dense(1)]
        model = dg.Sequential(layers).to(where)
        opt = dg.optimizers.Adam(model.trainable_weights, learning_rate=0.01)
        xs = dg.tensor(x, "float32", device=where)
        ys = dg.tensor(y, "float32", device=where)

        def step(xb, yb):
            loss = ((model(xb, training=True) - yb) ** 2).mean()
            loss.backward()
            return loss

        compiled = dg.compile(step)
        losses = []
        for _ in range(4):  # records twice, then replays
            opt.zero_grad()
            losses.append(compiled(xs, ys))
            opt.step()
        return model, losses

    (on_device, device_losses), (on_host, host_losses) = train("guard"), train("cpu")
    for weight in on_device.weights:
        assert isinstance(raw_data(weight), GuardArray)
        assert isinstance(raw_data(weight.grad), GuardArray)
    assert isinstance(raw_data(device_losses[-1]), GuardArray)
    np.testing.assert_allclose(
        [float(raw_data(v).get()) for v in device_losses],
        [float(raw_data(v)) for v in host_losses],
        rtol=1e-6,
    )
    for got, expected in zip(on_device.get_weights(), on_host.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_device_arrays_are_inputs_of_a_compiled_function_not_constants():
    """A raw device array passed to a compiled function is an input of the plan: a new array
    of the same shape gives its own result (never the first call's, frozen)."""
    compiled = dg.compile(lambda a, b: dg.numpy.tanh(a) * b)
    for seed in range(4):
        a, b = np.random.default_rng(seed).standard_normal((2, 3, 4))[:2]
        result = compiled(GuardArray(a), GuardArray(b))
        np.testing.assert_allclose(raw_data(result).get(), np.tanh(a) * b, rtol=1e-12)


def test_a_compiled_plan_keeps_one_element_of_each_device_intermediate():
    """As for host arrays, the recording keeps a device intermediate as a one-element view
    of its shape (a GPU's memory is the scarcer), not the whole array."""
    compiled = dg.compile(lambda a, b: dg.numpy.tanh(a @ b).sum())
    a, b = np.random.default_rng(6).standard_normal((2, 64, 64))
    for _ in range(2):
        compiled(GuardArray(a), GuardArray(b))
    plan = compiled.plan(GuardArray(a), GuardArray(b))
    intermediates = [
        c.result for c in plan.calls if isinstance(c.result, GuardArray) and c.result.ndim
    ]
    assert intermediates
    for result in intermediates:
        assert all(s == 0 for s in result._data.strides), result.shape
    got = raw_data(compiled(GuardArray(a), GuardArray(b)))
    np.testing.assert_allclose(got.get(), np.tanh(a @ b).sum(), rtol=1e-12)

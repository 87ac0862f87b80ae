"""``dg.vmap``: equal to a Python loop and a stack, loop-free for the ops that have batching
rules, composed with grad, jvp, vjp, jacobian, compile and itself, and its errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import layers
from deepgrad.compiler import record_call
from deepgrad.ops.activations_math import relu, sparse_softmax_cross_entropy
from deepgrad.ops.vmap import loops_in
from deepgrad.tensor import raw_data
from tests.backend.guard import GuardArray

la = dnp.linalg

pytestmark = pytest.mark.usefixtures("tape_engine")


def _loop(f, args, in_axes, out_axis=0):
    """The reference: f on each example, stacked along ``out_axis``."""
    size = next(np.shape(a)[ax] for a, ax in zip(args, in_axes, strict=True) if ax is not None)
    outs = [
        f(
            *[
                a if ax is None else np.take(a, b, axis=ax)
                for a, ax in zip(args, in_axes, strict=True)
            ]
        )
        for b in range(size)
    ]
    flat = [dg.tree_flatten(o)[0] for o in outs]
    columns = zip(*flat, strict=True)
    stacked = [np.stack([np.asarray(raw_data(x)) for x in c], axis=out_axis) for c in columns]
    return dg.tree_unflatten(dg.tree_flatten(outs[0])[1], stacked)


def _assert_tree_close(actual, expected, rtol=1e-10, atol=1e-12):
    a_leaves, e_leaves = dg.tree_flatten(actual)[0], dg.tree_flatten(expected)[0]
    assert len(a_leaves) == len(e_leaves)
    for a, e in zip(a_leaves, e_leaves, strict=True):
        a = np.asarray(raw_data(a))
        assert a.shape == np.shape(e)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


W = np.random.default_rng(7).standard_normal((3, 4))


def _tensor(x):
    """``x.at[...]`` needs a Tensor: the loop's examples are arrays, vmap's are Tensors."""
    return x if isinstance(x, dg.Tensor) else dg.tensor(x, dtype=x.dtype)


SPD = np.eye(3) * 3 + 0.1

# name, function, per-example shapes, values ("real", "positive", "labels")
CASES = [
    ("tanh", dnp.tanh, [(3,)]),
    ("exp_sum", lambda x: dnp.sum(dnp.exp(x), axis=-1), [(2, 3)]),
    ("add_broadcast", lambda x, y: x + y, [(2, 3), (3,)]),
    ("multiply_scalar_example", lambda x, y: x * y, [(), (4,)]),
    ("divide_power", lambda x, y: (x / (1.0 + y * y)) ** 2, [(3,), (2, 3)]),
    ("maximum_where", lambda x, y: dnp.where(x > y, dnp.maximum(x, y), x * y), [(3,), (3,)]),
    ("relu", relu, [(2, 3)]),
    ("sum_axes", lambda x: dnp.sum(x, axis=(0, 2)), [(2, 3, 2)]),
    ("mean_keepdims", lambda x: dnp.mean(x, axis=1, keepdims=True), [(2, 3)]),
    ("max", lambda x: dnp.max(x, axis=0), [(3, 2)]),
    ("prod", lambda x: dnp.prod(x), [(3,)]),
    ("cumsum", lambda x: dnp.cumsum(x, axis=1), [(2, 3)]),
    ("var", lambda x: dnp.var(x), [(2, 3)]),
    ("logsumexp", lambda x: dnp.sum(dnp.log_softmax(x, axis=0) ** 2), [(3, 2)]),
    ("softmax", lambda x: dnp.softmax(x), [(2, 4)]),
    ("reshape_transpose", lambda x: dnp.transpose(dnp.reshape(x, (3, 2)), (1, 0)), [(2, 3)]),
    ("swapaxes_moveaxis", lambda x: dnp.moveaxis(dnp.swapaxes(x, 0, 2), 0, 1), [(2, 3, 4)]),
    ("expand_squeeze", lambda x: dnp.squeeze(dnp.expand_dims(x, 0) * 2.0, 0), [(3,)]),
    ("broadcast_to", lambda x: dnp.broadcast_to(x, (2, 3)), [(3,)]),
    ("getitem_basic", lambda x: x[1:, ::-1][0], [(3, 4)]),
    ("getitem_advanced", lambda x: x[np.array([0, 2, 2]), 1:], [(3, 4)]),
    ("getitem_mask", lambda x: x[:, np.array([True, False, True])], [(2, 3)]),
    ("take", lambda x: dnp.take(x, np.array([2, 0]), axis=1), [(2, 3)]),
    (
        "concatenate_stack",
        lambda x, y: dnp.stack([dnp.concatenate([x, y])[1:4], y + x], 1),
        [(3,), (3,)],
    ),
    ("matmul_vector_matrix", lambda x: x @ W, [(3,)]),
    ("matmul_matrix_vector", lambda x, y: x @ y, [(4, 3), (3,)]),
    ("matmul_vectors", lambda x, y: dnp.matmul(x, y), [(3,), (3,)]),
    ("matmul_batched", lambda x, y: x @ y, [(2, 3, 4), (4, 2)]),
    ("matmul_stack_vector", lambda x, y: x @ y, [(4,), (2, 4, 3)]),
    ("dot", lambda x, y: dnp.dot(x, y), [(3,), (3, 2)]),
    ("einsum", lambda x, y: dnp.einsum("ij,jk->ik", x, y), [(2, 3), (3, 4)]),
    ("einsum_trace_like", lambda x, y: dnp.einsum("i,i->", x, y), [(3,), (3,)]),
    ("outer", lambda x, y: dnp.outer(x, y), [(2,), (3,)]),
    ("clip", lambda x: dnp.clip(x, -0.5, 0.5), [(4,)]),
    ("abs_sqrt", lambda x: dnp.sqrt(dnp.abs(x) + 1.0), [(3,)]),
    ("pad", lambda x: dnp.pad(x, 1), [(2,)]),
    ("inv_det", lambda a: la.inv(a + SPD) * la.det(a + SPD), [(3, 3)]),
    ("grad_of_det", dg.grad(la.det), [(3, 3)]),  # det's cofactors, singular or not
    ("hvp_of_det", lambda a, e: dg.jvp(dg.grad(la.det), (a,), (e,))[1], [(3, 3), (3, 3)]),
    ("solve_vector", lambda a, b: la.solve(a + SPD, b), [(3, 3), (3,)]),
    ("solve_matrix", lambda a, b: la.solve(a + SPD, b), [(3, 3), (3, 2)]),
    ("cholesky", lambda a: la.cholesky(a @ a.T + SPD), [(3, 3)]),
    ("eigh", lambda a: la.eigh(a + a.T)[0], [(3, 3)]),
    ("svd", lambda a: la.svd(a, full_matrices=False)[1], [(3, 2)]),
    ("qr", lambda a: la.qr(a)[1] ** 2, [(3, 2)]),
    ("pinv", lambda a: la.pinv(a), [(2, 3)]),
    ("norm_nuc", lambda a: la.norm(a, "nuc"), [(2, 3)]),
    ("sort", lambda x: dnp.sort(x, axis=-1), [(2, 3)]),
    ("at_set", lambda x, v: _tensor(x).at[1:, 0].set(v), [(3, 2), (2,)]),
    ("at_add", lambda x, v: _tensor(x).at[np.array([0, 0, 2])].add(v), [(3,), ()]),
    ("diag", lambda v: dnp.diag(v) @ v, [(3,)]),
    ("grad_of_getitem", dg.grad(lambda x: dnp.sum(x[np.array([1, 1, 0])] ** 2)), [(2,)]),
    ("expm", lambda a: la.expm(0.5 * a), [(2, 2)]),
    ("median", lambda x: dnp.median(x, axis=-1), [(2, 5)]),
    ("nanmean", lambda x: dnp.nanmean(x, axis=0), [(3, 2)]),
    ("nanvar", lambda x: dnp.nanvar(x, axis=0, ddof=1), [(3, 2)]),
    ("nanvar_all", lambda x: dnp.nanvar(x, ddof=1), [(3, 2)]),  # a NumPy bool: a loop
    ("grad_of_quantile", dg.grad(lambda x: dnp.quantile(x, 0.3)), [(5,)]),
    ("quantiles", lambda x: dnp.quantile(x, np.array([0.2, 0.9]), axis=-1), [(2, 5)]),
    ("argmax_select", lambda x: x * (dnp.argmax(x, axis=0) == 1), [(3, 2)]),
    ("grad_of_max", dg.grad(lambda x: dnp.sum(dnp.max(x, axis=1) ** 2)), [(2, 3)]),
    ("grad_of_sort", dg.grad(lambda x: dnp.sum(dnp.sort(x) * np.arange(3.0))), [(3,)]),
]
# Cases that run as a loop (the result must still be the loop's).
LOOPED = {"nanvar_all"}


def _values(rng, shape):
    return rng.uniform(-1.5, 1.5, shape)


@pytest.mark.parametrize("name, fn, shapes", CASES, ids=[c[0] for c in CASES])
@given(size=st.integers(1, 4), data=st.data())
def test_vmap_equals_a_loop(name, fn, shapes, size, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    in_axes, args = [], []
    for position, shape in enumerate(shapes):
        choices = [None, *range(-len(shape) - 1, len(shape) + 1)]
        axis = data.draw(st.sampled_from(choices), label=f"axis {position}")
        if position == 0 and all(a is None for a in in_axes) and axis is None:
            axis = 0  # at least one argument is mapped
        value = _values(rng, shape if axis is None else (size, *shape))
        args.append(value if axis is None else np.moveaxis(value, 0, axis))
        in_axes.append(axis)
    in_axes = tuple(in_axes)
    if all(a is None for a in in_axes[1:]) and in_axes[0] is None:
        return
    expected = _loop(fn, args, in_axes)
    _assert_tree_close(dg.vmap(fn, in_axes=in_axes)(*args), expected)
    looped = loops_in(fn, in_axes=in_axes)(*args)
    if name not in LOOPED:
        assert looped == [], f"{name} ran as a loop: {looped}"


GATHERS = [  # (name, f(x, index), per-example index shape, high, loop-free)
    ("leading", lambda x, i: x[i], (), 3, True),
    ("with_a_range", lambda x, i: x[np.arange(3), i], (3,), 4, True),
    ("after_a_slice", lambda x, i: x[:, i], (), 4, True),
    ("apart", lambda x, i: x[i, None, i], (), 3, True),
    ("with_newaxis", lambda x, i: x[None, :, i], (), 4, True),
    ("vector_after_a_slice", lambda x, i: x[:, i], (2,), 4, False),  # in place: a loop
    ("gradient", dg.grad(lambda x, i: dnp.sum(x[i, 1:] ** 2)), (2,), 3, True),
]


@pytest.mark.parametrize(
    "name, f, index_shape, high, loop_free", GATHERS, ids=[g[0] for g in GATHERS]
)
def test_gathers_with_batched_indices(name, f, index_shape, high, loop_free):
    rng = np.random.default_rng(14)
    xs = rng.standard_normal((5, 3, 4))
    indices = rng.integers(0, high, (5, *index_shape))
    expected = np.stack([raw_data(f(x, i)) for x, i in zip(xs, indices, strict=True)])
    np.testing.assert_allclose(raw_data(dg.vmap(f)(xs, indices)), expected, rtol=1e-12)
    assert (loops_in(f)(xs, indices) == []) == loop_free


# ---- in_axes and out_axes ---------------------------------------------------------------------


def test_in_axes_none_negative_and_pytrees():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal(3), "b": rng.standard_normal(())}
    xs = rng.standard_normal((3, 5))  # examples along the last axis

    def f(p, x):
        return dnp.sum(p["w"] * x) + p["b"]

    expected = [f(params, xs[:, i]) for i in range(5)]
    _assert_tree_close(dg.vmap(f, in_axes=(None, -1))(params, xs), np.array(expected))
    batched_b = {"w": params["w"], "b": rng.standard_normal(5)}
    got = dg.vmap(f, in_axes=({"w": None, "b": 0}, 1))(batched_b, xs)
    expected = [f({"w": params["w"], "b": batched_b["b"][i]}, xs[:, i]) for i in range(5)]
    _assert_tree_close(got, np.array(expected))


def test_out_axes():
    xs = np.random.default_rng(1).standard_normal((4, 2, 3))
    got = dg.vmap(lambda x: x * 2.0, out_axes=1)(xs)
    np.testing.assert_allclose(got, np.moveaxis(xs * 2.0, 0, 1))
    got = dg.vmap(lambda x: x * 2.0, out_axes=-1)(xs)
    np.testing.assert_allclose(got, np.moveaxis(xs * 2.0, 0, -1))
    got_sum, got_const = dg.vmap(lambda x: (dnp.sum(x), np.ones(2)), out_axes=(0, None))(xs)
    np.testing.assert_allclose(got_sum, xs.sum(axis=(1, 2)))
    np.testing.assert_allclose(got_const, np.ones(2))
    broadcast = dg.vmap(lambda x: np.ones(2))(xs)  # an output that ignores the batch
    assert np.shape(broadcast) == (4, 2)


def test_outputs_that_are_pytrees():
    xs = np.arange(6.0).reshape(3, 2)
    got = dg.vmap(lambda x: {"s": dnp.sum(x), "pair": (x, -x)})(xs)
    np.testing.assert_allclose(got["s"], xs.sum(1))
    np.testing.assert_allclose(got["pair"][1], -xs)


# ---- composition ------------------------------------------------------------------------------


def _mlp_loss(params, x, y):
    hidden = dnp.tanh(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    return sparse_softmax_cross_entropy(logits, y) + 0.01 * dnp.sum(params["W1"] ** 2)


def _mlp(rng, batch=6):
    params = {
        "W1": rng.standard_normal((4, 5)) * 0.5,
        "b1": rng.standard_normal(5) * 0.1,
        "W2": rng.standard_normal((5, 3)) * 0.5,
        "b2": np.zeros(3),
    }
    return params, rng.standard_normal((batch, 4)), rng.integers(0, 3, batch)


def test_per_example_gradients_of_an_mlp_equal_a_loop_of_grads():
    params, xs, ys = _mlp(np.random.default_rng(0))
    per_example = dg.vmap(dg.grad(_mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    expected = _loop(dg.grad(_mlp_loss), [params, xs, ys], (None, 0, 0))
    _assert_tree_close(per_example, expected)
    assert loops_in(dg.grad(_mlp_loss), in_axes=(None, 0, 0))(params, xs, ys) == []


def test_per_example_gradients_with_a_gathered_log_likelihood():
    params, xs, ys = _mlp(np.random.default_rng(1))

    def loss(p, x, y):
        logits = dnp.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return -dnp.log_softmax(logits)[y]

    got = dg.vmap(dg.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)
    _assert_tree_close(got, _loop(dg.grad(loss), [params, xs, ys], (None, 0, 0)))
    assert loops_in(dg.grad(loss), in_axes=(None, 0, 0))(params, xs, ys) == []


def test_per_example_gradients_with_tensor_params_stay_differentiable():
    params, xs, ys = _mlp(np.random.default_rng(2))
    tensors = {k: dg.tensor(v, dtype="float64", requires_grad=True) for k, v in params.items()}
    per_example = dg.vmap(dg.grad(_mlp_loss), in_axes=(None, 0, 0))(tensors, xs, ys)
    norm = dnp.sum(dnp.stack([dnp.sum(g**2) for g in per_example.values()]))
    norm.backward()  # the per-example gradients are functions of the parameters

    def squared_norm(p):
        grads = dg.vmap(dg.grad(_mlp_loss), (None, 0, 0))(p, xs, ys)
        return dnp.sum(dnp.stack([dnp.sum(g**2) for g in grads.values()]))

    expected = dg.grad(squared_norm)(params)
    for k in params:
        grad = tensors[k].grad
        assert grad is not None
        np.testing.assert_allclose(grad.numpy(), expected[k], rtol=1e-9)


def test_grad_of_vmap_equals_grad_of_the_loop():
    rng = np.random.default_rng(3)
    w, xs = rng.standard_normal(3), rng.standard_normal((5, 3))

    def f(w, x):
        return dnp.sin(dnp.sum(w * x)) * dnp.sum(x**2)

    def batched(w, xs):
        return dnp.sum(dg.vmap(f, in_axes=(None, 0))(w, xs) ** 2)

    def looped(w, xs):
        return sum(f(w, xs[i]) ** 2 for i in range(5))

    g_w, g_x = dg.grad(batched, argnums=(0, 1))(w, xs)
    e_w, e_x = dg.grad(looped, argnums=(0, 1))(w, xs)
    np.testing.assert_allclose(g_w, e_w, rtol=1e-10)
    np.testing.assert_allclose(g_x, e_x, rtol=1e-10)
    dg.check_grads(batched, (w, xs), order=2)


def test_jacobian_by_vmap_of_a_vjp():
    x = np.random.default_rng(4).standard_normal(3)

    def f(x):
        return dnp.tanh(W.T @ x) * dnp.sum(x)

    _, vjp_fn = dg.vjp(f, x)
    rows = dg.vmap(lambda ct: vjp_fn(ct)[0])(np.eye(4))
    np.testing.assert_allclose(rows, dg.jacobian(f)(x), rtol=1e-10)
    columns = dg.vmap(lambda t: dg.jvp(f, (x,), (t,))[1], out_axes=1)(np.eye(3))
    np.testing.assert_allclose(columns, dg.jacobian(f)(x), rtol=1e-10)


def test_vmap_of_hessian_and_jvp_of_vmap():
    xs = np.random.default_rng(5).standard_normal((4, 3))

    def f(x):
        return dnp.sum(dnp.sin(x) * x[::-1]) ** 2

    _assert_tree_close(dg.vmap(dg.hessian(f))(xs), _loop(dg.hessian(f), [xs], (0,)))
    tangent = np.ones_like(xs)
    value, derivative = dg.jvp(dg.vmap(f), (xs,), (tangent,))
    expected = [dg.jvp(f, (x,), (t,)) for x, t in zip(xs, tangent, strict=True)]
    np.testing.assert_allclose(value, [v for v, _ in expected])
    np.testing.assert_allclose(derivative, [d for _, d in expected])


def test_nested_vmap():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))

    def distance(x, y):
        return dnp.sqrt(dnp.sum((x - y) ** 2))

    pairwise = dg.vmap(dg.vmap(distance, in_axes=(None, 0)), in_axes=(0, None))(a, b)
    expected = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    np.testing.assert_allclose(pairwise, expected, rtol=1e-12)
    inner = dg.vmap(distance, in_axes=(None, 0))
    assert loops_in(inner, in_axes=(0, None))(a, b) == []


def test_compiled_vmap_equals_eager():
    params, xs, ys = _mlp(np.random.default_rng(8))
    eager = dg.vmap(dg.grad(_mlp_loss), in_axes=(None, 0, 0))
    compiled = dg.compile(eager)
    for _ in range(4):
        xs = xs + 0.1
        _assert_tree_close(compiled(params, xs, ys), eager(params, xs, ys))


def test_vmap_of_a_compiled_function():
    xs = np.random.default_rng(11).standard_normal((5, 3))
    compiled = dg.compile(lambda x: dnp.sum(dnp.tanh(x) ** 2))
    np.testing.assert_allclose(dg.vmap(compiled)(xs), np.sum(np.tanh(xs) ** 2, axis=1))
    assert loops_in(compiled)(xs) == []


def test_vmap_of_a_model_reads_its_weights_on_the_tape():
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(8, activation="tanh"), layers.Dense(3)])
    xs = np.random.default_rng(12).standard_normal((5, 4)).astype(np.float32)
    expected = model(xs)

    def one(x):
        return model(x[None])[0]

    out = dg.vmap(one)(xs)
    assert loops_in(one)(xs) == []
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    dnp.sum(out**2).backward()  # the batched output is on the tape, as model(xs) is
    vmapped_grads = [w.grad.numpy().copy() for w in model.trainable_weights]
    for w in model.trainable_weights:
        w.grad = None
    dnp.sum(model(xs) ** 2).backward()
    for got, w in zip(vmapped_grads, model.trainable_weights, strict=True):
        np.testing.assert_allclose(got, w.grad.numpy(), rtol=1e-4, atol=1e-6)
    saliency = dg.vmap(dg.grad(lambda x: dnp.sum(one(x))))(xs)
    expected = [dg.grad(lambda x: dnp.sum(one(x)))(x) for x in xs]
    np.testing.assert_allclose(raw_data(saliency), np.stack(expected), rtol=1e-5, atol=1e-6)


def test_vmap_on_the_guard_backend_stays_on_the_device():
    xs = GuardArray(np.random.default_rng(13).standard_normal((4, 3)))
    grads = dg.vmap(dg.grad(lambda x: dnp.sum(dnp.tanh(x) ** 2)))(xs)
    assert isinstance(grads, GuardArray)
    host = xs.get()
    np.testing.assert_allclose(grads.get(), 2 * np.tanh(host) * (1 - np.tanh(host) ** 2))


# ---- where a loop runs instead, and stays right ---------------------------------------------


def test_a_primitive_without_a_rule_runs_as_a_loop():
    cube = dg.Primitive(lambda x: x**3, "cube")
    cube.defvjp(lambda g, ans, x: g * 3 * x**2)
    xs = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(dg.vmap(lambda x: cube(x) + 1.0)(xs), xs**3 + 1.0)
    assert loops_in(lambda x: cube(x) + 1.0)(xs) == ["cube"]
    grads = dg.vmap(dg.grad(lambda x: dnp.sum(cube(x))))(xs)
    np.testing.assert_allclose(grads, 3 * xs**2)


def test_control_flow_on_values_falls_back_to_a_loop():
    def f(x):
        return dnp.sum(x) * 2.0 if float(dnp.sum(x)) > 0 else -dnp.sum(x**2)

    xs = np.array([[1.0, 2.0], [-3.0, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(dg.vmap(f)(xs), [f(x) for x in xs])
    assert loops_in(f)(xs)[0].startswith("the whole function")


def test_closure_over_an_outer_traced_value_falls_back_to_a_loop():
    xs = np.random.default_rng(9).standard_normal((4, 3))

    def outer(w):
        return dnp.sum(dg.vmap(lambda x: dnp.sum(w * x) ** 2)(xs))

    w = np.array([0.5, -1.0, 2.0])
    expected = sum(2 * np.sum(w * x) * x for x in xs)
    np.testing.assert_allclose(dg.grad(outer)(w), expected, rtol=1e-12)


def test_a_number_computed_from_an_example_falls_back_to_a_loop():
    def f(x):  # a Python float from the data, fed back as a constant
        return x * record_call(lambda a: float(np.max(a)), x)

    xs = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 2.0]])  # first and last agree: 2.0
    np.testing.assert_allclose(dg.vmap(f)(xs), [x * x.max() for x in xs])
    assert loops_in(f)(xs)[0].startswith("the whole function (<lambda> gives a Python number")


def test_random_draws_are_made_per_example():
    rng = np.random.default_rng(10)
    draws = dg.vmap(lambda x: x + record_call(rng.standard_normal, ()))(np.zeros(5))
    assert len(set(np.round(np.asarray(draws), 12))) == 5


# ---- errors -----------------------------------------------------------------------------------


def test_mismatched_batch_sizes_name_the_arguments():
    def f(xs, ys):
        return xs + ys

    with pytest.raises(
        ValueError, match=r"argument 0 \('xs'\) has size 3.*argument 1 \('ys'\) has size 4"
    ):
        dg.vmap(f)(np.ones(3), np.ones(4))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: dg.vmap(lambda x: x, in_axes=2)(np.ones((2, 2))), ValueError, "no axis 2"),
        (lambda: dg.vmap(lambda x, y: x, in_axes=(0,))(1.0, 2.0), ValueError, "in_axes has 1"),
        (lambda: dg.vmap(lambda x: x, in_axes=(None,))(np.ones(2)), ValueError, "every in_axes"),
        (lambda: dg.vmap(lambda x: x, in_axes={"a": 0})(np.ones(2)), TypeError, "in_axes must"),
        (lambda: dg.vmap(lambda x: x, out_axes=None)(np.ones(2)), ValueError, "out_axes is None"),
        (
            lambda: dg.vmap(lambda x: x, in_axes=({"a": 0},))({"b": np.ones(2)}),
            ValueError,
            "structure",
        ),
        (lambda: dg.vmap(lambda: 1.0)(), TypeError, "no arguments"),
        (lambda: dg.vmap(lambda x: x)(np.ones((0, 2))), ValueError, "has size 0"),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_side_effects_are_refused():
    w = dg.tensor(np.ones(3), dtype="float64", requires_grad=True)

    def step(x):
        loss = dnp.sum(w * x)
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match=r"vmap: .* writes outside its result"):
        dg.vmap(step)(np.ones((2, 3)))

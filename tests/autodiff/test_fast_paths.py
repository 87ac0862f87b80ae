"""The engine's fast paths give what the general code gives: the same bits, dtypes, errors.

bind, the reverse loop and the engine's own primitives take shortcuts for the common case
(arguments written out, NumPy's method instead of its wrapper); each test here pins one
shortcut to the slow, obvious computation it stands for.
"""

import contextlib
import re

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.autodiff.primitive import (
    STATE,
    Primitive,
    _broadcast_to_impl,
    _reshape_impl,
    _sum_impl,
    bind,
    bind_one,
    bind_pair,
    node_of,
)

N_OPS = 50

pytestmark = pytest.mark.usefixtures("tape_engine")


def chain(x, c):
    """benchmarks/overhead.py's chain: multiply, add and tanh in turn."""
    for i in range(N_OPS):
        x = _step(x, c, i)
    return x


def _step(x, c, i):
    kind = i % 3
    if kind == 0:
        return x * c
    if kind == 1:
        return x + c
    return dnp.tanh(x)


def numpy_chain_gradient(x0, c):
    """The gradient of sum(chain(x)) written out in NumPy, rule by rule, in the engine's order."""
    values = [x0]
    for i in range(N_OPS):
        values.append(_step(values[-1], c, i))
    g = np.broadcast_to(np.ones((1,), x0.dtype), x0.shape)
    for i in reversed(range(N_OPS)):
        kind = i % 3
        if kind == 0:
            g = g * c
        elif kind == 2:
            ans = values[i + 1]
            g = g * (1 - ans * ans)
    return g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tape_grad_and_numpy_agree_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(16).astype(dtype)
    c = rng.uniform(0.5, 1.0, 16).astype(dtype)
    expected = numpy_chain_gradient(x0, c)

    x = dg.tensor(x0, requires_grad=True)
    dnp.sum(chain(x, c)).backward()
    functional = dg.grad(lambda x: dnp.sum(chain(x, c)))(x0)

    for got in (x.grad.numpy(), functional):
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)


# ---- bind_pair and bind_one: bind for two and one arguments, without its loop ------------------

_left_only = Primitive(lambda x, y: x * y, "left_only")  # y is not differentiable
_left_only.defvjp(lambda g, ans, x, y: g * y, None)
_ARGUMENT_KINDS = ["raw", "constant", "tape", "tape, no grad"]


def _argument(kind, value):
    if kind == "raw":
        return value
    if kind == "constant":
        return dg.tensor(value)
    return dg.tensor(value, requires_grad=True)


def _grad_switch(*kinds):
    return dg.no_grad() if any("no grad" in kind for kind in kinds) else contextlib.nullcontext()


def _describe_result(result):
    """What bind returned, in full: its value, level, and node (primitive, parents, args)."""
    if not isinstance(result, dg.Tensor):
        return ("raw", result.tolist())
    node = node_of(result)
    recorded = None
    if node is not None:
        parents = [(position, id(parent)) for position, parent in node.parents]
        recorded = (node.prim, parents, [a.tolist() for a in node.args], node.kwargs)
    return (result._level, result._value.tolist(), result._value.dtype, recorded)


@pytest.mark.parametrize("prim", [dnp.multiply, _left_only], ids=["multiply", "left_only"])
@pytest.mark.parametrize("y_kind", _ARGUMENT_KINDS)
@pytest.mark.parametrize("x_kind", _ARGUMENT_KINDS)
def test_bind_pair_records_what_bind_records(prim, x_kind, y_kind):
    x = _argument(x_kind, np.array([1.5, -2.0], np.float32))
    y = _argument(y_kind, np.array([0.5, 3.0], np.float32))
    seen = []
    observer, STATE.observer = STATE.observer, lambda *call: seen.append(call)
    try:
        with _grad_switch(x_kind, y_kind):
            fast, general = bind_pair(prim, x, y), bind(prim, (x, y), {})
    finally:
        STATE.observer = observer
    assert _describe_result(fast) == _describe_result(general)
    first, second = seen
    assert first[0] is second[0] is prim
    assert [id(a) for a in first[1]] == [id(a) for a in second[1]]
    assert [id(a) for a in first[2]] == [id(a) for a in second[2]]


@pytest.mark.parametrize("x_kind", _ARGUMENT_KINDS)
def test_bind_one_records_what_bind_records(x_kind):
    x = _argument(x_kind, np.array([0.25, -1.0], np.float32))
    with _grad_switch(x_kind):
        fast, general = bind_one(dnp.tanh, x), bind(dnp.tanh, (x,), {})
    assert _describe_result(fast) == _describe_result(general)


@pytest.mark.parametrize("transform", ["grad", "jvp", "grad of grad"])
def test_bind_pair_and_bind_one_inside_transforms_give_binds_derivatives(transform):
    x0, c = np.array([0.3, -0.7, 1.1]), np.array([2.0, 0.5, -1.5])

    def through(bind_two, bind_single):
        def f(x):
            doubled = bind_two(dnp.add, x, x)
            return dnp.sum(bind_single(dnp.tanh, bind_two(dnp.multiply, c, doubled)))

        if transform == "grad":
            return dg.grad(f)(x0)
        if transform == "jvp":
            return dg.jvp(f, (x0,), (np.ones(3),))[1]
        return dg.grad(lambda x: dnp.sum(dg.grad(f)(x) * c))(x0)

    fast = through(bind_pair, bind_one)
    general = through(lambda p, a, b: bind(p, (a, b), {}), lambda p, a: bind(p, (a,), {}))
    np.testing.assert_array_equal(fast, general)


def test_bind_pair_and_bind_one_name_the_op_on_failure():
    x = dg.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"^add: arguments \(3,\) float32, \(2,\) float32: "):
        bind_pair(dnp.add, x, np.ones(2, np.float32))
    with pytest.raises(TypeError, match=r"^tanh: arguments str"):
        bind_one(dnp.tanh, "x")


def test_mixed_dtypes_are_cast_back_on_the_tape_and_in_grad():
    # float32 x times float64 c: the cotangent of x comes back float64 and is cast to float32
    x0 = np.array([0.5, -1.5, 2.0], np.float32)
    c = np.array([3.0, 0.25, -1.0])
    x = dg.tensor(x0, requires_grad=True)
    dnp.sum(dnp.tanh(x * c)).backward()
    functional = dg.grad(lambda x: dnp.sum(dnp.tanh(x * c)))(x0)
    expected = ((1 - np.tanh(x0 * c) ** 2) * c).astype(np.float32)
    for got in (x.grad.numpy(), functional):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_broadcast_cotangents_are_summed_on_the_tape_and_in_grad():
    x0 = np.array([1.0, 2.0, 3.0])
    bias = np.array([[0.5], [1.5]])
    x = dg.tensor(x0, requires_grad=True)
    dnp.sum(x * bias).backward()
    functional = dg.grad(lambda x: dnp.sum(x * bias))(x0)
    for got in (x.grad.numpy(), functional):
        np.testing.assert_array_equal(got, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x * np.ones(4, np.float32),  # the tape
        lambda x: dg.grad(lambda x: dnp.sum(x * np.ones(4, np.float32)))(x.numpy()),  # traced
    ],
)
def test_a_failing_op_names_itself_and_its_operands(make):
    x = dg.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=r"^multiply: arguments \(3,\) float32, \(4,\) float32: "):
        make(x)


def test_backward_restores_the_grad_switch_when_it_fails():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = dnp.sum(x * x)
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    assert dg.is_grad_enabled()
    with dg.no_grad():
        z = dg.tensor([1.0], requires_grad=True) * 2
        assert not z.requires_grad
    assert dg.is_grad_enabled()


def test_anomaly_mode_names_the_line_on_the_tape_and_in_grad():
    with dg.detect_anomaly(), np.errstate(divide="ignore"):
        x = dg.tensor([0.0], requires_grad=True)
        with pytest.raises(dg.AnomalyError, match="log produced NaN or Inf in the forward"):
            dnp.log(x)
        with pytest.raises(dg.AnomalyError, match="log produced NaN or Inf in the forward"):
            dg.grad(lambda x: dnp.sum(dnp.log(x)))(np.array([0.0]))


SUM_CASES = [
    (np.arange(1000, dtype=np.float32) / 7, {}),  # pairwise summation
    (np.ones((3, 4, 5), np.float16), {"axis": (0, 2)}),
    (np.ones((3, 4)), {"axis": 1, "keepdims": True}),
    (np.ones((3, 4), np.float32), {"dtype": np.float64}),
    (np.arange(12, dtype=np.int8).reshape(3, 4), {"axis": 0}),  # small ints sum as int64
    (np.array([True, False, True]), {}),  # booleans count
    (np.array(2.5), {}),  # 0-d
    (np.float32(1.5), {}),  # a NumPy scalar takes np.sum's path
    ([1.0, 2.0], {}),  # so does a list
]


@pytest.mark.parametrize(("x", "kwargs"), SUM_CASES)
def test_engine_sum_is_numpys_sum(x, kwargs):
    got = _sum_impl(x, **kwargs)
    expected = np.sum(x, **kwargs)
    assert type(got) is type(expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


def test_engine_sum_writes_into_out():
    out = np.zeros(4)
    result = _sum_impl(np.ones((3, 4)), axis=0, out=out)
    assert result is out
    np.testing.assert_array_equal(out, [3.0, 3.0, 3.0, 3.0])


@pytest.mark.parametrize(
    ("x", "shape"),
    [(np.arange(6.0), (2, 3)), (np.arange(6.0), (-1, 2)), (np.ones(()), (1, 1)), (3.0, (1,))],
)
def test_engine_reshape_is_numpys_reshape(x, shape):
    got, expected = _reshape_impl(x, shape), np.reshape(x, shape)
    assert type(got) is type(expected) and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    if isinstance(x, np.ndarray):
        assert np.shares_memory(got, x)


@pytest.mark.parametrize(
    "x",
    [
        np.array(2.5, np.float32),
        np.array(-1.0),
        np.array(3, np.int64),
        np.array(True),
        np.array(1 + 2j, np.complex64),
        np.broadcast_to(np.array(4.0), ()),  # read-only already
        np.array("text"),
        np.array(None, dtype=object),  # no buffer to view: NumPy's own path
        np.arange(3.0),  # not 0-d: NumPy's own path
        np.float32(1.5),  # a NumPy scalar: NumPy's own path
    ],
)
@pytest.mark.parametrize("shape", [(), (1,), (4,), (2, 3), (0, 3), (3, 0, 2), (1, 1, 1, 5)])
def test_engine_broadcast_is_numpys_broadcast(x, shape):
    if np.ndim(x) == 1 and shape[-1:] != (3,):
        shape = (*shape, 3)
    got, expected = _broadcast_to_impl(x, shape), np.broadcast_to(x, shape)
    assert type(got) is type(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.strides == expected.strides
    assert not got.flags.writeable  # a view with zero strides must never be written
    np.testing.assert_array_equal(got, expected)
    if isinstance(x, np.ndarray) and got.size:
        assert np.shares_memory(got, x)
    with pytest.raises(ValueError):
        got[...] = 0


@pytest.mark.parametrize("shape", [(-1,), (2, -3), (3, 4)])
def test_engine_broadcast_raises_numpys_error(shape):
    x = np.array([1.0, 2.0]) if shape == (3, 4) else np.array(1.0)
    with pytest.raises(ValueError) as fast:
        _broadcast_to_impl(x, shape)
    with pytest.raises(ValueError) as slow:
        np.broadcast_to(x, shape)
    assert str(fast.value) == str(slow.value)


def test_engine_reshape_raises_numpys_error():
    with pytest.raises(ValueError) as fast:
        _reshape_impl(np.arange(6.0), (4,))
    with pytest.raises(ValueError) as slow:
        np.reshape(np.arange(6.0), (4,))
    assert str(fast.value) == str(slow.value)


@pytest.mark.parametrize(
    ("tree", "count"),
    [
        (np.ones(2), 1),  # a single leaf takes tree_flatten's shortcut
        (3.0, 1),
        (None, 0),
        ((np.ones(2),), 1),
        ([1.0, (2.0, None), {"b": 3.0, "a": [4.0]}], 4),
        ({}, 0),
        ((), 0),
    ],
)
def test_pytrees_round_trip(tree, count):
    leaves, treedef = dg.tree_flatten(tree)
    assert len(leaves) == count
    rebuilt = dg.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(tree)
    assert dg.tree_flatten(rebuilt) == (leaves, treedef)


def test_the_floating_dtype_shortcut_accepts_only_what_is_floating_accepts():
    from deepgrad.autodiff.transforms import _INEXACT
    from deepgrad.backend import is_floating

    assert all(is_floating(dtype) for dtype in _INEXACT)
    everything = {np.dtype(code) for code in np.typecodes["All"]}
    real = {dtype for dtype in everything if is_floating(dtype) and dtype.kind != "c"}
    assert real <= _INEXACT  # complex inputs are refused before the shortcut is asked


@pytest.mark.parametrize("argnums", [0, -1, (0,), [0]])
def test_argnums_in_any_form_select_the_argument(argnums):
    gradient = dg.grad(lambda x: dnp.sum(x * x), argnums=argnums)(np.array([1.0, 2.0]))
    expected = np.array([2.0, 4.0])
    np.testing.assert_array_equal(gradient if isinstance(argnums, int) else gradient[0], expected)


@pytest.mark.parametrize("argnums", [1, -2, (0, 1)])
def test_argnums_out_of_range_are_refused(argnums):
    message = re.escape(f"grad: argnums {argnums} but the function got 1 arguments")
    with pytest.raises(ValueError, match=message):
        dg.grad(lambda x: dnp.sum(x), argnums=argnums)(np.ones(2))


def test_an_integer_input_is_refused_by_name():
    with pytest.raises(TypeError, match="vjp: input 0 has dtype int64; only floating-point"):
        dg.grad(lambda x: x * x)(np.array(3))


def test_vjp_passes_arrays_through_as_asarray_would():
    x0 = np.array([1.0, 2.0])
    out, vjp_fn = dg.vjp(lambda x: x, x0)
    assert out is x0  # np.asarray(x0) is x0
    cotangent = np.array([3.0, 4.0])
    (back,) = vjp_fn(cotangent)
    assert back is cotangent
    (cast,) = vjp_fn(np.array([3.0, 4.0], np.float32))  # cast to the output's dtype
    assert cast.dtype == np.float64
    np.testing.assert_array_equal(cast, [3.0, 4.0])


@pytest.mark.parametrize(
    ("argnums", "expected"),
    [((0, 1), (5.0, 2.0)), ((1, 0), (2.0, 5.0)), (1, 2.0)],
)
def test_grad_selects_arguments_in_any_order(argnums, expected):
    def f(x, y, scale=1.0):
        return x * y * scale

    got = dg.grad(f, argnums=argnums)(2.0, 5.0)
    np.testing.assert_array_equal(got, expected)
    scaled = dg.grad(f, argnums=argnums)(2.0, 5.0, scale=3.0)  # keywords pass through
    np.testing.assert_array_equal(scaled, np.multiply(expected, 3.0))


def _logged_combine(visits: list) -> Primitive:
    """x + y whose VJP rules log the node they run for (by its answer's identity)."""

    def rule(g, ans, x, y):
        visits.append(id(ans))
        return g

    combine = Primitive(np.add, "combine")
    combine.defvjp(rule, rule)
    return combine


@pytest.mark.parametrize("seed", range(20))
def test_the_reverse_loop_visits_every_node_once_newest_first(seed):
    """The loop's shortcut (the newest parent next, without the heap) keeps the heap's
    order: each node reached once, after every consumer, newest first; and the gradient
    is the number of paths from the input to the output."""
    rng = np.random.default_rng(seed)
    visits: list = []
    combine = _logged_combine(visits)
    x = dg.tensor(1.0, dtype="float64", requires_grad=True)
    nodes = [x]
    for _ in range(int(rng.integers(2, 30))):  # a random DAG: each node adds two earlier ones
        first, second = rng.integers(0, len(nodes), size=2)
        nodes.append(combine(nodes[first], nodes[second]))
    output = nodes[-1]
    paths = {id(x): 1}  # the number of paths from x to each node, in creation order
    reached = {id(output)}  # the nodes the output depends on, found newest first
    order = {}  # a node's answer → its creation sequence
    for node in nodes[1:]:
        first, second = (parent for _, parent in node_of(node).parents)
        paths[id(node)] = paths[id(first)] + paths[id(second)]
        order[id(node._value)] = node_of(node).sequence
    for node in reversed(nodes[1:]):
        if id(node) in reached:
            reached.update(id(parent) for _, parent in node_of(node).parents)
    expected = sorted((order[id(n._value)] for n in nodes[1:] if id(n) in reached), reverse=True)
    output.backward()
    visited = [order[key] for key in visits[::2]]  # each node's two rules run in turn
    assert visits[::2] == visits[1::2]
    assert visited == expected
    assert x.grad.item() == paths[id(output)]

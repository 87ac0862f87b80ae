"""The tape's hot loops in C (``autodiff/native_tape.c``) against the Python functions that
define them (``primitive.bind_pair``, ``bind_one``, ``graph.backward_pass``'s loop): the
same fields recorded, the same gradients to the bit, the same errors, and everything they
do not take handed to Python."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import kernels, native
from deepgrad.autodiff import graph, primitive
from deepgrad.autodiff.primitive import NO_KWARGS, node_of
from deepgrad.native_loops import NativeModule
from deepgrad.tensor import mark_written


@pytest.fixture
def tape():
    module = graph.NATIVE_TAPE.get()
    if module is None:
        pytest.skip("the native tape cannot be built here")
    return module


def python_tape():
    """The Python binds and walk, for the length of a with block."""

    class Python:
        def __enter__(self):
            self.saved = (graph.NATIVE_TAPE.tried, graph.NATIVE_TAPE.module)
            graph.NATIVE_TAPE.tried, graph.NATIVE_TAPE.module = True, None
            primitive.use_binds(primitive.bind, primitive.bind_pair, primitive.bind_one)

        def __exit__(self, *exc):
            graph.NATIVE_TAPE.tried, graph.NATIVE_TAPE.module = self.saved
            module = self.saved[1]
            if module is not None:
                primitive.use_binds(module.bind, module.bind_pair, module.bind_one)

    return Python()


UNARY = [dnp.tanh, dnp.exp, dnp.sin, dnp.square, dnp.negative, dnp.abs]
BINARY = [
    dnp.add,
    dnp.multiply,
    dnp.subtract,
    dnp.maximum,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: dnp.where(a > 0, a, b),  # three arguments, the first not differentiable
    lambda a, b: dnp.clip(a + b, -1.0, 1.0),
]


def grad_of(x) -> np.ndarray:
    """``x.grad`` as an array (a backward pass has filled it)."""
    assert x.grad is not None
    return x.grad.numpy()


def random_program(seed: int):
    """A random graph over three inputs of broadcast shapes: tensors used more than once,
    constants, Python numbers, reductions with keywords and ops of one or two arguments."""
    rng = np.random.default_rng(seed)

    def run(x, y, z):
        pool = [x, y, z]
        for _ in range(int(rng.integers(4, 12))):
            kind = rng.integers(0, 5)
            a = pool[rng.integers(len(pool))]
            if kind == 0:
                pool.append(UNARY[rng.integers(len(UNARY))](a))
            elif kind in (1, 2):
                b = pool[rng.integers(len(pool))]
                pool.append(BINARY[rng.integers(len(BINARY))](a, b))
            elif kind == 3:
                pool.append(a * float(rng.uniform(0.5, 2.0)))
            else:
                pool.append(dnp.sum(a, axis=-1, keepdims=True))
        total = pool[-1]
        for extra in pool[:-1]:
            total = total + dnp.sum(extra)
        return dnp.sum(total)

    return run


def gradients(seed: int, dtype) -> list:
    rng = np.random.default_rng(seed)
    values = [
        rng.standard_normal((3, 4)).astype(dtype),
        rng.standard_normal((4,)).astype(dtype),
        rng.standard_normal((3, 1)).astype(dtype),
    ]
    inputs = [dg.tensor(v, requires_grad=True) for v in values]
    random_program(seed)(*inputs).backward()
    return [grad_of(x) for x in inputs]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), dtype=st.sampled_from([np.float32, np.float64]))
def test_the_same_gradients_to_the_bit(seed, dtype):
    assert_same_bits(gradients, seed, dtype)


def assert_same_bits(derivatives, seed: int, dtype) -> None:
    """``derivatives(seed, dtype)`` on the C tape and on the Python tape: the same arrays."""
    if graph.NATIVE_TAPE.get() is None:
        pytest.skip("the native tape cannot be built here")
    in_c = derivatives(seed, dtype)
    with python_tape():
        in_python = derivatives(seed, dtype)
    for a, b in zip(in_c, in_python, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def transformed(seed: int, dtype) -> list:
    """The random program's gradient by ``grad`` (ops on a traced level) and its Hessian's
    row sums by ``grad`` of ``grad`` (a traced level over another: nested)."""
    rng = np.random.default_rng(seed)
    values = (
        rng.standard_normal((3, 4)).astype(dtype),
        rng.standard_normal((4,)).astype(dtype),
        rng.standard_normal((3, 1)).astype(dtype),
    )
    program = random_program(seed)
    first = dg.grad(program, argnums=(0, 1, 2))(*values)
    program = random_program(seed)
    second = dg.grad(lambda x: dnp.sum(dg.grad(lambda u: program(u, *values[1:]))(x)))(values[0])
    return [np.asarray(g) for g in (*first, second)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), dtype=st.sampled_from([np.float32, np.float64]))
def test_the_same_derivatives_inside_transforms(seed, dtype):
    assert_same_bits(transformed, seed, dtype)


def test_a_node_recorded_in_c_holds_the_fields_python_records(tape):
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    c = np.array([3.0, 4.0])
    for make in (lambda: x * c, lambda: c * x, lambda: x * x, lambda: dnp.tanh(x)):
        recorded = []
        for form in ("C", "Python"):
            if form == "C":
                y = make()
            else:
                with python_tape():
                    y = make()
            assert isinstance(y, dg.Tensor)
            node = node_of(y)
            assert node is not None
            recorded.append(node)
            assert y._level == 0 and y.grad is None and y._tangent is None
            assert node.kwargs is NO_KWARGS
        (a, b) = recorded
        assert a.prim is b.prim
        assert [p for p, _ in a.parents] == [p for p, _ in b.parents]
        assert all(t is u for (_, t), (_, u) in zip(a.parents, b.parents, strict=True))
        assert type(a.args) is type(b.args) and len(a.args) == len(b.args)
        assert all(type(u) is type(v) for u, v in zip(a.inputs, b.inputs, strict=True))
        assert a.sequence < b.sequence  # one count for both


def test_a_call_with_keywords_or_three_arguments_records_what_bind_records(tape):
    x = dg.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    y = dg.tensor([0.5, 0.5], requires_grad=True)
    for make in (
        lambda: dnp.sum(x, axis=0, keepdims=True),
        lambda: dnp.where(x > 0, x, y),
        lambda: dnp.clip(x, y, 2.0),
    ):
        nodes = []
        for form in ("C", "Python"):
            with python_tape() if form == "Python" else _nothing():
                nodes.append(node_of(make()))
        a, b = nodes
        assert a.prim is b.prim and a.kwargs == b.kwargs
        assert [p for p, _ in a.parents] == [p for p, _ in b.parents]
        assert all(t is u for (_, t), (_, u) in zip(a.parents, b.parents, strict=True))
        assert type(a.args) is type(b.args) is list
        for u, v in zip(a.args, b.args, strict=True):
            assert type(u) is type(v)
            np.testing.assert_array_equal(u, v)


def test_constants_and_no_grad_record_nothing(tape):
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    constant = dg.tensor([1.0, 1.0])
    for y in (constant * 2.0, dnp.tanh(constant)):
        assert y._level == -1 and node_of(y) is None
    with dg.no_grad():
        for y in (x * 2.0, dnp.exp(x)):
            assert y._level == -1 and node_of(y) is None
    assert isinstance(dnp.multiply(np.ones(2), np.ones(2)), np.ndarray)  # no Tensor: raw
    assert isinstance(dnp.exp(np.ones(2)), np.ndarray)


def test_a_failing_op_names_itself_as_in_python(tape):
    x = dg.tensor(np.ones(2), requires_grad=True)
    messages = []
    for form in ("C", "Python"):
        context = python_tape() if form == "Python" else _nothing()
        with context, pytest.raises(ValueError) as raised:
            _ = x * np.ones(3)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("multiply: arguments (2,) float64, (3,) float64:")


def test_a_failing_rule_names_its_op_as_in_python(tape):
    broken = primitive.Primitive(np.sin, "broken")
    broken.defvjp(lambda g, ans, x: g @ np.ones((7, 7)))
    messages = []
    for form in ("C", "Python"):
        context = python_tape() if form == "Python" else _nothing()
        x = dg.tensor(np.ones(2), requires_grad=True)
        with context, pytest.raises(ValueError) as raised:
            dnp.sum(broken(x)).backward()
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("broken: the gradient with respect to argument 0 failed:")


def test_an_error_named_in_c_is_chained_to_its_cause_as_in_python(tape):
    """The op's or the rule's error named with the op has that error as its __cause__ and
    its __context__ in both forms (raised while handling it), not an exception the caller
    was handling when it called the op; and the caller's stays the one being handled."""
    broken = primitive.Primitive(np.sin, "broken")
    broken.defvjp(lambda g, ans, x: g @ np.ones((7, 7)))
    x = dg.tensor(np.ones(2), requires_grad=True)
    calls = (
        lambda: x * np.ones(3),
        lambda: dnp.sum(broken(x)).backward(),
        lambda: dg.grad(lambda u: dnp.sum(u * np.ones(3)))(np.ones(2)),
    )
    for call in calls:
        for form in ("C", "Python"):
            with python_tape() if form == "Python" else _nothing():
                try:
                    raise KeyError("the caller's")
                except KeyError as handled:
                    with pytest.raises(ValueError) as raised:
                        call()
                    assert sys.exc_info()[1] is handled
            named = raised.value
            assert isinstance(named.__cause__, ValueError), form
            assert named.__context__ is named.__cause__, form


def test_other_errors_of_a_rule_pass_through(tape):
    class Odd(Exception):
        pass

    def rule(g, ans, x):
        raise Odd("from the rule")

    odd = primitive.Primitive(np.sin, "odd")
    odd.defvjp(rule)
    x = dg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(Odd, match="from the rule"):
        dnp.sum(odd(x)).backward()


def test_a_freed_graph_and_a_write_in_place_are_refused(tape):
    x = dg.tensor(np.ones(2), requires_grad=True)
    y = dnp.sum(x * x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    w = dg.tensor(np.ones(2), requires_grad=True)
    v = dnp.exp(w)
    total = dnp.sum(v * 2.0)
    mark_written(v)  # what +=, an item assignment or an optimizer step do
    with pytest.raises(RuntimeError, match="was written in place"):
        total.backward()


def test_what_the_c_loops_do_not_take_goes_to_python(tape):
    """A traced level (grad of grad), a subclass of Primitive, an observer (compile) and
    create_graph: the Python functions run them, with the same answers as before."""
    f = lambda x: dnp.sum(dnp.tanh(x) * x)  # noqa: E731
    x0 = np.array([0.3, -0.7])
    second = dg.grad(lambda x: dnp.sum(dg.grad(f)(x)))(x0)
    with python_tape():
        second_python = dg.grad(lambda x: dnp.sum(dg.grad(f)(x)))(x0)
    np.testing.assert_array_equal(second, second_python)
    compiled = dg.compile(dg.grad(f))
    np.testing.assert_array_equal(compiled(x0), dg.grad(f)(x0))
    answers = []
    for form in ("C", "Python"):
        with python_tape() if form == "Python" else _nothing():
            x = dg.tensor(x0, requires_grad=True)
            f(x).backward(create_graph=True)
            g, x.grad = x.grad, None
            dnp.sum(g).backward()
            answers.append(grad_of(x))
    np.testing.assert_array_equal(*answers)


def test_the_loops_refuse_what_is_not_the_engines(tape):
    with pytest.raises(TypeError, match="expected a Tensor"):
        tape.walk({}, [], [np.ones(2)], 0, False)
    with pytest.raises(TypeError, match="bind_pair"):
        tape.bind_pair(dnp.add, 1.0)
    with pytest.raises(TypeError, match="bind_one"):
        tape.bind_one(dnp.exp)


def test_where_a_compiler_and_the_headers_are_found_the_tape_builds():
    """So that a broken native_tape.c fails here rather than skipping the C form's tests."""
    if not (native.available() and native.python_headers() and native.numpy_headers()):
        pytest.skip("no compiler or headers here: the Python tape runs")
    assert graph.NATIVE_TAPE.get() is not None
    assert graph.NATIVE_TAPE.build is None or graph.NATIVE_TAPE.build.error is None


def test_the_switch_keeps_the_python_tape(monkeypatch):
    monkeypatch.setenv("DEEPGRAD_NATIVE", "0")
    monkeypatch.setattr(graph.NATIVE_TAPE, "tried", False)
    monkeypatch.setattr(graph.NATIVE_TAPE, "module", None)
    monkeypatch.setattr(graph.NATIVE_TAPE, "build", None)
    assert graph.NATIVE_TAPE.get() is None


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_without_numpy_headers_nothing_is_built_and_nothing_is_said(monkeypatch):
    monkeypatch.setattr(native, "numpy_headers", lambda: None)
    tape = NativeModule(graph.NATIVE_TAPE.source_file, "deepgrad_never_built", numpy_headers=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tape.get() is None
    assert tape.tried and tape.build is None


def test_kernels_disabled_keeps_the_tape_in_c(tape):
    """The tape's loops give the Python engine's bits and stand in for its functions: the
    switch that runs the NumPy rules in place of the C kernels leaves them, binds and walk
    alike, so the two never mix."""
    with kernels.disabled():
        assert graph.NATIVE_TAPE.get() is tape
        assert primitive._pair is tape.bind_pair and primitive._any is tape.bind
        x = dg.tensor([1.0, 2.0], requires_grad=True)
        dnp.sum(x * x).backward()
    assert grad_of(x).tolist() == [2.0, 4.0]

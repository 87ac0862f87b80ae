"""``compile`` above the first derivative and nested with the transforms: a compiled
function gives exactly what the uncompiled one gives (bit for bit), recorded, checked and
replayed on new inputs, to third order and in any nesting with grad, jvp, vjp, jacobian,
hessian, and with itself (JAX's ``grad(jit(grad(jit(grad(f)))))``)."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import CompileError


def cube(u):
    return u**3


def scalar_f(u):
    return dnp.sin(u) * u**3 + dnp.exp(0.5 * u)


def vector_f(x):
    return dnp.sum(dnp.tanh(x) * x[0] + dnp.exp(x) * dnp.sin(x[-1]))


def vector_to_vector(x):
    return dnp.sin(x) * dnp.sum(x**2)


def _same_on_new_inputs(transformed, make_input, calls=5):
    """compile(transformed) equals transformed, bit for bit, on every call: two recordings,
    then replays (the plan must exist), each on a fresh input."""
    compiled = dg.compile(transformed)
    rng = np.random.default_rng(0)
    for _ in range(calls):
        x = make_input(rng)
        got, expected = compiled(x), transformed(x)
        for g, e in zip(dg.tree_flatten(got)[0], dg.tree_flatten(expected)[0], strict=True):
            assert np.asarray(g).shape == np.asarray(e).shape
            np.testing.assert_array_equal(g, e)
    assert compiled._plans, "never replayed"
    return compiled


def scalar(rng):
    return float(rng.uniform(0.5, 2.0))


def scalar_array(rng):
    return np.array(rng.uniform(0.5, 2.0))


def vector(rng):
    return rng.standard_normal(3)


# ---- the examples --------------------------------------------------------------------


def test_second_derivative_of_a_cube_is_not_zero():
    assert float(dg.compile(dg.grad(dg.grad(cube)))(2.0)) == 12.0
    compiled = dg.compile(dg.grad(dg.grad(cube)))
    assert [float(compiled(np.array(u))) for u in (2.0, 2.0, 3.0, 4.0)] == [12, 12, 18, 24]


def test_compiled_hessian_is_the_hessian():
    x = np.array([0.3, -0.5, 0.7])
    compiled = dg.compile(dg.hessian(vector_f))
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x), dg.hessian(vector_f)(x))
    assert np.abs(compiled(x)).max() > 0.1


def test_grad_of_compiled_grad_runs_the_function_inside_the_transform():
    f3 = dg.grad(dg.compile(dg.grad(dg.compile(dg.grad(scalar_f)))))
    eager = dg.grad(dg.grad(dg.grad(scalar_f)))
    for u in (0.7, 1.1, 1.3):
        np.testing.assert_array_equal(f3(u), eager(u))


# ---- nestings, each compiled at the top ------------------------------------------------------

NESTINGS = {
    "grad": (dg.grad(scalar_f), scalar_array),
    "grad∘grad": (dg.grad(dg.grad(scalar_f)), scalar_array),
    "grad∘grad∘grad": (dg.grad(dg.grad(dg.grad(scalar_f))), scalar_array),
    "hessian": (dg.hessian(vector_f), vector),
    "jacobian∘jacobian": (dg.jacobian(dg.jacobian(vector_f)), vector),
    "jacobian∘jacobian fwd": (
        dg.jacobian(dg.jacobian(vector_f, mode="fwd"), mode="fwd"),
        vector,
    ),
    "jacobian∘hessian (third order)": (dg.jacobian(dg.hessian(vector_f)), vector),
    "jacobian of a vector function": (dg.jacobian(vector_to_vector), vector),
    "hessian of a vector function": (dg.hessian(vector_to_vector), vector),
    "jvp": (lambda x: dg.jvp(vector_to_vector, (x,), (x * x,)), vector),
    "jvp∘grad": (lambda x: dg.jvp(dg.grad(vector_f), (x,), (dnp.cos(x),))[1], vector),
    "grad∘jvp": (dg.grad(lambda x: dnp.sum(dg.jvp(vector_f, (x,), (x,))[1])), vector),
    "jvp∘jvp": (
        lambda x: dg.jvp(lambda y: dg.jvp(vector_f, (y,), (y,))[1], (x,), (x,))[1],
        vector,
    ),
    "jvp∘jvp∘grad (third order)": (
        lambda x: dg.jvp(lambda y: dg.jvp(dg.grad(vector_f), (y,), (y,))[1], (x,), (x,))[1],
        vector,
    ),
    "vjp∘grad": (lambda x: dg.vjp(dg.grad(vector_f), x)[1](dnp.sin(x))[0], vector),
    "grad∘vjp": (
        dg.grad(lambda x: dnp.sum(dg.vjp(vector_to_vector, x)[1](x)[0] ** 2)),
        vector,
    ),
    "hvp": (lambda x: dg.hvp(vector_f, (x,), (x,)), vector),
    "value_and_grad∘grad": (dg.value_and_grad(lambda u: dg.grad(scalar_f)(u)), scalar_array),
    "elementwise_grad∘elementwise_grad": (
        dg.elementwise_grad(dg.elementwise_grad(dnp.tanh)),
        vector,
    ),
}


@pytest.mark.parametrize("name", list(NESTINGS))
def test_compiled_nesting_equals_eager(name):
    transformed, make_input = NESTINGS[name]
    _same_on_new_inputs(transformed, make_input)


@pytest.mark.parametrize("name", list(NESTINGS))
def test_grad_of_compiled_nesting_equals_eager(name):
    """The other way round: a transform over the compiled function (JAX's grad(jit(f)))."""
    transformed, make_input = NESTINGS[name]

    def total(x):
        return sum(dnp.sum(leaf) for leaf in dg.tree_flatten(transformed(x))[0])

    def total_compiled(x):
        return sum(dnp.sum(leaf) for leaf in dg.tree_flatten(dg.compile(transformed)(x))[0])

    rng = np.random.default_rng(1)
    x = np.asarray(make_input(rng), dtype=float)
    np.testing.assert_array_equal(dg.grad(total_compiled)(x), dg.grad(total)(x))


def test_derivatives_to_third_order_match_closed_forms():
    """u³: 3u², 6u, 6, all compiled, on changing inputs (a frozen plan would repeat)."""
    derivatives = [dg.grad(cube), dg.grad(dg.grad(cube)), dg.grad(dg.grad(dg.grad(cube)))]
    closed = [lambda u: 3 * u**2, lambda u: 6 * u, lambda u: 6.0 + 0 * u]
    compiled = [dg.compile(d) for d in derivatives]
    for u in (1.0, 2.0, 3.0, 4.0, 5.0):
        for c, exact in zip(compiled, closed, strict=True):
            assert float(c(np.array(u))) == exact(u)


def test_compiled_inside_a_compiled_function_is_recorded_with_it():
    inner = dg.compile(dg.grad(scalar_f))
    outer = dg.compile(lambda u: dg.grad(lambda v: inner(v) * v)(u))
    eager = dg.grad(lambda v: dg.grad(scalar_f)(v) * v)
    for u in (0.5, 0.9, 1.4, 1.8):
        np.testing.assert_array_equal(outer(np.array(u)), eager(np.array(u)))
    assert outer._plans and not inner._plans  # the inner one ran inside the outer recording


def test_a_compiled_function_with_a_plan_is_still_differentiated():
    """A plan recorded for data must not be replayed for a traced argument (it would cut
    the graph and give a zero gradient)."""
    compiled = dg.compile(lambda x: dnp.sum(dnp.sin(x) * x))
    x = np.array([0.1, 0.2])
    for _ in range(3):
        compiled(x)
    assert compiled._plans
    np.testing.assert_array_equal(
        dg.grad(compiled)(x), dg.grad(lambda x: dnp.sum(dnp.sin(x) * x))(x)
    )
    tangent = dg.jvp(compiled, (x,), (np.ones(2),))[1]
    np.testing.assert_allclose(tangent, np.sum(np.cos(x) * x + np.sin(x)))


def test_tape_arguments_are_still_refused_with_the_reason():
    compiled = dg.compile(lambda w: dnp.sum(w * w))
    with pytest.raises(CompileError, match="requires grad"):
        compiled(dg.tensor([1.0], requires_grad=True))


def test_plan_is_refused_inside_a_transform():
    compiled = dg.compile(lambda x: x * 2)

    def ask(x):
        compiled.plan(x)
        return x

    with pytest.raises(CompileError, match="plan"):
        dg.grad(lambda x: dnp.sum(ask(x)))(np.ones(2))


def test_jit_is_compile():
    assert dg.jit is dg.compile

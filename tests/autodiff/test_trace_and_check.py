"""Evaluation traces and check_grads."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.autodiff.check import GradientCheckError


def baydin(x1, x2):
    return dnp.log(x1) + x1 * x2 - dnp.sin(x2)


def test_baydin_trace_tables():
    t = dg.trace(baydin, 2.0, 5.0)
    primal = {r.label: (r.expression, float(r.value)) for r in t.primal}
    assert primal["v_-1"] == ("x1", 2.0) and primal["v_0"] == ("x2", 5.0)
    assert primal["v_1"][0] == "ln v_-1" and primal["v_1"][1] == pytest.approx(0.693147, abs=1e-6)
    assert primal["v_2"] == ("v_-1 × v_0", 10.0)
    assert float(t.value) == pytest.approx(11.652071455223084, rel=1e-15)
    assert float(t.tangent) == 5.5
    assert [float(g) for g in t.gradient] == pytest.approx([5.5, 1.7163378145367738], rel=1e-15)
    adjoint = [(r.label, float(r.value)) for r in t.adjoint]
    assert adjoint[0] == ("v̄_5", 1.0)
    assert (
        "v̄_0",
        pytest.approx(-0.2836621854632263),
    ) in adjoint  # v̄_4 · cos v_0, before v̄_2's share
    text = str(t)
    for heading in ("Forward primal trace", "Forward tangent trace", "Reverse adjoint trace"):
        assert heading in text
    assert "| v_2 | v_-1 × v_0 | 10.0000 |" in t.to_markdown()


def test_trace_of_tensor_steps_shows_shapes():
    t = dg.trace(lambda W, x: dnp.sum(dnp.tanh(W @ x)), np.ones((2, 3)), np.ones(3))
    assert "array of shape (2,)" in str(t)
    np.testing.assert_allclose(
        t.gradient[1], dg.grad(lambda x: dnp.sum(dnp.tanh(np.ones((2, 3)) @ x)))(np.ones(3))
    )


def test_trace_with_a_chosen_direction():
    t = dg.trace(baydin, 2.0, 5.0, tangents=(0.0, 1.0))
    assert float(t.tangent) == pytest.approx(1.7163378145367738)


def test_check_grads_passes_on_correct_rules():
    dg.check_grads(baydin, (2.0, 5.0), order=3)
    dg.check_grads(baydin, modes=("rev",), order=2)(2.0, 5.0)


def _bad_primitive():
    bad = dg.Primitive(np.sin, "bad_sin")
    bad.defvjp(lambda g, ans, x: g * dnp.sin(x))  # wrong: should be cos
    bad.defjvp(lambda t, ans, x: t * dnp.cos(x))
    return bad


def test_check_grads_names_mode_argument_and_order():
    bad = _bad_primitive()
    with pytest.raises(GradientCheckError, match=r"reverse mode \(VJP\), argument 1 of f, order 1"):
        dg.check_grads(lambda a, b: a * bad(b), (0.3, 0.4), order=1)
    with pytest.raises(GradientCheckError, match=r"analytic .* numeric"):
        dg.check_grads(bad, (0.3,), modes=("rev",), order=1)
    dg.check_grads(bad, (0.3,), modes=("fwd",), order=1)  # its JVP rule is right


def test_check_grads_finds_a_wrong_second_derivative():
    wrong = dg.Primitive(np.exp, "wrong_exp")
    # First derivative right at the point, but written without ans, so its own derivative is 0.
    wrong.defvjp(lambda g, ans, x: g * np.exp(dg.tensor(x).data if isinstance(x, dg.Tensor) else x))
    wrong.defjvp(lambda t, ans, x: t * np.exp(dg.tensor(x).data if isinstance(x, dg.Tensor) else x))
    dg.check_grads(wrong, (0.5,), order=1)
    with pytest.raises(GradientCheckError, match="order 1"):
        dg.check_grads(wrong, (0.5,), order=2)


def test_check_grads_ignores_integer_arguments():
    dg.check_grads(lambda x, i: x[i] * 2.0, (np.arange(3.0), np.array([0, 2])), order=2)


def test_check_grads_names_the_users_argument_after_skipped_integers():
    bad = _bad_primitive()
    with pytest.raises(GradientCheckError, match="argument 2 of f"):
        dg.check_grads(lambda i, a, b: a[i] * bad(b), (0, np.ones(2), 0.4), order=1)


def test_trace_refuses_an_array_output():
    # The adjoint trace seeds ȳ = 1: for y of shape (2,) it gave x̄ = 3 = ∂(y₁ + y₂)/∂x,
    # printed as ∂y/∂x. jax.grad refuses such a function (test below).
    with pytest.raises(ValueError, match=r"trace: f returns an array of shape \(2,\).*scalar"):
        dg.trace(lambda x: x * np.array([1.0, 2.0]), 2.0)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        dg.trace(lambda x: dnp.sin(x), np.array([2.0]))
    t = dg.trace(lambda x: dnp.sum(x * np.array([1.0, 2.0])), 2.0)
    assert float(t.gradient[0]) == 3.0 and float(t.tangent) == 3.0


def test_trace_names_a_tuple_output():
    with pytest.raises(ValueError, match="f returns a tuple of 2 outputs"):
        dg.trace(lambda x, y: (x * y, x + y), 2.0, 3.0)


def test_trace_tangents_must_have_each_inputs_shape():
    # A scalar tangent for x of shape (3,) broadcast inside the rules: the tangent of
    # sum(x) came out 1.0, where the direction of ones gives 3.0 (jax.jvp refuses it).
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(\), its input has shape \(3,\)"):
        dg.trace(dnp.sum, x, tangents=[1.0])
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(1,\)"):
        dg.trace(lambda x: dnp.sum(x * x), x, tangents=[[1.0]])
    assert float(dg.trace(dnp.sum, x, tangents=[np.ones(3)]).tangent) == 3.0
    assert float(dg.trace(lambda x: dnp.sum(x * x), x, tangents=[np.ones(3)]).tangent) == 12.0


def test_trace_counts_tangents_and_names():
    with pytest.raises(ValueError, match=r"2 tangents for f's 1 input\(s\)"):
        dg.trace(dnp.sin, 0.5, tangents=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"2 names for f's 1 input\(s\)"):
        dg.trace(dnp.sin, 0.5, names=["a", "b"])


def test_jax_refuses_what_trace_refuses():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    with pytest.raises(TypeError, match="scalar-output"):
        jax.grad(lambda x: x * jnp.array([1.0, 2.0]))(2.0)
    with pytest.raises((TypeError, ValueError)):
        jax.jvp(jnp.sum, (jnp.array([1.0, 2.0, 3.0]),), (jnp.array(1.0),))
    _, tangent = jax.jvp(jnp.sum, (jnp.array([1.0, 2.0, 3.0]),), (jnp.ones(3),))
    assert float(tangent) == 3.0


def test_check_grads_refuses_to_check_nothing():
    # With only integer arguments every argument was held fixed and a wrong rule passed.
    bad = _bad_primitive()
    with pytest.raises(TypeError, match=r"no floating-point argument to check .*int64"):
        dg.check_grads(bad, (3,), order=1)
    with pytest.raises(TypeError, match="no floating-point argument"):
        dg.check_grads(lambda i: bad(i * 1.0), (np.array([1, 2]),), order=1)
    with pytest.raises(ValueError, match=r"non-empty sequence .* got \(\)"):
        dg.check_grads(bad, (0.3,), modes=(), order=1)
    with pytest.raises(ValueError, match=r"non-empty sequence .* got 'rev'"):
        dg.check_grads(bad, (0.3,), modes="rev", order=1)


def test_check_grads_refuses_complex_arguments():
    # float64 of 0.3+1j was 0.3: the check ran at another point than the one given.
    with pytest.raises(TypeError, match=r"argument 0 is complex \(complex128\)"):
        dg.check_grads(dnp.sin, (0.3 + 1j,), order=1)
    with pytest.raises(TypeError, match="argument 1 is complex"):
        dg.check_grads(lambda x, z: x * z, (0.3, np.array([1j])), order=1)

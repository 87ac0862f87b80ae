"""Transforms: argnums, has_aux, pytrees, jacobian in both modes, hessian, hvp,
elementwise_grad, stop_gradient, and the mix of transforms with the tape."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
import deepgrad.special as sp

rng = np.random.default_rng(0)

pytestmark = pytest.mark.usefixtures("tape_engine")


def test_grad_over_a_dict_of_parameters():
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x = rng.standard_normal((4, 3))

    def loss(params, x):
        return dnp.sum(dnp.tanh(x @ params["w"] + params["b"]) ** 2)

    grads = dg.grad(loss)(params, x)
    assert set(grads) == {"w", "b"}
    assert grads["w"].shape == (3, 2) and grads["b"].shape == (2,)
    dg.check_grads(loss, (params, x), order=2)


def test_has_aux_and_value_and_grad():
    def f(x):
        return dnp.sum(x**2), {"mean": dnp.mean(x)}

    (value, aux), g = dg.value_and_grad(f, has_aux=True)(np.array([1.0, 2.0]))
    assert float(value) == 5.0 and float(aux["mean"]) == 1.5
    np.testing.assert_array_equal(g, [2.0, 4.0])
    g2, aux2 = dg.grad(f, has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g2, g)
    assert float(aux2["mean"]) == 1.5


def test_argnums_negative_and_out_of_range():
    f = lambda a, b, c: a * b * c  # noqa: E731
    assert float(dg.grad(f, argnums=-1)(2.0, 3.0, 4.0)) == 6.0
    with pytest.raises(ValueError, match="argnums"):
        dg.grad(f, argnums=3)(2.0, 3.0, 4.0)


def test_vjp_function_can_be_called_many_times():
    _, vjp_fn = dg.vjp(lambda x: x * np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(vjp_fn(np.array([1.0, 0.0]))[0], [1.0, 0.0])
    np.testing.assert_array_equal(vjp_fn(np.array([0.0, 1.0]))[0], [0.0, 2.0])


def test_vjp_and_jvp_of_pytree_outputs():
    def f(x, y):
        return {"s": x * y, "t": (dnp.sin(x), y)}

    x, y = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    _, tangent = dg.jvp(lambda x: f(x, y), (x,), (np.ones(2),))
    np.testing.assert_allclose(tangent["s"], y)
    np.testing.assert_allclose(tangent["t"][0], np.cos(x))
    np.testing.assert_allclose(tangent["t"][1], 0.0)
    _, vjp_fn = dg.vjp(f, x, y)
    gx, gy = vjp_fn({"s": np.ones(2), "t": (np.ones(2), np.ones(2))})
    np.testing.assert_allclose(gx, y + np.cos(x))
    np.testing.assert_allclose(gy, x + 1)
    dg.check_grads(f, (x, y), order=2)


def _f(x, y):
    return dnp.stack([dnp.sum(x * y), dnp.prod(dnp.sin(x)), dnp.tanh(x[0]) * y[1]])


def test_jacobian_modes_agree_with_each_other_and_by_hand():
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    rev = dg.jacobian(_f)(x, y)
    fwd = dg.jacobian(_f, mode="fwd")(x, y)
    assert rev.shape == (3, 3)
    np.testing.assert_allclose(rev, fwd, rtol=1e-12)
    np.testing.assert_allclose(rev[0], y)
    both = dg.jacobian(_f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(both[1][0], x)


def test_jacobian_shapes_follow_out_then_in():
    J = dg.jacobian(lambda A: A @ np.ones((3, 2)))(np.ones((4, 3)))
    assert J.shape == (4, 2, 4, 3)


def test_hessian_and_hvp():
    A = rng.standard_normal((3, 3))
    A = A + A.T

    def quadratic(x):
        return 0.5 * x @ A @ x + dnp.sum(dnp.sin(x))

    x, v = rng.standard_normal(3), rng.standard_normal(3)
    H = dg.hessian(quadratic)(x)
    np.testing.assert_allclose(H, A - np.diag(np.sin(x)), rtol=1e-12)
    np.testing.assert_allclose(dg.hvp(quadratic, (x,), (v,)), H @ v, rtol=1e-12)


def test_elementwise_grad_of_activations():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(dg.elementwise_grad(dnp.tanh)(x), 1 - np.tanh(x) ** 2)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(dg.elementwise_grad(sp.expit)(x), s * (1 - s))


def test_stop_gradient():
    f = lambda x: x * dg.stop_gradient(x)  # noqa: E731
    assert float(dg.grad(f)(3.0)) == 3.0


def test_tensor_in_tensor_out_and_mixing_with_the_tape():
    w = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    g = dg.grad(lambda w: dnp.sum(w**3))(w)
    assert isinstance(g, dg.Tensor) and g.requires_grad  # 3w², still on the tape
    g.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 6 * w.numpy())


def test_extreme_values_are_stable():
    x = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(sp.expit(x), [0.0, 0.5, 1.0])
    g = dg.elementwise_grad(sp.expit)(x)
    assert np.all(np.isfinite(g)) and g[1] == 0.25
    g = dg.grad(lambda x: sp.logsumexp(x))(x)
    np.testing.assert_allclose(g, [0.0, 0.0, 1.0])


def test_jvp_refuses_a_tangent_of_another_dtype_as_jax_does():
    """A float64 direction for a float32 primal was rounded to float32, an integer one taken
    as floats, without a word; JAX refuses both. A Python number takes the primal's dtype."""
    x32 = np.array([0.5, 1.5], np.float32)
    for tangent in (np.ones(2), np.ones(2, np.int64), dg.tensor(np.ones(2), dtype="float64")):
        with pytest.raises(
            TypeError, match=r"jvp: tangent 0 is (float64|int64), its primal float32"
        ):
            dg.jvp(dnp.sin, (x32,), (tangent,))
    _, tangent = dg.jvp(dnp.sin, (np.float32(0.5),), (1.0,))
    assert tangent.dtype == np.float32 and tangent == np.float32(np.cos(np.float32(0.5)))
    jax = pytest.importorskip("jax")
    with pytest.raises(TypeError, match="dtypes must be equal"):
        jax.jvp(jax.numpy.sin, (x32,), (np.ones(2, np.int32),))

"""JAX's names: ``jit`` is ``compile``; ``jacfwd`` and ``jacrev`` are ``jacobian`` in forward
and reverse mode, with ``argnums`` and ``has_aux`` as JAX has them."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


def f(x, y):
    return dnp.sin(x) * dnp.sum(y**2) + x[0] * y


X, Y = np.array([0.3, -0.7, 1.1]), np.array([0.5, 2.0, -1.0])


def closed_form_jacobians(x, y):
    dx = np.diag(np.cos(x)) * np.sum(y**2)
    dx[:, 0] += y
    dy = np.outer(np.sin(x), 2 * y) + x[0] * np.eye(3)
    return dx, dy


@pytest.mark.parametrize("transform", [dg.jacfwd, dg.jacrev])
def test_jacobians_equal_the_closed_form(transform):
    dx, dy = closed_form_jacobians(X, Y)
    np.testing.assert_allclose(transform(f)(X, Y), dx, rtol=1e-12)
    got_x, got_y = transform(f, argnums=(0, 1))(X, Y)
    np.testing.assert_allclose(got_x, dx, rtol=1e-12)
    np.testing.assert_allclose(got_y, dy, rtol=1e-12)


@pytest.mark.parametrize("transform", [dg.jacfwd, dg.jacrev])
def test_has_aux_returns_the_auxiliary_value(transform):
    jac, aux = transform(lambda x: (dnp.tanh(x), {"norm": dnp.sum(x * x)}), has_aux=True)(X)
    np.testing.assert_allclose(jac, np.diag(1 - np.tanh(X) ** 2), rtol=1e-12)
    np.testing.assert_allclose(aux["norm"], np.sum(X * X))
    with pytest.raises(TypeError, match="pair"):
        transform(dnp.tanh, has_aux=True)(X)


def test_hessian_as_jacfwd_of_jacrev():
    def g(x):
        return dnp.sum(dnp.sin(x) * x[0])

    np.testing.assert_allclose(dg.jacfwd(dg.jacrev(g))(X), dg.hessian(g)(X), rtol=1e-12)
    np.testing.assert_allclose(dg.jacrev(dg.jacfwd(g))(X), dg.hessian(g)(X), rtol=1e-12)


def test_jit_is_compile():
    assert dg.jit is dg.compile
    step = dg.jit(lambda x: dnp.sum(dnp.exp(x)))
    for _ in range(3):
        np.testing.assert_allclose(step(X), np.sum(np.exp(X)))
    assert step._plans

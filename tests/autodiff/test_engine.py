"""The engine on exact small cases: published numbers, nesting, long chains, freeing,
no_grad, accumulation, and the error messages a user acts on."""

import gc
import re
import weakref

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

pytestmark = pytest.mark.usefixtures("tape_engine")


def baydin(x1, x2):
    return dnp.log(x1) + x1 * x2 - dnp.sin(x2)


# Baydin et al., "Automatic differentiation in machine learning: a survey", JMLR 2018, Table 2.
BAYDIN_Y = 11.652071455223084
BAYDIN_GRAD = (5.5, 1.7163378145367738)


def test_baydin_functional():
    value, grads = dg.value_and_grad(baydin, argnums=(0, 1))(2.0, 5.0)
    assert float(value) == pytest.approx(BAYDIN_Y, rel=1e-15)
    assert [float(g) for g in grads] == pytest.approx(BAYDIN_GRAD, rel=1e-15)
    _, tangent = dg.jvp(baydin, (2.0, 5.0), (1.0, 0.0))
    assert float(tangent) == pytest.approx(5.5, rel=1e-15)
    _, pullback = dg.vjp(baydin, 2.0, 5.0)
    assert [float(g) for g in pullback(1.0)] == pytest.approx(BAYDIN_GRAD, rel=1e-15)


def test_baydin_imperative():
    x1 = dg.tensor(2.0, dtype="float64", requires_grad=True)
    x2 = dg.tensor(5.0, dtype="float64", requires_grad=True)
    y = baydin(x1, x2)
    y.backward()
    assert y.item() == pytest.approx(BAYDIN_Y, rel=1e-15)
    assert (x1.grad.item(), x2.grad.item()) == pytest.approx(BAYDIN_GRAD, rel=1e-15)


def _sp_rev_rev(x):
    return dg.grad(lambda x: x * dg.grad(lambda y: x + y)(1.0))(x)


def _sp_fwd_fwd(x):
    inner = lambda x: x * dg.jvp(lambda y: x + y, (1.0,), (1.0,))[1]  # noqa: E731
    return dg.jvp(inner, (x,), (1.0,))[1]


def _sp_fwd_rev(x):
    return dg.jvp(lambda x: x * dg.grad(lambda y: x + y)(1.0), (x,), (1.0,))[1]


def _sp_rev_fwd(x):
    return dg.grad(lambda x: x * dg.jvp(lambda y: x + y, (1.0,), (1.0,))[1])(x)


def _sp_tape(x):
    x = dg.tensor(x, dtype="float64", requires_grad=True)
    y = dg.tensor(1.0, dtype="float64", requires_grad=True)
    (x + y).backward(create_graph=True)
    inner = y.grad
    (x * inner).backward()
    return x.grad.item() - 1.0  # x.grad also got d(x+y)/dx = 1 from the first backward


@pytest.mark.parametrize("nested", [_sp_rev_rev, _sp_fwd_fwd, _sp_fwd_rev, _sp_rev_fwd, _sp_tape])
def test_perturbation_confusion(nested):
    """Siskind & Pearlmutter: d/dx [x · (d/dy (x + y))(y=1)] at x=1 is 1, not 2."""
    assert float(nested(1.0)) == 1.0


def test_third_order_and_beyond():
    f = lambda x: x**5  # noqa: E731
    assert float(dg.grad(dg.grad(dg.grad(f)))(2.0)) == 60 * 4.0
    assert float(dg.grad(dg.grad(dg.grad(dg.grad(f))))(2.0)) == 120 * 2.0
    # Mixed: forward over reverse over reverse.
    third = dg.jvp(dg.grad(dg.grad(f)), (2.0,), (1.0,))[1]
    assert float(third) == 240.0


def test_tape_higher_order_with_create_graph():
    x = dg.tensor(3.0, dtype="float64", requires_grad=True)
    y = x**3
    (g,) = [None]
    y.backward(create_graph=True)
    g = x.grad
    assert g.item() == 27.0 and g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


def test_create_graph_retains_the_graph_as_pytorch_does():
    """``backward(create_graph=True)`` keeps the graph (PyTorch's retain_graph default), so
    a gradient of the gradient can walk it again; ``retain_graph=False`` still frees it."""
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -1.2, 2.0])
    x = dg.tensor(x0, requires_grad=True)
    y = (dnp.sin(x) * x).sum()
    y.backward(create_graph=True)
    first = x.grad
    x.grad = None
    (first * first).sum().backward()  # through y's graph again: it was kept
    t = torch.tensor(x0, requires_grad=True)
    (t_first,) = torch.autograd.grad((torch.sin(t) * t).sum(), t, create_graph=True)
    (t_second,) = torch.autograd.grad((t_first * t_first).sum(), t)
    np.testing.assert_allclose(first.numpy(), t_first.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), t_second.numpy(), rtol=1e-12)
    z = (dnp.sin(x) * x).sum()
    z.backward(create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.backward()


@pytest.mark.parametrize("mode", ["tape", "grad"])
def test_long_chain_has_no_recursion_limit(mode):
    n = 100_000

    def chain(x):
        for _ in range(n):
            x = x * 1.0
        return dnp.sum(x)

    if mode == "tape":
        x = dg.tensor([1.0, 2.0], requires_grad=True)
        chain(x).backward()
        np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    else:
        np.testing.assert_array_equal(dg.grad(chain)(np.array([1.0, 2.0])), [1.0, 1.0])


def test_graph_is_freed_after_backward():
    x = dg.tensor(np.ones(1000), requires_grad=True)
    hidden = dnp.exp(x)
    saved = weakref.ref(hidden._value)
    y = (hidden * 2.0).sum()
    del hidden
    gc.collect()
    assert saved() is not None  # the graph keeps the intermediate alive
    y.backward()
    gc.collect()
    assert saved() is None  # released by backward()


def test_second_backward_needs_retain_graph():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = (dnp.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)  # gradients accumulate
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_accumulation_and_reset():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_a_leaf_frozen_after_the_graph_was_made_gets_no_gradient():
    # PyTorch leaves .grad None for a leaf whose requires_grad was turned off before
    # backward (freezing a layer between forward and backward); x.grad was [2, 2, 2], so
    # an optimizer stepped the frozen weight
    x = dg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = dg.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y = (x * 2 + w * w).sum()
    x.requires_grad = False
    y.backward()
    assert x.grad is None
    assert w.grad is not None
    np.testing.assert_array_equal(w.grad.numpy(), [8.0, 10.0, 12.0])


def test_pytorch_leaves_a_frozen_leaf_without_gradient():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * 2).sum()
    x.requires_grad_(False)
    y.backward()
    assert x.grad is None


def test_reused_input_and_diamond():
    x = dg.tensor(2.0, dtype="float64", requires_grad=True)
    a = x * x
    b = dnp.sin(a)
    c = dnp.cos(a)
    (b * c + a).backward()
    expected = np.cos(2 * 4.0) * 2 * 2.0 + 2 * 2.0  # d/dx [sin(2a)/2 + a], a = x²
    assert x.grad.item() == pytest.approx(expected, rel=1e-6)


def test_unused_input_gets_zero_gradient():
    grads = dg.grad(lambda x, y: x * 2.0, argnums=(0, 1))(1.0, 3.0)
    assert float(grads[1]) == 0.0


def test_no_grad_and_enable_grad():
    x = dg.tensor([1.0], requires_grad=True)
    with dg.no_grad():
        y = x * 2
        assert not y.requires_grad and not dg.is_grad_enabled()
        with dg.enable_grad():
            z = x * 2
            assert z.requires_grad
    assert dg.is_grad_enabled()
    with dg.no_grad():
        x -= 0.5  # updates are allowed when nothing is recorded
    assert x.requires_grad and x.item() == 0.5
    with pytest.raises(RuntimeError, match="no_grad"):
        x += 1.0


def test_backward_of_non_scalar_needs_gradient():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        y.backward()
    y.backward(gradient=np.array([1.0, 0.5], dtype=np.float32))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_backward_without_graph_says_why():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        dg.tensor([1.0]).sum().backward()


def test_matmul_shape_error_names_op_and_shapes():
    a = dg.tensor(np.zeros((64, 784)), requires_grad=True)
    b = np.zeros((128, 10))
    message = "matmul: (64, 784) @ (128, 10): inner dimensions 784 and 128 differ"
    with pytest.raises(ValueError, match=re.escape(message)):
        a @ b


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: arguments \(2, 3\) float32, \(4,\) float32"):
        dg.tensor(np.zeros((2, 3), np.float32)) + dg.tensor(np.zeros(4, np.float32))


def test_grad_of_non_scalar_points_to_vjp_and_jacobian():
    with pytest.raises(TypeError, match="use vjp or jacobian"):
        dg.grad(lambda x: x * 2)(np.ones(3))


def test_integer_input_says_why():
    with pytest.raises(TypeError, match=r"dtype int64.*2\.0 rather than 2"):
        dg.grad(lambda x: x * 2)(2)
    with pytest.raises(TypeError, match="floating-point"):
        dg.tensor([1, 2], requires_grad=True)


def test_item_assignment_points_to_at():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"x\.at\[index\]\.set"):
        x[0] = 5.0
    constant = dg.tensor([1.0, 2.0])
    constant[0] = 5.0  # fine: not in a graph
    assert constant[0].item() == 5.0


def test_at_updates_are_differentiable():
    def f(x):
        return dnp.sum(x.at[1].set(x[0] * 3.0) ** 2)

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        dg.grad(f)(dg.tensor(x)).numpy(), [20.0, 0.0, 6.0]
    )  # x0² + (3x0)² + x2²


def test_anomaly_mode_names_op_and_line_forward():
    x = dg.tensor([-1.0], requires_grad=True)
    with (
        dg.detect_anomaly(),
        pytest.raises(dg.AnomalyError, match=r"log .*forward.*test_engine\.py"),
    ):
        dnp.log(x)
    dnp.log(dg.tensor([-1.0]))  # outside anomaly mode: NaN, no error


def test_anomaly_mode_backward():
    x = dg.tensor([0.0, 1.0], requires_grad=True)
    with dg.detect_anomaly():
        y = dnp.sqrt(x).sum()
        with pytest.raises(dg.AnomalyError, match=r"sqrt produced NaN or Inf in the backward"):
            y.backward()


def test_numpy_results_for_plain_inputs():
    assert isinstance(dnp.sin(np.ones(2)), np.ndarray)
    assert isinstance(dnp.sum(np.ones(2)), np.floating)
    t = dnp.sin(dg.tensor([1.0]))
    assert isinstance(t, dg.Tensor) and not t.requires_grad


def test_ndarray_on_the_left_defers_to_tensor():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, dg.Tensor) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_output_that_is_also_an_intermediate_of_another_output():
    def f(x):
        doubled = x * 2.0
        return doubled, dnp.sin(doubled) * 3.0

    x = np.array([0.3, 0.7])
    _, vjp_fn = dg.vjp(f, x)
    (g,) = vjp_fn((np.ones(2), np.ones(2)))
    np.testing.assert_allclose(g, 2.0 + 6.0 * np.cos(2 * x))
    dg.check_grads(f, (x,), order=2)


def test_backward_from_a_leaf_and_from_several_paths():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    x.grad = None
    a = x * 2
    b = a * a
    c = a + b  # a reaches c directly and through b
    c.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 + 8 * x.numpy())


def test_a_primitive_returning_python_floats_differentiates_to_second_order():
    """Regression: the reverse pass's shape check met a Tensor over a Python float."""
    twice = dg.Primitive(lambda x: float(x) * 2, "twice")
    twice.defvjp(lambda g, ans, x: g * 2.0)
    twice.defjvp(lambda t, ans, x: t * 2.0)
    assert dg.grad(lambda u: twice(u) * u)(3.0) == 12.0
    assert dg.grad(dg.grad(lambda u: twice(u) * u * u))(1.0) == 12.0

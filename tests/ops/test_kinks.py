"""Derivatives at the points where central differences cannot go, checked against the
exact value (and PyTorch where it has the op): zeros in prod and cumprod, x^y at x = 0,
ties in the median, sinc at 0, the step of heaviside, interp at its knots; and the errors
for what deepgrad does not take (complex numbers, mismatched arguments)."""

import math

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

torch = pytest.importorskip("torch")

ZEROS = [
    np.array([2.0, 0.0, 3.0, -1.5]),  # one zero
    np.array([0.0, 2.0, 0.0, 3.0]),  # two zeros
    np.array([0.0, 0.0, 0.0]),  # only zeros
    np.array([1.5, -2.0, 0.5]),  # none
]


def _torch_hessian(f, x):
    return torch.autograd.functional.hessian(f, torch.tensor(x)).numpy()


@pytest.mark.parametrize("x", ZEROS, ids=["one_zero", "two_zeros", "all_zeros", "no_zero"])
def test_prod_with_zeros_matches_torch_to_second_order(x):
    t = torch.tensor(x, requires_grad=True)
    torch.prod(t).backward()
    np.testing.assert_allclose(dg.grad(dnp.prod)(x), t.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dg.hessian(dnp.prod)(x), _torch_hessian(torch.prod, x), atol=1e-12)


@pytest.mark.parametrize("x", ZEROS, ids=["one_zero", "two_zeros", "all_zeros", "no_zero"])
def test_cumprod_with_zeros_matches_torch_to_second_order(x):
    weights = np.array([0.7, -1.3, 2.1, 0.4])[: len(x)]

    def ours(v):
        return dnp.sum(dnp.cumprod(v) * weights)

    def theirs(v):
        return torch.sum(torch.cumprod(v, 0) * torch.tensor(weights))

    jacobian = torch.autograd.functional.jacobian(lambda v: torch.cumprod(v, 0), torch.tensor(x))
    np.testing.assert_allclose(dg.jacobian(dnp.cumprod)(x), jacobian.numpy(), atol=1e-12)
    np.testing.assert_allclose(dg.hessian(ours)(x), _torch_hessian(theirs, x), atol=1e-12)


def test_prod_with_zeros_forward_mode_and_axes():
    x = np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0]])
    tangent = np.array([[1.0, 0.5, -1.0], [2.0, 1.0, 3.0]])
    _, out = dg.jvp(lambda v: dnp.prod(v, axis=1), (x,), (tangent,))
    # d(x0 x1 x2) = t0 x1 x2 + x0 t1 x2 + x0 x1 t2
    np.testing.assert_allclose(out, [1.0 * 6.0, 0.0])
    t = torch.tensor(x, requires_grad=True)
    torch.prod(t, dim=0).sum().backward()
    np.testing.assert_allclose(dg.grad(lambda v: dnp.sum(dnp.prod(v, axis=0)))(x), t.grad.numpy())


@pytest.mark.parametrize(
    ("y", "first", "second"),
    [
        (0.5, math.inf, -math.inf),
        (1.0, 1.0, 0.0),
        (2.0, 0.0, 2.0),
        (3.0, 0.0, 0.0),
        (0.0, 0.0, 0.0),
    ],
)
def test_power_at_zero_base(y, first, second):
    """d(x^y)/dx at x = 0: y·0^(y−1), which is 0 for y > 1, 1 for y = 1, +inf for 0 < y < 1
    (the true one-sided derivatives), and 0 for y = 0 (x^0 is the constant 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        assert dg.grad(lambda x: dnp.power(x, y))(0.0) == first
        assert dg.grad(dg.grad(lambda x: dnp.power(x, y)))(0.0) == second
        _, tangent = dg.jvp(lambda x: dnp.power(x, y), (0.0,), (1.0,))
        assert tangent == first
        traced_exponent = dg.grad(lambda x: dnp.power(x, np.array(y)))(0.0)
    assert traced_exponent == first
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.pow(t, y).backward()
    assert t.grad.item() == first


def test_power_mixed_derivative_at_zero_exponent_stays_exact():
    # d/dy (y x^(y−1)) = x^(y−1) (1 + y ln x), which is 1/x at y = 0: the rule that makes
    # x = 0, y = 0 finite must not change it elsewhere (autograd's rounded exponents).
    x, y = np.array([0.5, 2.0, 4.0]), np.zeros(3)
    mixed = dg.jacobian(lambda e: dg.grad(lambda b: dnp.sum(dnp.power(b, e)))(x))(y)
    np.testing.assert_allclose(mixed, np.diag(1 / x))


def test_power_at_zero_base_derivative_in_the_exponent_is_zero():
    # d(0^y)/dy = 0^y · ln 0 → 0 for y > 0 (0^y is constantly 0 there)
    assert dg.grad(lambda y: dnp.power(0.0, y))(2.0) == 0.0


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([1.0, 2.0, 2.0, 3.0], [0.0, 0.5, 0.5, 0.0]),  # even: the two middle ones, ½ each
        ([2.0, 2.0, 2.0], [0.0, 1.0, 0.0]),  # all tied: the stable sort's middle one
        ([3.0, 1.0, 3.0, 3.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]),  # the first of the tied 3s
        ([5.0, 1.0, 4.0], [0.0, 0.0, 1.0]),  # no ties
    ],
)
def test_median_ties_follow_the_stable_sort(x, expected):
    gradient = dg.grad(dnp.median)(np.array(x))
    np.testing.assert_array_equal(gradient, expected)
    assert gradient.sum() == 1.0  # a subgradient: the median moves one-for-one with a shift


def test_median_and_quantile_gradients_match_torch_without_ties():
    x = np.array([[0.3, -1.2, 2.5, 0.9, 1.7], [4.0, -3.0, 0.1, 0.2, 2.2]])
    for q in (0.5, 0.37, 0.9):
        t = torch.tensor(x, requires_grad=True)
        torch.quantile(t, q, dim=1).sum().backward()
        ours = dg.grad(lambda v, q=q: dnp.sum(dnp.quantile(v, q, axis=1)))(x)
        np.testing.assert_allclose(ours, t.grad.numpy(), atol=1e-12)


def test_sinc_derivatives_at_zero():
    derivative = dnp.sinc
    expected = [1.0, 0.0, -(math.pi**2) / 3, 0.0, math.pi**4 / 5]
    for order, value in enumerate(expected):
        np.testing.assert_allclose(float(derivative(0.0)), value, atol=1e-10, err_msg=str(order))
        derivative = dg.grad(derivative)


def test_heaviside_derivatives():
    x1 = np.array([-1.0, 0.0, 2.0])
    assert np.all(dg.grad(lambda v: dnp.sum(dnp.heaviside(v, 0.5)))(x1) == 0.0)
    np.testing.assert_array_equal(
        dg.grad(lambda h: dnp.sum(dnp.heaviside(x1, h)))(np.full(3, 0.5)), [0.0, 1.0, 0.0]
    )


def test_interp_slope_at_the_knots():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    slopes = dg.grad(lambda x: dnp.sum(dnp.interp(x, xp, fp)))(np.array([0.0, 1.0, 3.0, 4.0]))
    np.testing.assert_array_equal(slopes, [2.0, 0.5, 0.5, 0.0])  # right segment; last; outside


def test_abs_max_and_fmax_conventions():
    assert dg.grad(dnp.fabs)(0.0) == 0.0
    np.testing.assert_array_equal(
        dg.grad(lambda v: dnp.max(v))(np.array([1.0, 3.0, 3.0])), [0.0, 0.5, 0.5]
    )
    grads = dg.grad(lambda a, b: dnp.sum(dnp.fmax(a, b)), argnums=(0, 1))(
        np.array([1.0, np.nan, 2.0]), np.array([np.nan, 0.5, 2.0])
    )
    np.testing.assert_array_equal(grads[0], [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(grads[1], [0.0, 1.0, 0.5])


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_at_infinity_matches_torch(name):
    # at x = +inf the share exp(x - ans) was exp(inf - inf): NaN in reverse and forward
    # mode, where PyTorch (and JAX, for the x derivative) give 1
    x = np.array([np.inf, 0.0, -np.inf, 1.0, 800.0])
    y = np.array([0.0, np.inf, 0.0, 2.0, -800.0])
    a = torch.tensor(x, requires_grad=True)
    b = torch.tensor(y, requires_grad=True)
    getattr(torch, name)(a, b).sum().backward()
    op = getattr(dnp, name)
    grads = dg.grad(lambda u, v: dnp.sum(op(u, v)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(grads[0], a.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(grads[1], b.grad.numpy(), rtol=1e-12)
    _, tangent = dg.jvp(lambda u: op(u, y), (x,), (np.ones(5),))
    np.testing.assert_allclose(tangent, a.grad.numpy(), rtol=1e-12)
    assert grads[0][0] == 1.0 and grads[1][1] == 1.0


def test_einsum_repeated_index_gradients_match_torch():
    a = np.arange(9.0).reshape(3, 3) / 7
    for spec in ("ii->i", "ii", "ij,jj->i"):
        operands = (a,) if spec.count(",") == 0 else (a, a.T)
        ours = dg.grad(lambda *xs, s=spec: dnp.sum(dnp.sin(dnp.einsum(s, *xs))))(*operands)
        t = torch.tensor(a, requires_grad=True)
        ts = (t,) if len(operands) == 1 else (t, torch.tensor(a.T))
        torch.sin(torch.einsum(spec, *ts)).sum().backward()
        np.testing.assert_allclose(ours, t.grad.numpy(), atol=1e-12)


def test_einsum_repeated_index_of_unequal_lengths_is_refused():
    with pytest.raises(ValueError, match="einsum: index 'i' is repeated"):
        dnp.einsum("ii", np.ones((2, 3)))


@pytest.mark.parametrize("name", ["real", "imag", "conj", "conjugate", "angle", "fabs"])
def test_complex_inputs_are_refused_by_name(name):
    with pytest.raises(TypeError, match=f"{name}: got a complex input.*out of scope"):
        getattr(dnp, name)(np.array([1.0 + 2.0j]))


@pytest.mark.parametrize(
    "name",
    ["var", "std", "nanvar", "nanstd", "median", "nanmedian", "quantile", "percentile"],
)
def test_statistics_of_complex_inputs_are_refused_by_name(name):
    # var was the mean of (x − mean)², not NumPy's |x − mean|²; median and quantile cast
    # to float64 and dropped the imaginary part, with only a ComplexWarning
    q = {"quantile": (0.5,), "percentile": (50,)}.get(name, ())
    with pytest.raises(TypeError, match=f"{name}: got a complex input.*out of scope"):
        getattr(dnp, name)(np.array([1.0 + 2.0j, 3.0 - 1.0j, 0.5j]), *q)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: dnp.select([np.array([True])], [1.0, 2.0]), ValueError, "select: 1 conditions"),
        (
            lambda: dnp.piecewise(np.ones(3), [np.ones(2, bool)], [1.0]),
            ValueError,
            "piecewise: a condition of shape",
        ),
        (lambda: dnp.cross(np.ones(4), np.ones(3)), ValueError, "cross: the vectors must"),
        (lambda: dnp.diff(np.ones(3), n=-1), ValueError, "diff: order n must be"),
        (lambda: dnp.quantile(np.ones(3), 1.5), ValueError, "quantile: quantiles must be"),
        (lambda: dnp.quantile(np.ones(3), 0.5, method="weibull"), ValueError, "method must"),
        (
            lambda: dnp.interp(0.5, np.ones(2), np.ones(2), period=1.0),
            NotImplementedError,
            "interp: period",
        ),
        (
            lambda: dnp.gradient(np.ones(3), dg.tensor(1.0)),
            TypeError,
            "gradient: the spacing must be a constant",
        ),
        (lambda: dnp.convolve(np.ones((2, 2)), np.ones(2)), ValueError, "convolve: expected"),
        (lambda: dnp.vsplit(np.ones(4), 2), ValueError, "vsplit: expected an array of at least"),
        (
            lambda: dnp.average(np.ones((2, 3)), weights=np.ones(3)),
            TypeError,
            "average: weights of shape",
        ),
    ],
)
def test_errors_name_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()

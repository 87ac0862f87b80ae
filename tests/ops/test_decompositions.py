"""deepgrad.numpy.linalg's decompositions: forward against NumPy, forward and reverse mode
against central differences in float64 to second order on random batched shapes, against
PyTorch, under ``compile``, and the errors for what has no derivative.

Eigenvectors and singular vectors are defined up to sign, so the differentiated functions
are gauge invariant (squares of their entries, reconstructions), as PyTorch's tests do.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import backend
from deepgrad.tensor import raw_data
from tests.backend.guard import GuardArray

la = dnp.linalg

# ---- inputs with a controlled spectrum --------------------------------------------------------


def _orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _separated(rng, batch, k, low=0.5):
    """k values per batch entry, at least 0.4 apart (derivatives of vectors exist)."""
    steps = 0.4 + rng.uniform(0, 0.4, (*batch, k))
    return low + np.cumsum(steps, axis=-1)[..., rng.permutation(k)]


def with_singular_values(rng, batch, m, n):
    k = min(m, n)
    s = _separated(rng, batch, k)
    u = _orthogonal(rng, batch, m)[..., :k]
    v = _orthogonal(rng, batch, n)[..., :k]
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def symmetric(rng, batch, n, signed=True):
    w = _separated(rng, batch, n, low=-2.0 if signed else 0.5)
    v = _orthogonal(rng, batch, n)
    return (v * w[..., None, :]) @ np.swapaxes(v, -1, -2)


def real_spectrum(rng, batch, n):
    """S diag(w) S⁻¹ with S well conditioned: a non-symmetric matrix with real eigenvalues."""
    s = np.eye(n) + 0.3 * rng.standard_normal((*batch, n, n)) / np.sqrt(n)
    w = _separated(rng, batch, n, low=-1.5)
    return (s * w[..., None, :]) @ np.linalg.inv(s)


batches = st.sampled_from([(), (2,), (2, 1)])
sides = st.integers(1, 4)
seeds = st.integers(0, 2**32 - 1)


def _weights(seed, *shapes):
    rng = np.random.default_rng(seed + 1)
    return [rng.standard_normal(s) for s in shapes]


# ---- forward against NumPy ----------------------------------------------------------------------


FORWARD = [
    ("eigh", lambda a: la.eigh(a)[0], lambda a: np.linalg.eigh(a)[0], "square"),
    (
        "eigh_U",
        lambda a: la.eigh(a, "U")[1] ** 2,
        lambda a: np.linalg.eigh(a, "U")[1] ** 2,
        "square",
    ),
    ("eigvalsh", la.eigvalsh, np.linalg.eigvalsh, "square"),
    ("svdvals", la.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), "any"),
    (
        "svd_s",
        lambda a: la.svd(a, compute_uv=False),
        lambda a: np.linalg.svd(a, compute_uv=False),
        "any",
    ),
    ("svd_u", lambda a: la.svd(a)[0], lambda a: np.linalg.svd(a)[0], "any"),
    ("svd_vh", lambda a: la.svd(a, False)[2], lambda a: np.linalg.svd(a, False)[2], "any"),
    ("qr_q", lambda a: la.qr(a)[0], lambda a: np.linalg.qr(a)[0], "any"),
    ("qr_r", lambda a: la.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), "any"),
    ("pinv", la.pinv, np.linalg.pinv, "any"),
    (
        "matrix_power_3",
        lambda a: la.matrix_power(a, 3),
        lambda a: np.linalg.matrix_power(a, 3),
        "square",
    ),
    (
        "matrix_power_-2",
        lambda a: la.matrix_power(a, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        "square",
    ),
    (
        "matrix_power_0",
        lambda a: la.matrix_power(a, 0),
        lambda a: np.linalg.matrix_power(a, 0),
        "square",
    ),
    (
        "eig_w",
        lambda a: np.sort(raw_data(la.eig(a)[0])),
        lambda a: np.sort(np.linalg.eig(a)[0]),
        "real_spectrum",
    ),
]


@pytest.mark.parametrize("name, fn, ref, kind", FORWARD, ids=[row[0] for row in FORWARD])
@given(batch=batches, m=sides, n=sides, seed=seeds)
def test_forward_equals_numpy(name, fn, ref, kind, batch, m, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "square":
        a = symmetric(rng, batch, m) + 2.5 * np.eye(m)  # also invertible, for matrix_power
    elif kind == "real_spectrum":
        a = real_spectrum(rng, batch, m)
    else:
        a = with_singular_values(rng, batch, m, n)
    np.testing.assert_allclose(fn(a), ref(a), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("ord", [2, -2, "nuc", "fro", 1, None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_equals_numpy(ord, keepdims):
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    for axis in [(1, 2), (-1, 0), (2, 1)]:
        expected = np.linalg.norm(a, ord, axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(la.norm(a, ord, axis, keepdims), expected, rtol=1e-12)
    np.testing.assert_allclose(la.norm(a[0], ord), np.linalg.norm(a[0], ord), rtol=1e-12)
    np.testing.assert_allclose(la.norm(a[0, 0], 2), np.linalg.norm(a[0, 0], 2), rtol=1e-12)


def test_lstsq_equals_numpy():
    rng = np.random.default_rng(0)
    for a_shape, b_shape in [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,)), ((4, 4), (4, 1))]:
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        x, residuals, rank, s = la.lstsq(a, b)
        x_np, residuals_np, rank_np, s_np = np.linalg.lstsq(a, b)
        np.testing.assert_allclose(x, x_np, rtol=1e-10, atol=1e-12)
        assert np.shape(residuals) == residuals_np.shape and rank == rank_np
        np.testing.assert_allclose(residuals, residuals_np, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(s, s_np, rtol=1e-12)


def test_reconstructions():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 4, 3))
    u, s, vh = la.svd(a)
    np.testing.assert_allclose(u[..., :3] * s[..., None, :] @ vh, a, atol=1e-12)
    q, r = la.qr(np.swapaxes(a, -1, -2))
    np.testing.assert_allclose(q @ r, np.swapaxes(a, -1, -2), atol=1e-12)
    _, v = la.eig(real_spectrum(rng, (2,), 3))
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0)


# ---- derivatives against central differences, to second order ------------------------------


@given(batch=batches, n=sides, seed=seeds, uplo=st.sampled_from(["L", "U"]))
def test_eigh_derivatives(batch, n, seed, uplo):
    rng = np.random.default_rng(seed)
    a = symmetric(rng, batch, n) + 0.3 * rng.standard_normal((*batch, n, n))  # one triangle read
    c, weights = _weights(seed, (n,), (n, n))

    def f(a):
        w, v = la.eigh(a, uplo)
        return dnp.sum(w * c) + dnp.sum(w**3) + dnp.sum(v**2 * weights)

    dg.check_grads(f, (a,), order=2, atol=1e-4, rtol=1e-4)
    dg.check_grads(lambda a: la.eigvalsh(a, uplo) ** 3, (a,), order=2, atol=1e-4, rtol=1e-4)


@given(batch=batches, m=sides, n=sides, seed=seeds, full=st.booleans())
def test_svd_derivatives(batch, m, n, seed, full):
    rng = np.random.default_rng(seed)
    a = with_singular_values(rng, batch, m, n)
    k = min(m, n)
    c, wu, wv = _weights(seed, (k,), (m, k), (k, n))

    def f(a):
        u, s, vh = la.svd(a, full_matrices=full)
        u, vh = u[..., :k], vh[..., :k, :]  # with full=True only the first k are used
        rebuilt = (u * s[..., None, :]) @ vh
        return dnp.sum(s * c) + dnp.sum(u**2 * wu) + dnp.sum(vh**2 * wv) + dnp.sum(rebuilt**2)

    modes = ("rev",) if full and m != n else ("fwd", "rev")
    dg.check_grads(f, (a,), order=2, modes=modes, atol=1e-4, rtol=1e-4)
    dg.check_grads(lambda a: la.svdvals(a) ** 3, (a,), order=2, atol=1e-4, rtol=1e-4)


@given(batch=batches, n=sides, seed=seeds)
def test_eig_derivatives(batch, n, seed):
    rng = np.random.default_rng(seed)
    a = real_spectrum(rng, batch, n)
    c, weights = _weights(seed, (n,), (n, n))

    def f(a):
        w, v = la.eig(a)
        return dnp.sum(w**3) + dnp.sum(v**2 * weights * c)

    dg.check_grads(f, (a,), order=2, atol=1e-4, rtol=1e-4)


@given(batch=batches, m=sides, n=sides, seed=seeds)
def test_qr_derivatives(batch, m, n, seed):
    rng = np.random.default_rng(seed)
    a = with_singular_values(rng, batch, m, n)
    if m < n:  # the leading square block must be invertible too
        a[..., :, :m] += 2 * np.eye(m)
    k = min(m, n)
    wq, wr = _weights(seed, (m, k), (k, n))

    def f(a):
        q, r = la.qr(a)
        return dnp.sum(q * wq) + dnp.sum(r**2 * wr)

    dg.check_grads(f, (a,), order=2, atol=1e-4, rtol=1e-4)


@given(batch=batches, m=sides, n=sides, seed=seeds)
def test_pinv_and_norm_derivatives(batch, m, n, seed):
    rng = np.random.default_rng(seed)
    a = with_singular_values(rng, batch, m, n)
    dg.check_grads(lambda a: la.pinv(a) ** 2, (a,), order=2, atol=1e-4, rtol=1e-4)
    for ord in (2, -2, "nuc"):
        dg.check_grads(lambda a, ord=ord: la.norm(a, ord, axis=(-2, -1)), (a,), order=2)


@given(n=sides, power=st.integers(-3, 4), seed=seeds)
def test_matrix_power_derivatives(n, power, seed):
    a = symmetric(np.random.default_rng(seed), (2,), n) + 3 * np.eye(n)
    dg.check_grads(lambda a: la.matrix_power(a, power), (a,), order=2, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    "a",
    [
        np.array([[np.inf, 1.0], [np.nan, 4.0]]),  # 0·A + I was NaN here
        np.array([[2, 1], [0, 4]]),  # and float64 for integers
        np.ones((3, 2, 2), np.float32),
    ],
)
def test_matrix_power_zero_is_numpys_identity(a):
    got = raw_data(la.matrix_power(a, 0))
    expected = np.linalg.matrix_power(a, 0)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    if a.dtype.kind == "f":  # still a function of A, with a zero derivative
        np.testing.assert_array_equal(dg.grad(lambda a: dnp.sum(la.matrix_power(a, 0)))(a), 0)


@given(m=st.integers(3, 5), n=st.integers(1, 3), k=st.integers(1, 2), seed=seeds)
def test_lstsq_derivatives(m, n, k, seed):
    rng = np.random.default_rng(seed)
    a, b = with_singular_values(rng, (), m, n), rng.standard_normal((m, k))

    def f(a, b):
        x, residuals, _, s = la.lstsq(a, b)
        return dnp.sum(x**2) + dnp.sum(residuals) + dnp.sum(s)

    dg.check_grads(f, (a, b), order=2, atol=1e-4, rtol=1e-4)


@given(batch=batches, n=sides, scale=st.sampled_from([1e-3, 0.5, 2.0, 8.0]), seed=seeds)
def test_expm_equals_scipy(batch, n, scale, seed):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    a = scale * np.random.default_rng(seed).standard_normal((*batch, n, n))
    expected = np.reshape([scipy_linalg.expm(m) for m in a.reshape(-1, n, n)], a.shape)
    np.testing.assert_allclose(
        la.expm(a), expected, rtol=1e-11, atol=1e-13 * np.abs(expected).max()
    )


@given(batch=batches, n=sides, seed=seeds)
def test_expm_derivatives(batch, n, seed):
    a = np.random.default_rng(seed).standard_normal((*batch, n, n))
    dg.check_grads(la.expm, (a,), order=2, atol=1e-4, rtol=1e-4)


# ---- degenerate spectra and what has no derivative ------------------------------------------


def test_repeated_eigenvalues_keep_a_finite_eigenvalue_gradient():
    a = np.diag([1.0, 2.0, 2.0])
    grad = dg.grad(lambda a: dnp.sum(la.eigvalsh(a) ** 2))(a)
    np.testing.assert_allclose(grad, 2 * a)  # d Σλ² = d ‖A‖² on the read triangle
    grad = dg.grad(lambda a: dnp.sum(la.svdvals(a)))(a)
    np.testing.assert_allclose(grad, np.eye(3))
    # The eigenvectors of the repeated value have no derivative: the result says so
    # instead of a number. (Column 0, of the simple value 1, gets a zero cotangent here.)
    grad = dg.grad(lambda a: dnp.sum(la.eigh(a)[1][..., 1] ** 2 * np.arange(3.0)))(a + 0.0)
    assert not np.all(np.isfinite(grad))


def test_eig_refuses_complex_eigenvalues():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"eig: .*complex eigenvalues"):
        la.eig(rotation)


def test_full_svd_extra_vectors_have_no_derivative():
    a = np.random.default_rng(0).standard_normal((4, 2))
    with pytest.raises(NotImplementedError, match=r"svd: .*full_matrices=False"):
        dg.grad(lambda a: dnp.sum(la.svd(a)[0] ** 3))(a)
    with pytest.raises(NotImplementedError, match="svd: no forward-mode"):
        dg.jvp(lambda a: la.svd(a)[1], (a,), (a,))
    grad = dg.grad(lambda a: dnp.sum(la.svd(a)[1]))(a)  # the singular values are fine
    np.testing.assert_allclose(grad, dg.grad(lambda a: dnp.sum(la.svdvals(a)))(a))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: la.qr(np.ones((3, 2)), mode="complete"),
            NotImplementedError,
            "qr: mode='complete'",
        ),
        (lambda: la.qr(np.ones((3, 2)), mode="raw"), ValueError, "qr: mode must be"),  # pyright: ignore[reportArgumentType]
        (lambda: la.eigh(np.ones((2, 3))), ValueError, r"eigh: expected square .*\(2, 3\)"),
        (lambda: la.eigh(np.eye(2), UPLO="X"), ValueError, "eigh: UPLO"),  # pyright: ignore[reportArgumentType]
        (lambda: la.svd(np.ones(3)), ValueError, r"svd: expected matrices .*\(3,\)"),
        (lambda: la.pinv(np.ones(3)), ValueError, "pinv: expected matrices"),
        (lambda: la.matrix_power(np.eye(2), 1.5), TypeError, "matrix_power: the exponent"),  # pyright: ignore[reportArgumentType]
        (lambda: la.lstsq(np.ones((2, 3, 3)), np.ones(3)), ValueError, "lstsq: expected a matrix"),
        (lambda: la.svd(np.ones((2, 2), complex)), TypeError, "svd: complex input"),
    ],
)
def test_errors_name_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- on a device ------------------------------------------------------------------------------


GUARDED = {
    "eigh": lambda a: dnp.sum(la.eigh(a)[1] ** 2 * a[0]) + dnp.sum(la.eigh(a)[0]),
    "eigvalsh": lambda a: dnp.sum(la.eigvalsh(a) ** 2),
    "eig": lambda a: dnp.sum(la.eig(a)[0] ** 2),
    "svd": lambda a: dnp.sum(la.svd(a, False)[0] ** 4) + dnp.sum(la.svd(a)[1]),
    "svdvals": lambda a: la.norm(a, "nuc") + la.norm(a, 2),
    "qr": lambda a: dnp.sum(la.qr(a)[0] * 2.0) + dnp.sum(la.qr(a)[1] ** 2),
    "pinv": lambda a: dnp.sum(la.pinv(a) ** 2),
    "lstsq": lambda a: dnp.sum(la.lstsq(a, a[:, 0] * 2.0)[0] ** 2),
    "matrix_power": lambda a: dnp.sum(la.matrix_power(a, -2)),
    "expm": lambda a: dnp.sum(la.expm(a * 0.3) ** 2),
}


@pytest.mark.parametrize("name", list(GUARDED))
def test_on_the_guard_backend_nothing_goes_through_the_host(name):
    """The guard backend's arrays refuse implicit conversion to NumPy, as CuPy's do."""
    a = symmetric(np.random.default_rng(0), (), 3) + 3 * np.eye(3)
    guarded = GuardArray(a)
    value, grad = dg.value_and_grad(GUARDED[name])(guarded)
    tangent = dg.jvp(GUARDED[name], (guarded,), (GuardArray(np.ones((3, 3))),))[1]
    assert isinstance(grad, GuardArray)
    expected_value, expected_grad = dg.value_and_grad(GUARDED[name])(a)
    np.testing.assert_allclose(backend.to_numpy(value), expected_value, rtol=1e-10)
    np.testing.assert_allclose(grad.get(), expected_grad, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        backend.to_numpy(tangent), np.sum(expected_grad), rtol=1e-9, atol=1e-12
    )


# ---- under compile ----------------------------------------------------------------------------


REPLAYED = {
    "eigh": lambda a: dnp.sum(la.eigh(a)[0] ** 3) + dnp.sum(la.eigh(a)[1] ** 4),
    "eigvalsh": lambda a: dnp.sum(la.eigvalsh(a) ** 3),
    "svd": lambda a: dnp.sum(la.svd(a, False)[1] ** 3) + dnp.sum(la.svd(a, False)[0] ** 4),
    "svdvals": lambda a: dnp.sum(la.svdvals(a) ** 3),
    "qr": lambda a: dnp.sum(la.qr(a)[0] * 2.0) + dnp.sum(la.qr(a)[1] ** 2),
    "pinv": lambda a: dnp.sum(la.pinv(a) ** 2),
    "nuc": lambda a: la.norm(a, "nuc"),
    "eig": lambda a: dnp.sum(la.eig(a)[0] ** 3),
    "expm": lambda a: dnp.sum(la.expm(a) ** 2),
}


@pytest.mark.parametrize("name", list(REPLAYED))
def test_compiled_value_and_gradient_equal_eager(name):
    rng = np.random.default_rng(0)
    eager = dg.value_and_grad(REPLAYED[name])
    compiled = dg.compile(eager)
    for _ in range(4):  # two recordings, then replays, each on new inputs
        a = real_spectrum(rng, (), 3) if name == "eig" else symmetric(rng, (), 3) + 0.1
        value, grad = compiled(a)
        expected_value, expected_grad = eager(a)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12)
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    assert compiled._plans


@pytest.mark.parametrize("name", list(REPLAYED))
def test_compiled_second_derivatives_equal_eager(name):
    """Reverse over reverse (the gradient of ⟨∇f, v⟩) and forward over reverse (a
    Hessian-vector product), compiled, on new inputs at each call."""
    rng = np.random.default_rng(1)
    direction = rng.standard_normal((3, 3))
    first = dg.grad(REPLAYED[name])

    def reverse_over_reverse(a):
        return dg.grad(lambda a: dnp.sum(first(a) * direction))(a)

    def forward_over_reverse(a):
        return dg.jvp(first, (a,), (direction,))[1]

    for eager in (reverse_over_reverse, forward_over_reverse):
        compiled = dg.compile(eager)
        for _ in range(4):
            a = real_spectrum(rng, (), 3) if name == "eig" else symmetric(rng, (), 3) + 0.1
            np.testing.assert_allclose(compiled(a), eager(a), rtol=1e-9, atol=1e-10)


# ---- against PyTorch -------------------------------------------------------------------------


def _torch_pair(torch, fn_dg, fn_torch, a):
    """Value and gradient of a scalar function, in deepgrad and in PyTorch."""
    value, grad = dg.value_and_grad(fn_dg)(a)
    t = torch.tensor(a, requires_grad=True)
    out = fn_torch(t)
    out.backward()
    assert t.grad is not None
    return (value, grad), (out.detach().numpy(), t.grad.numpy())


def _sym(x):
    return 0.5 * (x + dnp.swapaxes(x, -1, -2))


TORCH_CASES = {
    "svd": (
        lambda a: dnp.sum(la.svd(a, False)[1] ** 3) + dnp.sum(la.svd(a, False)[0] ** 4),
        lambda T, a: (
            (T.linalg.svd(a, full_matrices=False)[1] ** 3).sum()
            + (T.linalg.svd(a, full_matrices=False)[0] ** 4).sum()
        ),
    ),
    "eigh": (
        lambda a: dnp.sum(la.eigh(_sym(a))[0] ** 3) + dnp.sum(la.eigh(_sym(a))[1] ** 4),
        lambda T, a: (
            (T.linalg.eigh((a + a.mT) / 2)[0] ** 3).sum()
            + (T.linalg.eigh((a + a.mT) / 2)[1] ** 4).sum()
        ),
    ),
    "eigvalsh": (
        lambda a: dnp.sum(la.eigvalsh(_sym(a)) ** 3),
        lambda T, a: (T.linalg.eigvalsh((a + a.mT) / 2) ** 3).sum(),
    ),
    "pinv": (lambda a: dnp.sum(la.pinv(a) ** 3), lambda T, a: (T.linalg.pinv(a) ** 3).sum()),
    "qr": (
        lambda a: dnp.sum(la.qr(a)[0] ** 3) + dnp.sum(la.qr(a)[1] ** 3),
        lambda T, a: (T.linalg.qr(a)[0] ** 3).sum() + (T.linalg.qr(a)[1] ** 3).sum(),
    ),
    "matrix_power": (
        lambda a: dnp.sum(la.matrix_power(a, 3) ** 2),
        lambda T, a: (T.linalg.matrix_power(a, 3) ** 2).sum(),
    ),
    "expm": (lambda a: dnp.sum(la.expm(a) ** 2), lambda T, a: (T.linalg.matrix_exp(a) ** 2).sum()),
    "norm_2": (lambda a: la.norm(a, 2), lambda T, a: T.linalg.matrix_norm(a, 2)),
    "norm_-2": (lambda a: la.norm(a, -2), lambda T, a: T.linalg.matrix_norm(a, -2)),
    "norm_nuc": (lambda a: la.norm(a, "nuc"), lambda T, a: T.linalg.matrix_norm(a, "nuc")),
    "lstsq": (
        lambda a: dnp.sum(la.lstsq(a, np.arange(4.0))[0] ** 2),
        lambda T, a: (T.linalg.lstsq(a, T.arange(4.0, dtype=a.dtype)[:, None]).solution ** 2).sum(),
    ),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (3, 4)])
def test_against_torch(name, shape):
    torch = pytest.importorskip("torch")
    if name in ("eigh", "eigvalsh", "matrix_power", "expm") and shape[0] != shape[1]:
        pytest.skip("square matrices only")
    if name == "lstsq" and shape[0] != 4:
        pytest.skip("b has 4 rows")
    rng = np.random.default_rng(3)
    a = with_singular_values(rng, (), *shape)
    fn_dg, fn_torch = TORCH_CASES[name]
    (value, grad), (t_value, t_grad) = _torch_pair(torch, fn_dg, lambda t: fn_torch(torch, t), a)
    np.testing.assert_allclose(value, t_value, rtol=1e-10)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-8, atol=1e-10)

"""DEEPGRAD_BLAS=mkl: every 2-D float product of deepgrad's matmul, and add_product, in
Intel MKL (blas.py). Run where MKL is installed (the dev extra installs it on x86-64)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import blas, layers, losses

needs_mkl = pytest.mark.skipif(not blas.mkl_paths(), reason='MKL not installed ("deepgrad[mkl]")')


@pytest.fixture
def mkl(monkeypatch):
    """As if the process had started with DEEPGRAD_BLAS=mkl."""
    monkeypatch.setattr(blas, "_choice", "mkl")
    monkeypatch.setattr(blas, "_enabled", True)
    assert blas.backend() == "mkl"


def _operand(rng, shape, dtype, order):
    return np.asarray(rng.standard_normal(shape), dtype, order=order)


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order_a", "CF")
@pytest.mark.parametrize("order_b", "CF")
def test_product_is_numpys_product_to_rounding(mkl, dtype, order_a, order_b):
    rng = np.random.default_rng(0)
    a = _operand(rng, (97, 113), dtype, order_a)  # 97·113·101 ≥ blas.MIN_PRODUCT_WORK
    b = _operand(rng, (113, 101), dtype, order_b)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    result = blas.product(a, b)
    assert result is not None and result.dtype == dtype and result.flags.c_contiguous
    tolerance = 1e-5 if dtype is np.float32 else 1e-12
    np.testing.assert_allclose(result, exact, rtol=tolerance, atol=tolerance)
    out = np.full((97, 101), np.nan, dtype)  # β = 0: what out held is never read
    assert blas.product(a, b, out) is out
    np.testing.assert_array_equal(out, result)


M, K, N = 128, 96, 128  # M·K·N ≥ blas.MIN_PRODUCT_WORK: a product MKL takes


@needs_mkl
@pytest.mark.parametrize(
    "case",
    [
        "batched",
        "vector",
        "integers",
        "mixed dtypes",
        "strided",
        "empty inner",
        "small",
        "out of another dtype",
        "out of another shape",
        "out not contiguous",
        "out read-only",
        "out overlapping",
    ],
)
def test_product_declines_what_one_call_cannot_do_and_leaves_out_alone(mkl, case):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    out = np.zeros((M, N), np.float32)
    assert blas.product(a, b, out.copy()) is not None  # as they are, MKL takes them
    if case == "batched":
        a, b, out = np.stack([a, a]), np.stack([b, b]), np.zeros((2, M, N), np.float32)
    elif case == "vector":
        b, out = b[:, 0].copy(), np.zeros(M, np.float32)
    elif case == "integers":
        a, b, out = a.astype(np.int32), b.astype(np.int32), out.astype(np.int32)
    elif case == "mixed dtypes":
        b = b.astype(np.float64)
    elif case == "strided":
        a = rng.standard_normal((M, 2 * K)).astype(np.float32)[:, ::2]
    elif case == "empty inner":
        a, b = a[:, :0], b[:0]
    elif case == "small":
        a, b, out = a[:8, :8], b[:8, :8], out[:8, :8].copy()
    elif case == "out of another dtype":
        out = np.zeros((M, N), np.float64)
    elif case == "out of another shape":
        out = np.zeros((M, N + 1), np.float32)
    elif case == "out not contiguous":
        out = np.zeros((N, M), np.float32).T
    elif case == "out read-only":
        out.flags.writeable = False
    elif case == "out overlapping":
        a = np.zeros((M, M), np.float32)
        b, out = rng.standard_normal((M, M)).astype(np.float32), a
    before = out.copy()
    assert blas.product(a, b, out) is None
    np.testing.assert_array_equal(out, before)


@needs_mkl
def test_matmul_routes_2d_products_and_keeps_numpy_for_the_rest(mkl, monkeypatch):
    answers = []
    product = blas.product
    monkeypatch.setattr(blas, "product", lambda *args: answers.append(product(*args)))
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((M, K)), rng.standard_normal((K, N))
    np.testing.assert_allclose(dnp.matmul(a, b), a @ b, rtol=1e-12)
    # (the stub hands back None: matmul then multiplies with NumPy, as for a declined one)
    assert len(answers) == 1 and answers[0] is not None  # MKL computed it
    stacked = np.stack([a, a])
    np.testing.assert_allclose(dnp.matmul(stacked, b), stacked @ b, rtol=1e-12)
    assert len(answers) == 2 and answers[1] is None  # batched: declined, NumPy's
    with blas.disabled():  # not even asked
        np.testing.assert_allclose(dnp.matmul(a, b), a @ b, rtol=1e-12)
    assert len(answers) == 2


@needs_mkl
def test_gradients_through_mkl_products_are_numpys_to_rounding(mkl):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((M, K)), rng.standard_normal((K, N))
    grad_x, grad_w = dg.grad(lambda x, w: dnp.sum(dnp.tanh(x @ w)), argnums=(0, 1))(x, w)
    g = 1 - np.tanh(x @ w) ** 2
    # Rounding in a sum of products is relative to the terms, not to the sum: an element
    # near zero differs by more than 1e-12 of itself (MKL 2026.2: 6e-12 at 6e-4)
    for got, expected in ((grad_x, g @ w.T), (grad_w, x.T @ g)):
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13 * scale)


def _fit(optimizer, jit):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 128)).astype(np.float32)
    y = rng.integers(0, 4, 200)
    dg.random.seed(0)
    model = dg.Sequential(
        [layers.Dense(128, activation="relu"), layers.Dense(128, "tanh"), layers.Dense(4)]
    )
    model.compile(optimizer, losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    history = model.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
    return model.get_weights(), history.history["loss"]


@needs_mkl
def test_eager_and_compiled_training_keep_the_same_bits_with_mkl(mkl):
    eager, eager_loss = _fit("adam", jit=False)
    compiled, compiled_loss = _fit("adam", jit=True)
    assert compiled_loss == eager_loss
    for mine, theirs in zip(compiled, eager, strict=True):
        np.testing.assert_array_equal(mine, theirs)


@needs_mkl
def test_training_with_mkl_matches_openblas_to_float32_rounding(mkl, monkeypatch):
    with_mkl, mkl_loss = _fit("sgd", jit=True)  # plain SGD: add_product in MKL too
    monkeypatch.setattr(blas, "_choice", "1")
    with_openblas, openblas_loss = _fit("sgd", jit=True)
    np.testing.assert_allclose(mkl_loss, openblas_loss, rtol=1e-5)
    for mine, theirs in zip(with_mkl, with_openblas, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def test_without_mkl_the_first_product_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(blas, "_choice", "mkl")
    monkeypatch.setattr(blas, "_enabled", True)
    monkeypatch.setattr(blas, "_found", {})
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path))
    monkeypatch.setattr(blas.ctypes.util, "find_library", lambda name: None)
    a = np.ones((M, M), np.float32)
    with pytest.raises(RuntimeError, match=r"DEEPGRAD_BLAS=mkl.*not found.*deepgrad\[mkl\]"):
        dnp.matmul(a, a)


def test_an_unknown_choice_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setattr(blas, "_choice", "openblass")
    monkeypatch.setattr(blas, "_enabled", True)
    with pytest.raises(ValueError, match=r"DEEPGRAD_BLAS='openblass'.*0.*1.*mkl"):
        blas.backend()


@needs_mkl
def test_the_environment_variable_chooses_mkl_in_a_new_process():
    script = textwrap.dedent(
        f"""
        import numpy as np
        from deepgrad import blas
        rng = np.random.default_rng(0)
        a = rng.standard_normal(({M}, {K})).astype(np.float32)
        b = rng.standard_normal(({K}, {N})).astype(np.float32)
        exact = a.astype(np.float64) @ b.astype(np.float64)
        result = blas.product(a, b)
        np.testing.assert_allclose(result, exact, rtol=1e-5, atol=1e-4)
        print(blas.backend(), blas.routes_products())
        """
    )
    env = {**os.environ, "DEEPGRAD_BLAS": "mkl"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr  # (product returned None: a TypeError there)
    assert done.stdout.split() == ["mkl", "True"]


def test_a_mistyped_choice_fails_at_the_first_product(monkeypatch):
    monkeypatch.setattr(blas, "_choice", "mlk")
    monkeypatch.setattr(blas, "_enabled", True)
    a = np.ones((4, 4))
    with pytest.raises(ValueError, match=r"DEEPGRAD_BLAS='mlk'.*0.*1.*mkl"):
        dnp.matmul(a, a)


@needs_mkl
def test_use_chooses_mkl_after_import_and_back(monkeypatch):
    monkeypatch.setattr(blas, "_choice", "1")
    monkeypatch.setattr(blas, "_enabled", True)
    blas.use("mkl")
    assert blas.backend() == "mkl" and blas.routes_products()
    blas.use("1")
    assert blas.backend() == "openblas" and not blas.routes_products()
    blas.use("0")
    assert blas.backend() is None and not blas.available()


def test_use_refuses_an_unknown_choice_and_a_missing_mkl_without_changing_anything(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(blas, "_choice", "1")
    monkeypatch.setattr(blas, "_enabled", True)
    with pytest.raises(ValueError, match=r"blas.use\('openblass'\).*0.*1.*mkl"):
        blas.use("openblass")
    monkeypatch.setattr(blas, "_found", {})
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", str(tmp_path))
    monkeypatch.setattr(blas.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RuntimeError, match="deepgrad\\[mkl\\]"):
        blas.use("mkl")
    assert blas._choice == "1" and blas._enabled

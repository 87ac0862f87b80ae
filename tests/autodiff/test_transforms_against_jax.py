"""Transforms against JAX where an edge case once differed: Jacobians with an input or an
output without elements (their shape and dtype). Each case runs JAX when it is installed
and states JAX's answer as fixed numbers either way."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X32 = np.array([0.5, -1.0, 2.0], np.float32)
EMPTY32 = np.zeros((0,), np.float32)


def _empty_cases(m):
    """(name, f, x): functions with an input or an output without elements."""
    return [
        ("input without elements", lambda v: v * 2, EMPTY32),
        ("scalar of an empty input", lambda v: m.sum(v), EMPTY32),
        ("output without elements", lambda v: v[:0], X32),
        ("float64 output without elements", lambda v: v[:0].astype(m.float64), X32),
        ("pytree output of an empty input", lambda v: {"a": m.sum(v), "b": (v * 3,)}, EMPTY32),
    ]


# JAX 0.10 (x64 enabled): (shape, dtype) of each leaf, jacrev then jacfwd. jacrev's blocks
# take the input's dtype and jacfwd's the output's, even when they hold no number.
JAX_EMPTY_JACOBIANS = {
    "input without elements": ([((0, 0), "float32")], [((0, 0), "float32")]),
    "scalar of an empty input": ([((0,), "float32")], [((0,), "float32")]),
    "output without elements": ([((0, 3), "float32")], [((0, 3), "float32")]),
    "float64 output without elements": ([((0, 3), "float32")], [((0, 3), "float64")]),
    "pytree output of an empty input": (
        [((0,), "float32"), ((0, 0), "float32")],
        [((0,), "float32"), ((0, 0), "float32")],
    ),
}


def _shapes_and_dtypes(tree):
    return [(np.shape(leaf), str(np.asarray(leaf).dtype)) for leaf in dg.tree_flatten(tree)[0]]


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("case", range(5))
def test_jacobians_without_elements_have_jax_shapes_and_dtypes(mode, case):
    name, f, x = _empty_cases(dnp)[case]
    transform = dg.jacrev if mode == "rev" else dg.jacfwd
    expected = JAX_EMPTY_JACOBIANS[name][0 if mode == "rev" else 1]
    assert _shapes_and_dtypes(transform(f)(x)) == expected, name


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("case", range(5))
def test_jacobians_without_elements_match_jax_when_installed(mode, case):
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    name, f, x = _empty_cases(dnp)[case]
    _, jax_f, _ = _empty_cases(jnp)[case]
    if name.startswith("float64"):
        pytest.skip("JAX without x64 makes float32 of float64; the fixed numbers cover it")
    ours = (dg.jacrev if mode == "rev" else dg.jacfwd)(f)(x)
    theirs = (jax.jacrev if mode == "rev" else jax.jacfwd)(jax_f)(jnp.asarray(x))
    assert _shapes_and_dtypes(ours) == _shapes_and_dtypes(theirs), name


def test_hessian_of_an_empty_input_is_empty_like_jax():
    # jax.hessian(lambda v: jnp.sum(v ** 2))(float32 zeros (0,)): shape (0, 0), float32
    h = dg.hessian(lambda v: dnp.sum(v**2))(EMPTY32)
    assert (h.shape, h.dtype) == ((0, 0), np.float32)
    batched = dg.vmap(dg.hessian(lambda v: dnp.sum(v**2)))(np.zeros((2, 0), np.float32))
    assert (batched.shape, batched.dtype) == ((2, 0, 0), np.float32)

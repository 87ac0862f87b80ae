"""Transforms against JAX where an edge case once differed: Jacobians with an input or an
output without elements (their shape and dtype), ``vmap``'s keyword arguments and its
``axis_size``. Each case runs JAX when it is installed and states JAX's answer as fixed
numbers either way."""

from typing import Any

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


# ---- vmap: keyword arguments and axis_size ------------------------------------------------------

A = np.arange(6.0, dtype=np.float32).reshape(2, 3)
C = np.array([1.0, 2.0, 3.0], np.float32)


def _scaled_product(a, b, scale=1.0):
    return a * b * scale


def test_vmap_maps_keyword_arguments_over_their_first_axis_as_jax():
    # jax.vmap(f)(A, b=A) and jax.vmap(f, in_axes=(None, 0))(C, A, scale=[2., 3.])
    np.testing.assert_allclose(
        dg.vmap(_scaled_product)(A, b=A), [[0, 1, 4], [9, 16, 25]], rtol=1e-6
    )
    np.testing.assert_allclose(
        dg.vmap(_scaled_product, in_axes=(None,))(C, b=A), [[0, 2, 6], [3, 8, 15]], rtol=1e-6
    )
    got = dg.vmap(_scaled_product, in_axes=(0, None))(A, C, scale=np.array([2.0, 3.0]))
    np.testing.assert_allclose(got, [[0, 4, 12], [9, 24, 45]], rtol=1e-6)
    grads = dg.vmap(dg.grad(lambda w, x=None: dnp.sum(w * x)))(A, x=A + 1)
    np.testing.assert_allclose(grads, A + 1, rtol=1e-6)


def test_vmap_keyword_arguments_match_jax_when_installed():
    jax = pytest.importorskip("jax")
    ours = dg.vmap(_scaled_product, in_axes=1)(A.T, b=A, scale=np.array([0.5, -2.0]))
    theirs = jax.vmap(_scaled_product, in_axes=1)(A.T, b=A, scale=np.array([0.5, -2.0]))
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6)


def test_vmap_keyword_argument_errors_name_the_keyword():
    with pytest.raises(ValueError, match=r"argument 2 \('scale'\) has shape \(\), which has no"):
        dg.vmap(_scaled_product, in_axes=(0, None))(A, C, scale=2.0)
    with pytest.raises(ValueError, match=r"'a'\) has size 2 .*'b'\) has size 3"):
        dg.vmap(_scaled_product)(A, b=np.ones((3, 3)))


def test_vmap_axis_size_broadcasts_when_no_argument_is_mapped_as_jax():
    # jax.vmap(lambda x: x * 2, in_axes=None, axis_size=3)(C): C * 2 in each of 3 rows
    np.testing.assert_allclose(
        dg.vmap(lambda x: x * 2, in_axes=None, axis_size=3)(C), np.tile(C * 2, (3, 1))
    )
    both_shared = dg.vmap(lambda x, y: x * y, in_axes=(None, None), axis_size=2, out_axes=1)
    np.testing.assert_allclose(both_shared(C, C), [[1, 1], [4, 4], [9, 9]])
    # jax.grad of the sum of 4 broadcast copies of sum(x * w): 4 * x
    grad = dg.grad(lambda w: dnp.sum(dg.vmap(lambda x: dnp.sum(x * w), None, axis_size=4)(C)))
    np.testing.assert_allclose(grad(C), 4 * C)
    np.testing.assert_allclose(dg.vmap(lambda x: x * 2, axis_size=2)(A), A * 2)


NOT_AN_INT: Any = 2.0


@pytest.mark.parametrize(
    "call, error, message",
    [
        # was an IndexError from inside vmap
        (lambda: dg.vmap(lambda x: x, in_axes=None)(C), ValueError, "give axis_size"),
        (lambda: dg.vmap(lambda x: x, axis_size=3)(A), ValueError, "axis_size is 3; argument 0"),
        (lambda: dg.vmap(lambda x: x, in_axes=None, axis_size=0), ValueError, "at least 1"),
        (lambda: dg.vmap(lambda x: x, axis_size=NOT_AN_INT), TypeError, "axis_size must be an int"),
    ],
)
def test_vmap_axis_size_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- has_aux pairs, and tangents and cotangents in the structure of what they pair with ------

X = np.array([1.0, 2.0])


def _two_numbers(m):
    return lambda x: m.stack([m.sum(x), m.sum(x * x)])


@pytest.mark.parametrize(
    "name, call",
    [
        ("grad", lambda f: dg.grad(f, has_aux=True)(X)),
        ("grad", lambda f: dg.value_and_grad(f, has_aux=True)(X)),
        ("vjp", lambda f: dg.vjp(f, X, has_aux=True)),
        ("jvp", lambda f: dg.jvp(f, (X,), (X,), has_aux=True)),
        ("jacrev", lambda f: dg.jacrev(f, has_aux=True)(X)),
        ("jacfwd", lambda f: dg.jacfwd(f, has_aux=True)(X)),
    ],
)
def test_has_aux_refuses_an_array_of_two_numbers_as_jax(name, call):
    # JAX: TypeError "expected function with aux output to return a two-element tuple". The
    # array was taken apart: grad(has_aux=True) gave ∂x[0] = [1, 1] and aux x[1] = 5.
    with pytest.raises(TypeError, match=rf"{name}\(has_aux=True\): .* pair .*shape \(2,\)"):
        call(_two_numbers(dnp))


def test_has_aux_refusals_match_jax_when_installed():
    jax = pytest.importorskip("jax")
    with pytest.raises(TypeError, match="two-element tuple"):
        jax.grad(_two_numbers(pytest.importorskip("jax.numpy")), has_aux=True)(X)
    with pytest.raises(TypeError, match=r"grad\(has_aux=True\): .* got a tuple of 3 items"):
        dg.grad(lambda x: (dnp.sum(x), x, x), has_aux=True)(X)


@pytest.mark.parametrize("transform", [dg.jacrev, dg.jacfwd])
def test_jacobians_take_a_list_pair_with_has_aux_as_jax(transform):
    # jax.jacrev(lambda x: [x * 2, x], has_aux=True)(X): (2·I, X)
    jac, aux = transform(lambda x: [x * 2, x], has_aux=True)(X)
    np.testing.assert_array_equal(jac, 2 * np.eye(2))
    np.testing.assert_array_equal(aux, X)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: dg.jvp(lambda p: p["a"] * 2, ({"a": X},), ({"b": X},)),
            r"primals are \(\{'a': \*\},\) but the tangents are \(\{'b': \*\},\)",
        ),
        (
            lambda: dg.jvp(lambda p, q: p[0] * q, ((X,), X), (X, (X,))),
            r"primals are \(\(\*,\), \*\) but the tangents are \(\*, \(\*,\)\)",
        ),
        (
            lambda: dg.vjp(lambda x: {"a": x, "b": x}, X)[1]({"a": X, "c": X}),
            r"cotangent is \{'a': \*, 'c': \*\} but the output is \{'a': \*, 'b': \*\}",
        ),
        (
            lambda: dg.vjp(lambda x: (x, 2 * x), X)[1]([X, X]),
            r"cotangent is \[\*, \*\] but the output is \(\*, \*\)",
        ),
    ],
)
def test_tangents_and_cotangents_must_have_the_structure_of_their_pair(call, message):
    # JAX raises for each ("must have the same tree structure", "unexpected tree structure");
    # the leaves were paired in order, whatever their names: the tangent of 'b' pushed as 'a's.
    with pytest.raises(ValueError, match=message):
        call()


# ---- argnums as NumPy integers ----------------------------------------------------------------


def _weighted(a, b):
    return dnp.sum(a * b * b)


ONE: Any = np.int64(1)  # (typed Any: the signatures' hints name Python ints)
ZERO: Any = np.int64(0)
LAST: Any = np.int8(-1)


def test_argnums_may_be_numpy_integers_as_jax():
    # jax.grad(f, argnums=np.int64(1))(x, 3x) = 2·a·b = [6, 24]; a tuple of them gives a tuple;
    # jax.value_and_grad(f, argnums=np.int8(-1))(x, x) = (9, [2, 8]). They raised TypeError
    # ("'numpy.int64' object is not iterable").
    np.testing.assert_array_equal(dg.grad(_weighted, argnums=ONE)(X, 3 * X), [6, 24])
    by_b, by_a = dg.grad(_weighted, argnums=(ONE, ZERO))(X, 3 * X)
    np.testing.assert_array_equal(by_b, [6, 24])
    np.testing.assert_array_equal(by_a, [9, 36])
    value, gradient = dg.value_and_grad(_weighted, argnums=LAST)(X, X)
    np.testing.assert_array_equal(value, 9.0)
    np.testing.assert_array_equal(gradient, [2, 8])
    # jax.jacfwd with np.int64(0) gives the one Jacobian, not a tuple (so does jacrev here)
    for transform in (dg.jacfwd, dg.jacrev):
        np.testing.assert_array_equal(
            transform(lambda a, b: a * b, argnums=ZERO)(X, 3 * X), np.diag(3 * X)
        )


# ---- hessian with has_aux ---------------------------------------------------------------------


def test_hessian_has_aux_as_jax():
    def f(a, b):
        return dnp.sum(a**3 * b), {"s": dnp.sum(a)}

    y = np.array([0.5, -1.0])
    # jax.hessian(f, has_aux=True)(X, y): (diag(6 a b) = [[3, 0], [0, -12]], {'s': 3})
    h, aux = dg.hessian(f, has_aux=True)(X, y)
    np.testing.assert_array_equal(h, [[3, 0], [0, -12]])
    np.testing.assert_array_equal(aux["s"], 3.0)
    # argnums=(0, 1): the blocks ((∂aa, ∂ab), (∂ba, ∂bb)), JAX's nesting
    (haa, hab), (hba, hbb) = dg.hessian(f, argnums=(0, 1), has_aux=True)(X, y)[0]
    np.testing.assert_array_equal(haa, [[3, 0], [0, -12]])
    np.testing.assert_array_equal(hab, [[3, 0], [0, 12]])
    np.testing.assert_array_equal(hba, [[3, 0], [0, 12]])
    np.testing.assert_array_equal(hbb, np.zeros((2, 2)))
    # jax.vmap(jax.hessian(f, has_aux=True), in_axes=(0, None))(stack([X, y]), y)
    hs, auxes = dg.vmap(dg.hessian(f, has_aux=True), in_axes=(0, None))(np.stack([X, y]), y)
    np.testing.assert_array_equal(hs, [[[3, 0], [0, -12]], [[1.5, 0], [0, 6]]])
    np.testing.assert_array_equal(auxes["s"], [3.0, -0.5])
    with pytest.raises(TypeError, match=r"hessian\(has_aux=True\): .* pair"):
        dg.hessian(lambda a: dnp.sum(a), has_aux=True)(X)


# ---- constant Tensors in the results of transforms of arrays ----------------------------------

V = np.array([1.0, 0.5])
WEIGHTS = dg.tensor([1.0, 2.0])  # a constant Tensor read by closure
sg = dg.stop_gradient


@pytest.mark.parametrize(
    "name, call, expected",
    [
        # jax.jvp(lambda a: jnp.sum(a * stop_gradient(a)), (X,), (V,)): (5, 2)
        ("jvp", lambda: dg.jvp(lambda a: dnp.sum(a * sg(a)), (X,), (V,)), (5, 2)),
        ("jvp", lambda: dg.jvp(lambda a: a * WEIGHTS, (X,), (V,)), (X * [1, 2], V * [1, 2])),
        ("vjp", lambda: dg.vjp(lambda a: sg(a) * 2, X)[0], 2 * X),
        ("grad", lambda: dg.value_and_grad(lambda a: dnp.sum(sg(a)))(X), (3, 0 * X)),
        (
            "grad",
            lambda: dg.grad(lambda a: (dnp.sum(a), sg(a)), has_aux=True)(X),
            (1 + 0 * X, X),
        ),
        ("jacfwd", lambda: dg.jacfwd(lambda a: a * sg(a))(X), np.diag(X)),
        (
            "hessian",
            lambda: dg.hessian(lambda a: dnp.sum(a**2 * sg(a)))(X),
            np.diag(2 * X),
        ),
    ],
)
def test_transforms_of_arrays_give_arrays_as_jax(name, call, expected):
    # JAX gives arrays; these gave deepgrad's constant Tensors (stop_gradient's, or a closure's
    # dg.tensor) where the tangent, value or aux came through one.
    result = call()
    for leaf, want in zip(dg.tree_flatten(result)[0], dg.tree_flatten(expected)[0], strict=True):
        assert type(leaf) is np.ndarray, (name, type(leaf))
        np.testing.assert_allclose(leaf, want)


def test_a_tensor_input_still_gives_tensors():
    value, tangent = dg.jvp(lambda a: sg(a) * 2, (dg.tensor(X),), (V,))
    assert isinstance(value, dg.Tensor)
    np.testing.assert_allclose(value.numpy(), 2 * X)
    np.testing.assert_allclose(tangent, 0 * X)

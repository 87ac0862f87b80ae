"""``numpy.linalg``: inverse, determinants, solve, Cholesky and norms, differentiable.

Rules follow Giles, "Collected matrix derivative results for forward and reverse mode
AD" (2008) and Murray, "Differentiation of the Cholesky decomposition" (2016).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.axes import axis_tuple
from deepgrad.backend import array_module, numpy_scalar
from deepgrad.ops.cofactor import cofactor, cofactor_derivative
from deepgrad.ops.elementwise import absolute, power, sqrt
from deepgrad.ops.indexing import getitem, tril
from deepgrad.ops.linalg import matmul
from deepgrad.ops.nondiff import cast, count_nonzero, nondifferentiable
from deepgrad.ops.reductions import max, min, sum
from deepgrad.ops.shape import expand_dims, reshape, swapaxes
from deepgrad.ops.spectral_tools import diagonal_of
from deepgrad.tensor import raw_data


def _mT(x: Any) -> Any:
    return swapaxes(x, -1, -2)


def _lift(g: Any) -> Any:
    """A per-matrix scalar (shape (...)) as shape (..., 1, 1), to scale whole matrices."""
    return expand_dims(g, (-1, -2))


def _square(name: str, a: Any) -> None:
    shape = np.shape(raw_data(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {shape}")


# (A⁻¹)' = −A⁻¹ Ȧ A⁻¹; reverse: Ā = −A⁻ᵀ Ḡ A⁻ᵀ.
_inv = Primitive(np.linalg.inv, "inv", "{0}⁻¹")
_inv.defvjp(lambda g, ans, a: -matmul(matmul(_mT(ans), g), _mT(ans)))
_inv.defjvp(lambda t, ans, a: -matmul(matmul(ans, t), ans))


def inv(a: Any) -> Any:
    """Matrix inverse (over the last two axes)."""
    _square("inv", a)
    return _inv(a)


# (det A)' = tr(C(A)ᵀ Ȧ), C(A) = adj(A)ᵀ the cofactor matrix (det A · A⁻ᵀ where A is
# invertible): computed without inverting A, it is finite at singular matrices too (as in
# PyTorch and JAX). C is differentiated by its own rule, the Hessian of det, self-adjoint.
_cofactor = Primitive(cofactor, "cofactor")
_cofactor_derivative = Primitive(cofactor_derivative, "cofactor_derivative")
_cofactor.defvjp(lambda g, ans, a: _cofactor_derivative(a, g))
_cofactor.defjvp(lambda t, ans, a: _cofactor_derivative(a, t))


def _third_derivative_of_det(a: Any, e: Any, w: Any) -> Any:
    """The third derivative of det at ``a`` applied to directions ``e`` and ``w``: the
    derivative of C'(A)[E] in A, written with inv, so defined for invertible ``a`` only.

    With X = A⁻¹ and φ = tr(XE) tr(XW) − tr(XEXW): det A · (φ Xᵀ − tr(XW) (XEX)ᵀ
    − tr(XE) (XWX)ᵀ + (XEXWX)ᵀ + (XWXEX)ᵀ), symmetric in E and W.
    """
    try:
        x = inv(a)
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(
            f"det: derivatives of order 3 and above need an invertible matrix (they are "
            f"computed through its inverse); got a singular one, shape {np.shape(raw_data(a))}"
        ) from error
    xe, xw = matmul(x, e), matmul(x, w)
    trace_e, trace_w = _lift(_trace(xe)), _lift(_trace(xw))
    phi = trace_e * trace_w - _lift(_trace(matmul(xe, xw)))
    inner = (
        phi * x
        - trace_w * matmul(xe, x)
        - trace_e * matmul(xw, x)
        + matmul(matmul(xe, xw), x)
        + matmul(matmul(xw, xe), x)
    )
    return _lift(det(a)) * _mT(inner)


def _trace(x: Any) -> Any:
    return sum(diagonal_of(x), axis=-1)


_cofactor_derivative.defvjp(
    lambda g, ans, a, e: _third_derivative_of_det(a, e, g),
    lambda g, ans, a, e: _cofactor_derivative(a, g),
)
_cofactor_derivative.defjvp(
    lambda t, ans, a, e: _third_derivative_of_det(a, e, t),
    lambda t, ans, a, e: _cofactor_derivative(a, t),
)

_det = Primitive(np.linalg.det, "det")
_det.defvjp(lambda g, ans, a: _lift(g) * _cofactor(a))
_det.defjvp(lambda t, ans, a: sum(_cofactor(a) * t, axis=(-1, -2)))


def det(a: Any) -> Any:
    """Determinant (over the last two axes)."""
    _square("det", a)
    return _det(a)


def _inverse_transpose_where_regular(ans: Any, a: Any) -> Any:
    """A⁻ᵀ, the derivative of log|det A|; refused where log|det A| = −inf (a singular A),
    where the derivative is infinite: PyTorch and JAX return a mix of ±inf and NaN."""
    logabsdet = raw_data(ans)
    if bool(array_module(logabsdet).isneginf(logabsdet).any()):
        raise np.linalg.LinAlgError(
            f"slogdet: log|det| is -inf at a singular matrix (input shape "
            f"{np.shape(raw_data(a))}), where its derivative is infinite; a derivative "
            f"finite everywhere is that of det (det A · A⁻ᵀ, the cofactor matrix)"
        )
    return _mT(inv(a))


_logabsdet = Primitive(lambda a: np.linalg.slogdet(a)[1], "slogdet")
_logabsdet.defvjp(lambda g, ans, a: _lift(g) * _inverse_transpose_where_regular(ans, a))
_logabsdet.defjvp(
    lambda t, ans, a: sum(_inverse_transpose_where_regular(ans, a) * t, axis=(-1, -2))
)


def _sign_of_det_impl(a):
    return np.linalg.slogdet(a)[0]


_sign_of_det = nondifferentiable(_sign_of_det_impl)


def slogdet(a: Any) -> tuple[Any, Any]:
    """(sign, log|det|); the sign is a constant, log|det| is differentiable."""
    _square("slogdet", a)
    return _sign_of_det(a), _logabsdet(a)


def _b_is_vector(b: Any) -> bool:
    """NumPy 2's rule: b is a vector (..., M) only when it is 1-D; otherwise (..., M, K)."""
    return np.ndim(raw_data(b)) == 1


def _solve_vectors(a: Any, v: Any) -> Any:
    """solve(a, v) for a stack of vectors v (..., M), batched like a: as columns, since
    solve reads a v of more than one axis as matrices (..., M, K)."""
    return getitem(solve(a, expand_dims(v, -1)), index=(Ellipsis, 0))


def _solve_vjp_a(g, ans, a, b):
    if _b_is_vector(b):  # g and ans are vectors (..., M), batched like a
        gb = _solve_vectors(_mT(a), g)
        return -(expand_dims(gb, -1) * expand_dims(ans, -2))
    return -matmul(solve(_mT(a), g), _mT(ans))


def _solve_vjp_b(g, ans, a, b):
    return _solve_vectors(_mT(a), g) if _b_is_vector(b) else solve(_mT(a), g)


def _solve_jvp_a(t, ans, a, b):
    if _b_is_vector(b):
        return -_solve_vectors(a, getitem(matmul(t, expand_dims(ans, -1)), index=(Ellipsis, 0)))
    return solve(a, -matmul(t, ans))


_solve = Primitive(np.linalg.solve, "solve")
_solve.defvjp(_solve_vjp_a, _solve_vjp_b)
_solve.defjvp(_solve_jvp_a, lambda t, ans, a, b: solve(a, t))


def solve(a: Any, b: Any) -> Any:
    """Solve a x = b; ``b`` is a vector only when it is 1-D (NumPy 2 rules)."""
    _square("solve", a)
    return _solve(a, b)


def _phi(x: Any) -> Any:
    """The lower triangle with its diagonal halved."""
    n = np.shape(raw_data(x))[-1]
    return tril(x) * (1 - 0.5 * array_module(raw_data(x)).eye(n, dtype=raw_data(x).dtype))


def _cholesky_jvp(t, ans, a):
    # L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ)
    inner = solve(ans, _mT(solve(ans, _mT(t))))
    return matmul(ans, _phi(inner))


def _cholesky_vjp(g, ans, a):
    # Ā = sym(L⁻ᵀ Φ(Lᵀ Ḡ) L⁻¹): only symmetric perturbations of A are meaningful.
    p = _mT(solve(_mT(ans), _mT(solve(_mT(ans), _phi(matmul(_mT(ans), g))))))
    return 0.5 * (p + _mT(p))


_cholesky = Primitive(np.linalg.cholesky, "cholesky")
_cholesky.defvjp(_cholesky_vjp)
_cholesky.defjvp(_cholesky_jvp)


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """Lower Cholesky factor L of a symmetric positive-definite A = L Lᵀ, or with
    ``upper=True`` the upper factor U = Lᵀ (A = Uᵀ U), as NumPy's: the lower factor reads
    A's lower triangle, the upper one its upper triangle.

    Only symmetric changes of A are meaningful: the reverse-mode gradient is the
    symmetric one; forward mode (``jvp``, ``jacfwd``) uses the tangent as given, as
    PyTorch's does, so give it a symmetric tangent (JAX symmetrises it first).

    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]), upper=True)
    array([[2., 1.],
           [0., 2.]])
    """
    _square("cholesky", a)
    if upper:  # Aᵀ's lower triangle is A's upper one
        return _mT(_cholesky(_mT(a)))
    return _cholesky(a)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector and matrix norms (NumPy's ``linalg.norm``), written from differentiable ops.

    Vector orders: None/2, 1, inf, -inf, 0 and any p; matrix orders: None/'fro', 1, -1,
    inf, -inf (``ops/matrix_functions.norm`` adds 2, -2 and 'nuc'); any other order raises
    a ``ValueError``, as NumPy's.

    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    ndim = np.ndim(raw_data(x))
    if axis is None:
        if ord is None:
            result = _vector_norm(reshape(x, (-1,)), None, 0, False)
            return reshape(result, (1,) * ndim) if keepdims else result
        if ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D input, got {ndim}-D")
        axis = tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    axis = axis_tuple(axis, ndim, "norm")
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) != 2:
        raise ValueError(f"norm: axis must name one or two axes, got {axis}")
    return _matrix_norm(x, ord, axis, keepdims)


def largest(x: Any, axis: Any, keepdims: bool = False) -> Any:
    """``max`` of values ≥ 0 (magnitudes, singular values), 0 over an empty axis as NumPy's
    norms (which reduce with ``initial=0``); ``max`` has no identity to return there."""
    if np.shape(raw_data(x))[axis] == 0:
        return sum(x, axis=axis, keepdims=keepdims)
    return max(x, axis=axis, keepdims=keepdims)


def _vector_norm(x, ord, axis, keepdims):
    if isinstance(ord, str):  # 'fro' and 'nuc' are matrix norms
        raise ValueError(
            f"norm: ord={ord!r} is not a vector norm order; expected None or a number "
            "(inf and -inf included), as NumPy's"
        )
    if ord is None or ord == 2:
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    if ord == np.inf:
        return largest(absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return min(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # a count, in x's float dtype as NumPy's; a constant (derivative 0)
        dtype = np.result_type(raw_data(x).dtype, np.float16)
        return cast(count_nonzero(x, axis=axis, keepdims=keepdims), dtype)
    return power(sum(power(absolute(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)


def _matrix_norm(x, ord, axis, keepdims):
    row_axis, col_axis = axis
    if ord is None or ord == "fro":
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    if ord in (1, -1):
        sums = sum(absolute(x), axis=row_axis, keepdims=True)
        reduce = largest if ord == 1 else min
        return _squeeze_axes(reduce(sums, axis=col_axis, keepdims=True), axis, keepdims)
    if ord in (np.inf, -np.inf):
        sums = sum(absolute(x), axis=col_axis, keepdims=True)
        reduce = largest if ord == np.inf else min
        return _squeeze_axes(reduce(sums, axis=row_axis, keepdims=True), axis, keepdims)
    # (2, -2 and 'nuc' are taken by ops/matrix_functions.norm before it calls this one)
    raise ValueError(
        f"norm: ord={ord!r} is not a matrix norm order; expected None, 'fro', 'nuc', 1, -1, "
        "2, -2, inf or -inf (NumPy's)"
    )


def _squeeze_axes(x, axis, keepdims):
    if keepdims:
        return x
    shape = [n for i, n in enumerate(np.shape(raw_data(x))) if i not in axis]
    return numpy_scalar(reshape(x, shape))  # a scalar where NumPy's is, not a 0-d array

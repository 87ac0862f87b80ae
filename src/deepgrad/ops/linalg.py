"""Products and linear algebra: matmul, einsum and the products built on them; inv, det,
slogdet, solve, cholesky and norm."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from deepgrad import blas
from deepgrad.autodiff.primitive import Primitive
from deepgrad.axes import axis_tuple
from deepgrad.backend import numpy_scalar
from deepgrad.ops import outer_products, reductions
from deepgrad.ops.elementwise import multiply
from deepgrad.ops.indexing import diagonal
from deepgrad.ops.shape import (
    _VariadicRules,  # shared with concatenate
    broadcast_to,
    expand_dims,
    reshape,
    swapaxes,
    transpose,
)
from deepgrad.tensor import Tensor, raw_data


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(raw_data(x))


def _mT(x: Any) -> Any:
    return swapaxes(x, -1, -2)


# ---- matmul ---------------------------------------------------------------------------------


def _matmul_impl(x, y, out=None):  # out=: a compiled plan's preallocated buffer
    # .shape where there is one: np.shape's Python wrapper costs 0.3 µs, twice per product
    xs = x.shape if type(x) is np.ndarray else np.shape(x)
    ys = y.shape if type(y) is np.ndarray else np.shape(y)
    if not xs or not ys:
        raise ValueError(f"matmul: {xs} @ {ys}: scalar operands are not allowed, use *")
    inner_x, inner_y = xs[-1], ys[0] if len(ys) == 1 else ys[-2]
    if inner_x != inner_y:
        raise ValueError(f"matmul: {xs} @ {ys}: inner dimensions {inner_x} and {inner_y} differ")
    if inner_x == 1 and outer_products.fits(x, y, out):
        return outer_products.outer_matmul(x, y, out)
    if blas.routes_products():  # DEEPGRAD_BLAS=mkl: eager and compiled products alike
        result = blas.product(x, y, out)
        if result is not None:
            return result
    return np.matmul(x, y, out=out)


def _as_matrices(g, x, y):
    """Treat 1-D operands as a row (x) or column (y) so one formula covers every case."""
    x_vector, y_vector = len(_shape(x)) == 1, len(_shape(y)) == 1
    if y_vector:
        g, y = expand_dims(g, -1), expand_dims(y, -1)
    if x_vector:
        g, x = expand_dims(g, -2), expand_dims(x, 0)
    return g, x, y


def _matmul_vjp_x(g, ans, x, y):
    g, _, y2 = _as_matrices(g, x, y)
    return matmul(g, _mT(y2))  # graph.py sums batch axes and drops the added row axis


def _matmul_vjp_y(g, ans, x, y):
    g, x2, _ = _as_matrices(g, x, y)
    gy = matmul(_mT(x2), g)
    return reshape(gy, _shape(gy)[:-1]) if len(_shape(y)) == 1 else gy


matmul = Primitive(_matmul_impl, "matmul", "{0} @ {1}")
matmul.defvjp(_matmul_vjp_x, _matmul_vjp_y)
matmul.def_linear()


def dot(a: Any, b: Any) -> Any:
    """NumPy's ``dot``: matmul for 1-D and 2-D operands, a product with a scalar, and a
    sum over the last axis of ``a`` and the second-to-last of ``b`` otherwise."""
    a_dim, b_dim = len(_shape(a)), len(_shape(b))
    if a_dim == 0 or b_dim == 0:
        return _scalar_product(a, b)
    if b_dim <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([a_dim - 1], [b_dim - 2]))


def _scalar_product(a: Any, b: Any) -> Any:
    """``dot`` and ``inner`` with a 0-d operand: NumPy's product of the two as arrays
    (``dot(np.int8(3), 2)`` is an int64, ``dot(True, True)`` ``np.True_``); a Tensor keeps
    its dtype, a Python number beside it being weak."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a, b = (v if hasattr(v, "shape") else np.asarray(v) for v in (a, b))
    return numpy_scalar(multiply(a, b))


def inner(a: Any, b: Any) -> Any:
    """Sum product over the last axes."""
    if not _shape(a) or not _shape(b):
        return _scalar_product(a, b)
    return numpy_scalar(tensordot(a, b, axes=([-1], [-1])))


def outer(a: Any, b: Any) -> Any:
    """Outer product of two vectors (inputs are flattened)."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum products over the given axes, written as transpose + reshape + matmul."""
    a_shape, b_shape = _shape(a), _shape(b)
    if isinstance(axes, int | np.integer):
        a_axes = list(range(len(a_shape) - int(axes), len(a_shape)))
        b_axes = list(range(int(axes)))
    else:
        a_axes, b_axes = (np.atleast_1d(ax).tolist() for ax in axes)
    a_axes = list(axis_tuple(tuple(a_axes), len(a_shape), "tensordot"))
    b_axes = list(axis_tuple(tuple(b_axes), len(b_shape), "tensordot"))
    a_free = [i for i in range(len(a_shape)) if i not in a_axes]
    b_free = [i for i in range(len(b_shape)) if i not in b_axes]
    # every length spelled out: -1 is ambiguous when a summed axis has length 0
    k = int(np.prod([a_shape[i] for i in a_axes]))
    m = int(np.prod([a_shape[i] for i in a_free]))
    n = int(np.prod([b_shape[i] for i in b_free]))
    a2 = reshape(transpose(a, a_free + a_axes), (m, k))
    b2 = reshape(transpose(b, b_axes + b_free), (k, n))
    out_shape = [a_shape[i] for i in a_free] + [b_shape[i] for i in b_free]
    return reshape(matmul(a2, b2), out_shape)


# ---- einsum ---------------------------------------------------------------------------------


def _parse_einsum(subscripts: str, shapes: list) -> tuple[list[str], str]:
    """Explicit input and output subscripts, with '...' spelled out as letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(shapes):
        raise ValueError(f"einsum: {len(specs)} operands in subscripts, {len(shapes)} given")
    spare = [c for c in string.ascii_letters if c not in subscripts]
    widths = [
        len(shape) - len(spec) + 3 if "..." in spec else 0
        for spec, shape in zip(specs, shapes, strict=True)
    ]
    ellipsis = "".join(spare[: max(widths, default=0)])

    def spell(spec: str, width: int) -> str:
        return spec.replace("...", ellipsis[len(ellipsis) - width :])

    specs = [spell(spec, width) for spec, width in zip(specs, widths, strict=True)]
    if arrow:
        return specs, spell(output, len(ellipsis))
    letters = "".join(specs)
    once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
    return specs, ellipsis + "".join(once)


def _einsum_impl(*operands, subscripts):
    return np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_vjp(position):
    def rule(g, ans, *operands, subscripts):
        inputs, output = subscripts.split("->")
        specs = inputs.split(",")
        target = specs[position]
        if len(set(target)) != len(target):
            raise NotImplementedError(
                f"einsum: no derivative for an operand with a repeated index ('{target}'); "
                "take the diagonal first with deepgrad.numpy.diagonal"
            )
        others = [s for i, s in enumerate(specs) if i != position]
        available = set(output).union(*others)
        kept = "".join(c for c in target if c in available)
        operands_in = [op for i, op in enumerate(operands) if i != position]
        grad = einsum(",".join([*others, output]) + "->" + kept, *operands_in, g)
        return _fit_einsum_grad(grad, kept, target, _shape(operands[position]))

    return rule


def _fit_einsum_grad(grad: Any, kept: str, target: str, shape: tuple[int, ...]) -> Any:
    """The gradient over the indices ``kept`` brought to the operand's ``shape``: an index
    only this operand had (summed away) or one it had at length 1 where another operand
    broadcast it (NumPy's einsum broadcasts a length-1 axis) is broadcast back; one where
    this operand had length 1 and another a longer axis is summed."""
    lengths = dict(zip(kept, _shape(grad), strict=True))
    grad = reshape(grad, [lengths.get(c, 1) for c in target])
    stretched = tuple(i for i, c in enumerate(target) if shape[i] == 1 and lengths.get(c, 1) != 1)
    if stretched:
        grad = reductions.sum(grad, axis=stretched, keepdims=True)
    return broadcast_to(grad, shape)


def _einsum_jvp(position):
    def rule(t, ans, *operands, subscripts):
        operands = list(operands)
        operands[position] = t
        return einsum_prim(*operands, subscripts=subscripts)

    return rule


einsum_prim = Primitive(_einsum_impl, "einsum")
einsum_prim.vjps = _VariadicRules(_einsum_vjp)
einsum_prim.jvps = _VariadicRules(_einsum_jvp)


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation (NumPy's ``einsum``), differentiable in every operand.

    >>> einsum("ij,j->i", np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])

    A repeated index takes the diagonal: ``einsum("ii->i", a)``, ``einsum("ii", a)``.
    """
    specs, output = _parse_einsum(subscripts, [_shape(op) for op in operands])
    pairs = [_take_diagonals(spec, op) for spec, op in zip(specs, operands, strict=True)]
    specs = [spec for spec, _ in pairs]
    return einsum_prim(*(op for _, op in pairs), subscripts=",".join(specs) + "->" + output)


def _take_diagonals(spec: str, operand: Any) -> tuple[str, Any]:
    """An operand with a repeated index (``"ii"``) as its diagonal (``"i"``), taken with the
    differentiable ``diagonal``, so the primitive only ever sees distinct indices."""
    while len(set(spec)) != len(spec):
        letter = next(c for c in spec if spec.count(c) > 1)
        first = spec.index(letter)
        second = spec.index(letter, first + 1)
        shape = _shape(operand)
        if shape[first] != shape[second]:
            raise ValueError(
                f"einsum: index '{letter}' is repeated in operand '{spec}' of shape {shape}, "
                f"but its axes {first} and {second} have different lengths"
            )
        operand = diagonal(operand, 0, first, second)  # the diagonal becomes the last axis
        spec = "".join(c for i, c in enumerate(spec) if i not in (first, second)) + letter
    return spec, operand

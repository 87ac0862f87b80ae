"""One row per differentiable op: the deepgrad function, its NumPy reference, the shapes
to draw, the input domain and the static arguments to try. test_ops.py runs every row
through one checker."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp
import deepgrad.special as dsp
from deepgrad.ops.activations_math import normal_cdf, softmax_minus_one_hot
from deepgrad.ops.sum_of_squares import sum_of_squares

# ---- input domains --------------------------------------------------------------------------


def real(rng, shape):
    return rng.uniform(-2, 2, shape)


def positive(rng, shape):
    return rng.uniform(0.2, 2, shape)


def nonzero(rng, shape):
    return rng.uniform(0.3, 2, shape) * rng.choice([-1.0, 1.0], shape)


def unit(rng, shape):
    return rng.uniform(-0.8, 0.8, shape)


def above_one(rng, shape):
    return rng.uniform(1.3, 3, shape)


def probability(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def distinct(rng, shape):
    """No two elements tie (max, sort), and none is near ±1 (clip's bounds)."""
    size = int(np.prod(shape))
    values = np.linspace(-2, 2, max(size, 1))[rng.permutation(max(size, 1))][:size]
    values = values + rng.uniform(0, 0.3 / max(size, 1), size)
    values = np.where(np.abs(np.abs(values) - 1) < 0.05, values * 1.2, values)
    return values.reshape(shape)


# ---- shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shapes:
    """Where a row's input shapes come from: a hypothesis strategy for the property tests,
    and fixed examples for the deterministic ones (coverage, PyTorch)."""

    strategy: Any
    examples: list


ANY = Shapes(
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda s: (s,)),
    [((2, 3),), ((),), ((4,),)],
)
BROADCAST2 = Shapes(
    hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4
    ).map(lambda r: r.input_shapes),
    [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))],
)
BROADCAST3 = Shapes(
    hnp.mutually_broadcastable_shapes(
        num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3
    ).map(lambda r: r.input_shapes),
    [((2, 3), (3,), (2, 1))],
)


def fixed(*options):
    return Shapes(st.sampled_from(list(options)), list(options))


@dataclass
class OpSpec:
    name: str
    fn: Callable
    ref: Callable
    shapes: Any = ANY
    domains: tuple = (real,)
    kwargs: list = field(default_factory=lambda: [{}])
    order: int = 2
    make: Callable | None = None  # (rng, shapes) -> args, for inputs that depend on each other
    atol: float = 1e-5
    rtol: float = 1e-5

    def arguments(self, rng, shapes):
        if self.make is not None:
            return self.make(rng, shapes)
        domains = self.domains * len(shapes) if len(self.domains) == 1 else self.domains
        return tuple(domain(rng, shape) for domain, shape in zip(domains, shapes, strict=True))


def _erf(x):
    return np.vectorize(math.erf, otypes=[float])(x)


def _pair_distinct(rng, shapes):
    """x on the grid 0.5·k and y on the grid 0.5·k + 0.25: never within 0.25 of each other."""
    x = 0.5 * rng.integers(-4, 5, shapes[0])
    y = 0.5 * rng.integers(-4, 4, shapes[1]) + 0.25
    return x.astype(float), y


def _mod_args(rng, shapes):
    """x = y·(k + u), u in (0.1, 0.9): far from the jumps of x mod y."""
    y = nonzero(rng, shapes[1])
    k = rng.integers(-2, 3, np.broadcast_shapes(*shapes))
    u = rng.uniform(0.1, 0.9, k.shape)
    x = (y * (k + u)).astype(float)
    x = np.broadcast_to(x, np.broadcast_shapes(*shapes))
    return np.ascontiguousarray(x), y


def _fmod_args(rng, shapes):
    x, y = _mod_args(rng, shapes)
    return np.abs(x) * np.sign(rng.uniform(-1, 1, x.shape) + 0.01), y


def _where_args(rng, shapes):
    return rng.uniform(size=shapes[0]) > 0.5, real(rng, shapes[1]), real(rng, shapes[2])


def _clip_args(rng, shapes):
    """x spread over [-2, 2]; the bounds in [-1.5, -0.5] and [0.5, 1.5]."""
    low, high = rng.uniform(-1.5, -0.5, shapes[1]), rng.uniform(0.5, 1.5, shapes[2])
    return distinct(rng, shapes[0]), low, high


def _any_square(rng, shapes):
    return (rng.standard_normal(shapes[0]),)


def _symmetric_cholesky(a):
    """Cholesky of A Aᵀ + I, which is symmetric positive definite for any A."""
    return dnp.linalg.cholesky(a @ dnp.swapaxes(a, -1, -2) + np.eye(a.shape[-1], dtype=a.dtype))


def _np_symmetric_cholesky(a):
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(a.shape[-1], dtype=a.dtype))


def _well_conditioned(rng, shapes):
    return tuple(
        rng.standard_normal(s) + (3 * np.eye(s[-1]) if i == 0 else 0) for i, s in enumerate(shapes)
    )


def _det_gradient(a):
    return dg.grad(lambda b: dnp.sum(dnp.linalg.det(b)))(a)


def _cofactor_reference(a):
    return np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)


def _det_hessian_reference(a, e):
    # d(det A · A⁻ᵀ)[E] = det A · (tr(A⁻¹E) A⁻¹ − A⁻¹ E A⁻¹)ᵀ
    x = np.linalg.inv(a)
    trace = np.einsum("...ij,...ji->...", x, e)[..., None, None]
    return np.linalg.det(a)[..., None, None] * np.swapaxes(trace * x - x @ e @ x, -1, -2)


REDUCE_AXES = [
    {"axis": None},
    {"axis": 0},
    {"axis": -1, "keepdims": True},
    {"axis": (0, 1)},
    {"axis": 1, "keepdims": False},
]
REDUCE_SHAPES = fixed(((3, 4),), ((2, 3, 4),), ((2, 1, 3),))

UNARY = [
    ("negative", dnp.negative, np.negative, real),
    ("exp", dnp.exp, np.exp, real),
    ("exp2", dnp.exp2, np.exp2, real),
    ("expm1", dnp.expm1, np.expm1, real),
    ("log", dnp.log, np.log, positive),
    ("log2", dnp.log2, np.log2, positive),
    ("log10", dnp.log10, np.log10, positive),
    ("log1p", dnp.log1p, np.log1p, positive),
    ("sqrt", dnp.sqrt, np.sqrt, positive),
    ("cbrt", dnp.cbrt, np.cbrt, nonzero),
    ("square", dnp.square, np.square, real),
    ("reciprocal", dnp.reciprocal, np.reciprocal, nonzero),
    ("sin", dnp.sin, np.sin, real),
    ("cos", dnp.cos, np.cos, real),
    ("tan", dnp.tan, np.tan, unit),
    ("arcsin", dnp.arcsin, np.arcsin, unit),
    ("arccos", dnp.arccos, np.arccos, unit),
    ("arctan", dnp.arctan, np.arctan, real),
    ("sinh", dnp.sinh, np.sinh, real),
    ("cosh", dnp.cosh, np.cosh, real),
    ("tanh", dnp.tanh, np.tanh, real),
    ("arcsinh", dnp.arcsinh, np.arcsinh, real),
    ("arccosh", dnp.arccosh, np.arccosh, above_one),
    ("arctanh", dnp.arctanh, np.arctanh, unit),
    ("absolute", dnp.absolute, np.abs, nonzero),
    ("deg2rad", dnp.deg2rad, np.deg2rad, real),
    ("rad2deg", dnp.rad2deg, np.rad2deg, real),
    ("copy", dnp.copy, np.copy, real),
    ("erf", dnp.erf, _erf, real),
    ("expit", dsp.expit, lambda x: 1 / (1 + np.exp(-x)), real),
    ("logit", dsp.logit, lambda p: np.log(p / (1 - p)), probability),
    ("normal_cdf", normal_cdf, lambda x: 0.5 * (1 + _erf(x / math.sqrt(2))), real),
]

BINARY = [
    ("add", dnp.add, np.add, (real, real)),
    ("subtract", dnp.subtract, np.subtract, (real, real)),
    ("multiply", dnp.multiply, np.multiply, (real, real)),
    ("divide", dnp.divide, np.divide, (real, nonzero)),
    ("power", dnp.power, np.power, (positive, real)),
    ("arctan2", dnp.arctan2, np.arctan2, (real, nonzero)),
    ("hypot", dnp.hypot, np.hypot, (nonzero, nonzero)),
    ("logaddexp", dnp.logaddexp, np.logaddexp, (real, real)),
    ("logaddexp2", dnp.logaddexp2, np.logaddexp2, (real, real)),
]


def _rows() -> list[OpSpec]:
    rows = [OpSpec(n, f, r, ANY, (d,)) for n, f, r, d in UNARY]
    rows += [OpSpec(n, f, r, BROADCAST2, d) for n, f, r, d in BINARY]
    rows += [
        OpSpec("maximum", dnp.maximum, np.maximum, BROADCAST2, make=_pair_distinct),
        OpSpec("minimum", dnp.minimum, np.minimum, BROADCAST2, make=_pair_distinct),
        OpSpec("mod", dnp.mod, np.mod, BROADCAST2, make=_mod_args),
        OpSpec("fmod", dnp.fmod, np.fmod, BROADCAST2, make=_fmod_args),
        OpSpec("where", dnp.where, np.where, BROADCAST3, make=_where_args),
        OpSpec("clip", lambda x: dnp.clip(x, -1, 1), lambda x: np.clip(x, -1, 1), ANY, (distinct,)),
        OpSpec(
            "clip_one_side",
            lambda x: dnp.clip(x, None, 0.5),
            lambda x: np.clip(x, None, 0.5),
            ANY,
            (distinct,),
        ),
        OpSpec("clip_traced_bounds", dnp.clip, np.clip, BROADCAST3, make=_clip_args),
        # reductions
        OpSpec("sum", dnp.sum, np.sum, REDUCE_SHAPES, kwargs=REDUCE_AXES),
        OpSpec("mean", dnp.mean, np.mean, REDUCE_SHAPES, kwargs=REDUCE_AXES),
        OpSpec("prod", dnp.prod, np.prod, REDUCE_SHAPES, (nonzero,), kwargs=REDUCE_AXES),
        OpSpec("max", dnp.max, np.max, REDUCE_SHAPES, (distinct,), kwargs=REDUCE_AXES),
        OpSpec("min", dnp.min, np.min, REDUCE_SHAPES, (distinct,), kwargs=REDUCE_AXES),
        OpSpec(
            "var",
            dnp.var,
            np.var,
            fixed(((3, 4),), ((2, 3, 4),)),
            kwargs=[*REDUCE_AXES, {"axis": 0, "ddof": 1}],
        ),
        OpSpec("std", dnp.std, np.std, fixed(((3, 4),), ((2, 3, 4),)), kwargs=REDUCE_AXES),
        OpSpec("logsumexp", dsp.logsumexp, _np_logsumexp, REDUCE_SHAPES, kwargs=REDUCE_AXES),
        OpSpec(
            "sum_of_squares",
            sum_of_squares,
            lambda x: np.sum(x * x),
            fixed(((3, 4),), ((2, 3, 4),), ((5,),)),
        ),
        OpSpec(
            "cumsum",
            dnp.cumsum,
            np.cumsum,
            REDUCE_SHAPES,
            kwargs=[{"axis": None}, {"axis": 0}, {"axis": -1}],
        ),
        OpSpec(
            "cumprod",
            dnp.cumprod,
            np.cumprod,
            REDUCE_SHAPES,
            (nonzero,),
            kwargs=[{"axis": None}, {"axis": 1}],
        ),
        OpSpec(
            "softmax", dsp.softmax, _np_softmax, REDUCE_SHAPES, kwargs=[{"axis": -1}, {"axis": 0}]
        ),
        OpSpec(
            "log_softmax",
            dsp.log_softmax,
            _np_log_softmax,
            REDUCE_SHAPES,
            kwargs=[{"axis": -1}, {"axis": 1}],
        ),
        OpSpec(
            "softmax_minus_one_hot",
            lambda x: softmax_minus_one_hot(x, _LABELS[: x.shape[0]]),
            lambda x: _np_softmax(x) - np.eye(x.shape[-1])[_LABELS[: x.shape[0]]],
            fixed(((3, 4),), ((5, 2),)),
        ),
        OpSpec("relu", dsp.relu, lambda x: np.maximum(x, 0), ANY, (nonzero,)),
        OpSpec(
            "sparse_softmax_cross_entropy",
            lambda x: dsp.sparse_softmax_cross_entropy(x, _LABELS[: x.shape[0]]),
            lambda x: (
                -np.take_along_axis(_np_log_softmax(x), _LABELS[: x.shape[0], None], axis=-1)[:, 0]
            ),
            fixed(((3, 4),), ((5, 2),)),
        ),
        # shape
        OpSpec(
            "reshape",
            lambda x: dnp.reshape(x, (2, -1)),
            lambda x: np.reshape(x, (2, -1)),
            fixed(((4, 3),), ((2, 3, 2),)),
        ),
        OpSpec(
            "transpose", dnp.transpose, np.transpose, REDUCE_SHAPES, kwargs=[{}, {"axes": None}]
        ),
        OpSpec(
            "transpose_axes",
            lambda x: dnp.transpose(x, (1, 0, 2)),
            lambda x: np.transpose(x, (1, 0, 2)),
            fixed(((2, 3, 4),)),
        ),
        OpSpec(
            "broadcast_to",
            lambda x: dnp.broadcast_to(x, (2, 3, 4)),
            lambda x: np.broadcast_to(x, (2, 3, 4)),
            fixed(((3, 1),), ((4,),), ((),), ((1, 3, 4),)),
        ),
        OpSpec(
            "expand_dims",
            dnp.expand_dims,
            np.expand_dims,
            fixed(((3, 4),)),
            kwargs=[{"axis": 0}, {"axis": -1}, {"axis": (0, 2)}],
        ),
        OpSpec("squeeze", dnp.squeeze, np.squeeze, fixed(((1, 3, 1),)), kwargs=[{}, {"axis": 0}]),
        OpSpec("ravel", dnp.ravel, np.ravel, REDUCE_SHAPES),
        OpSpec(
            "moveaxis",
            lambda x: dnp.moveaxis(x, 0, -1),
            lambda x: np.moveaxis(x, 0, -1),
            fixed(((2, 3, 4),)),
        ),
        OpSpec(
            "swapaxes",
            lambda x: dnp.swapaxes(x, 0, 2),
            lambda x: np.swapaxes(x, 0, 2),
            fixed(((2, 3, 4),)),
        ),
        OpSpec(
            "concatenate",
            lambda a, b: dnp.concatenate([a, b], axis=1),
            lambda a, b: np.concatenate([a, b], axis=1),
            fixed(((2, 3), (2, 1)), ((2, 1, 2), (2, 3, 2))),
        ),
        OpSpec(
            "concatenate_none",
            lambda a, b: dnp.concatenate([a, b], axis=None),
            lambda a, b: np.concatenate([a, b], axis=None),
            fixed(((2, 3), (4,))),
        ),
        OpSpec(
            "stack",
            lambda a, b: dnp.stack([a, b], axis=-1),
            lambda a, b: np.stack([a, b], axis=-1),
            fixed(((2, 3), (2, 3))),
        ),
        OpSpec(
            "hstack",
            lambda a, b: dnp.hstack([a, b]),
            lambda a, b: np.hstack([a, b]),
            fixed(((2, 3), (2, 2)), ((3,), (2,))),
        ),
        OpSpec(
            "vstack",
            lambda a, b: dnp.vstack([a, b]),
            lambda a, b: np.vstack([a, b]),
            fixed(((2, 3), (1, 3)), ((3,), (3,))),
        ),
        OpSpec(
            "split",
            lambda x: dnp.split(x, 2, axis=1),
            lambda x: np.split(x, 2, axis=1),
            fixed(((3, 4),)),
        ),
        OpSpec(
            "array_split",
            lambda x: dnp.array_split(x, [1, 3]),
            lambda x: np.array_split(x, [1, 3]),
            fixed(((5, 2),)),
        ),
        OpSpec(
            "tile",
            lambda x: dnp.tile(x, (2, 1, 3)),
            lambda x: np.tile(x, (2, 1, 3)),
            fixed(((2, 3),), ((3,),)),
        ),
        OpSpec(
            "repeat",
            dnp.repeat,
            np.repeat,
            fixed(((2, 3),)),
            kwargs=[{"repeats": 2}, {"repeats": 2, "axis": 1}, {"repeats": [1, 0, 3], "axis": 1}],
        ),
        OpSpec("flip", dnp.flip, np.flip, REDUCE_SHAPES, kwargs=[{}, {"axis": 0}, {"axis": -1}]),
        OpSpec(
            "roll",
            dnp.roll,
            np.roll,
            fixed(((3, 4),)),
            kwargs=[{"shift": 1}, {"shift": -2, "axis": 1}, {"shift": (1, 2), "axis": (0, 1)}],
        ),
        OpSpec(
            "pad",
            dnp.pad,
            np.pad,
            fixed(((3, 4),)),
            kwargs=[
                {"pad_width": 1},
                {"pad_width": ((1, 0), (2, 1)), "constant_values": 3.0},
                {"pad_width": 2, "mode": "reflect"},
                {"pad_width": ((0, 2), (1, 1)), "mode": "edge"},
                {"pad_width": 2, "mode": "wrap"},
            ],
        ),
        OpSpec(
            "diag", dnp.diag, np.diag, fixed(((3,),), ((3, 4),)), kwargs=[{}, {"k": 1}, {"k": -1}]
        ),
        OpSpec(
            "diagonal",
            dnp.diagonal,
            np.diagonal,
            fixed(((3, 4),), ((2, 3, 4),)),
            kwargs=[{}, {"offset": 1}, {"offset": -1, "axis1": 1, "axis2": 0}],
        ),
        OpSpec(
            "trace", dnp.trace, np.trace, fixed(((3, 4),), ((3, 3, 2),)), kwargs=[{}, {"offset": 1}]
        ),
        OpSpec(
            "tril",
            dnp.tril,
            np.tril,
            fixed(((3, 4),), ((2, 3, 3),)),
            kwargs=[{}, {"k": 1}, {"k": -1}],
        ),
        OpSpec(
            "triu",
            dnp.triu,
            np.triu,
            fixed(((3, 4),), ((2, 3, 3),)),
            kwargs=[{}, {"k": 1}, {"k": -1}],
        ),
        OpSpec(
            "take",
            dnp.take,
            np.take,
            fixed(((3, 4),)),
            kwargs=[{"indices": [0, 2, 2]}, {"indices": [[1, 0], [3, 3]], "axis": 1}],
        ),
        OpSpec(
            "take_along_axis",
            lambda x: dnp.take_along_axis(x, np.array([[0, 2], [1, 1], [2, 0]]), 1),
            lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1], [2, 0]]), 1),
            fixed(((3, 4),)),
        ),
        OpSpec(
            "sort",
            dnp.sort,
            np.sort,
            REDUCE_SHAPES,
            (distinct,),
            kwargs=[{}, {"axis": 0}, {"axis": None}],
        ),
        OpSpec("atleast_2d", dnp.atleast_2d, np.atleast_2d, fixed(((),), ((3,),))),
        OpSpec("atleast_3d", dnp.atleast_3d, np.atleast_3d, fixed(((),), ((3,),), ((2, 3),))),
        # indexing
        OpSpec(
            "getitem_basic",
            lambda x: x[1:, ::2, None],
            lambda x: x[1:, ::2, None],
            fixed(((3, 4),)),
        ),
        OpSpec("getitem_int", lambda x: x[1, -1], lambda x: x[1, -1], fixed(((3, 4),))),
        OpSpec(
            "getitem_advanced",
            lambda x: x[[0, 2, 2, 0]],
            lambda x: x[[0, 2, 2, 0]],
            fixed(((3, 4),)),
        ),
        OpSpec(
            "getitem_mixed",
            lambda x: x[np.array([1, 1]), 1:],
            lambda x: x[np.array([1, 1]), 1:],
            fixed(((3, 4),)),
        ),
        OpSpec(
            "getitem_mask",
            lambda x: x[np.array([True, False, True])],
            lambda x: x[np.array([True, False, True])],
            fixed(((3, 2),)),
        ),
        OpSpec(
            "at_set",
            lambda x, v: _at(x).at[1:, 0].set(v),
            lambda x, v: _np_set(x, v),
            fixed(((3, 4), (2,)), ((3, 4), ())),
        ),
        OpSpec(
            "at_add",
            lambda x, v: _at(x).at[[0, 0, 2]].add(v),
            lambda x, v: _np_add(x, v),
            fixed(((3, 4), (4,)), ((3, 4), (3, 1))),
        ),
        OpSpec(
            "at_multiply",
            lambda x, v: _at(x).at[:, 1].multiply(v),
            lambda x, v: _np_mul(x, v),
            fixed(((3, 4), (3,))),
        ),
        # products
        OpSpec(
            "matmul",
            dnp.matmul,
            np.matmul,
            fixed(
                ((3, 4), (4, 2)),
                ((2, 3, 4), (4, 5)),
                ((2, 1, 3, 4), (3, 4, 2)),
                ((4,), (4, 3)),
                ((3, 4), (4,)),
                ((4,), (4,)),
                ((2, 3, 4), (4,)),
                ((4,), (2, 4, 3)),
            ),
        ),
        OpSpec(
            "dot",
            dnp.dot,
            np.dot,
            fixed(
                ((3, 4), (4, 2)), ((4,), (4,)), ((), (3,)), ((2, 3, 4), (4, 2)), ((2, 3), (4, 3, 2))
            ),
        ),
        OpSpec("inner", dnp.inner, np.inner, fixed(((3, 4), (2, 4)), ((4,), (4,)), ((), (3,)))),
        OpSpec("outer", dnp.outer, np.outer, fixed(((3,), (4,)), ((2, 2), (3,)))),
        OpSpec(
            "tensordot",
            dnp.tensordot,
            np.tensordot,
            fixed(((2, 3, 4), (3, 4, 5))),
            kwargs=[{"axes": 2}, {"axes": ([1, 2], [0, 1])}],
        ),
        OpSpec(
            "tensordot_1",
            lambda a, b: dnp.tensordot(a, b, axes=([0], [1])),
            lambda a, b: np.tensordot(a, b, axes=([0], [1])),
            fixed(((3, 4), (2, 3))),
        ),
        OpSpec(
            "einsum_matmul",
            lambda a, b: dnp.einsum("ij,jk->ik", a, b),
            lambda a, b: np.einsum("ij,jk->ik", a, b),
            fixed(((2, 3), (3, 4))),
        ),
        OpSpec(
            "einsum_batch",
            lambda a, b: dnp.einsum("bij,bjk->bik", a, b),
            lambda a, b: np.einsum("bij,bjk->bik", a, b),
            fixed(((2, 2, 3), (2, 3, 4))),
        ),
        OpSpec(
            "einsum_implicit",
            lambda a, b: dnp.einsum("ij,kj", a, b),
            lambda a, b: np.einsum("ij,kj", a, b),
            fixed(((2, 3), (4, 3))),
        ),
        OpSpec(
            "einsum_reduce",
            lambda a: dnp.einsum("ijk->j", a),
            lambda a: np.einsum("ijk->j", a),
            fixed(((2, 3, 4),)),
        ),
        OpSpec(
            "einsum_ellipsis",
            lambda a, b: dnp.einsum("...ij,...j->...i", a, b),
            lambda a, b: np.einsum("...ij,...j->...i", a, b),
            fixed(((2, 3, 4), (2, 4)), ((3, 4), (4,))),
        ),
        OpSpec(
            "einsum_three",
            lambda a, b, c: dnp.einsum("i,ij,j->", a, b, c),
            lambda a, b, c: np.einsum("i,ij,j->", a, b, c),
            fixed(((3,), (3, 4), (4,))),
        ),
        # linear algebra
        OpSpec(
            "inv",
            dnp.linalg.inv,
            np.linalg.inv,
            fixed(((3, 3),), ((2, 3, 3),)),
            make=_well_conditioned,
        ),
        OpSpec(
            "det",
            dnp.linalg.det,
            np.linalg.det,
            fixed(((3, 3),), ((2, 3, 3),)),
            make=_well_conditioned,
        ),
        OpSpec(
            "slogdet",
            lambda a: dnp.linalg.slogdet(a)[1],
            lambda a: np.linalg.slogdet(a)[1],
            fixed(((3, 3),), ((2, 3, 3),)),
            make=_well_conditioned,
        ),
        OpSpec(  # the derivative of det, the cofactor matrix, differentiated in turn
            "det_gradient",
            _det_gradient,
            _cofactor_reference,
            fixed(((3, 3),), ((2, 3, 3),)),
            make=_well_conditioned,
        ),
        OpSpec(  # the Hessian of det applied to a direction
            "det_hessian",
            lambda a, e: dg.jvp(_det_gradient, (a,), (e,))[1],
            _det_hessian_reference,
            fixed(((3, 3), (3, 3)), ((2, 3, 3), (2, 3, 3))),
            make=_well_conditioned,
        ),
        OpSpec(
            "solve",
            dnp.linalg.solve,
            np.linalg.solve,
            fixed(((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))),
            make=_well_conditioned,
        ),
        OpSpec(
            "cholesky",
            _symmetric_cholesky,
            _np_symmetric_cholesky,
            fixed(((3, 3),), ((2, 3, 3),)),
            make=_any_square,
        ),
        OpSpec(
            "norm",
            dnp.linalg.norm,
            np.linalg.norm,
            fixed(((3, 4),)),
            (nonzero,),
            kwargs=[
                {},
                {"axis": 1},
                {"ord": 1, "axis": 0},
                {"ord": 3, "axis": -1, "keepdims": True},
                {"ord": "fro"},
                {"ord": 1},
                {"ord": np.inf},
                {"ord": -1},
                {"keepdims": True},
            ],
        ),
        OpSpec(
            "norm_vector",
            dnp.linalg.norm,
            np.linalg.norm,
            fixed(((5,),)),
            (distinct,),
            kwargs=[{}, {"ord": np.inf}, {"ord": -np.inf}, {"ord": 0.5}],
        ),
    ]
    return rows


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


_LABELS = np.array([1, 0, 1, 1, 0])  # valid for 2 or more classes


def _np_log_softmax(x, axis=-1):
    return x - _np_logsumexp(x, axis=axis, keepdims=True)


def _np_softmax(x, axis=-1):
    return np.exp(_np_log_softmax(x, axis))


def _at(x):
    import deepgrad as dg

    return x if isinstance(x, dg.Tensor) else dg.Tensor._make(x, -1)


def _np_set(x, v):
    out = x.copy()
    out[1:, 0] = v
    return out


def _np_add(x, v):
    out = x.copy()
    np.add.at(out, [0, 0, 2], v)
    return out


def _np_mul(x, v):
    out = x.copy()
    out[:, 1] *= v
    return out


OP_TABLE = _rows()

# NumPy's wider names (assembly, signals, statistics, ...) and the kinks have their rows in
# op_table_numpy.py, which imports this module's helpers: imported here, at the end.
from tests.ops.op_table_numpy import numpy_rows  # noqa: E402

OP_TABLE += numpy_rows()

# The linear-algebra decompositions (eigh, svd, qr, pinv, ...): op_table_linalg.py.
from tests.ops.op_table_linalg import linalg_rows  # noqa: E402

OP_TABLE += linalg_rows()

# The activations built from several ops (shrinks, sparse family, glu, sparsemax):
# op_table_activations.py.
from tests.ops.op_table_activations import activation_rows  # noqa: E402

OP_TABLE += activation_rows()

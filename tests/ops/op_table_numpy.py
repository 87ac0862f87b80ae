"""Rows of the op table for NumPy's wider names: elementwise extras, assembly, differences,
signals, order statistics, statistics and the NaN-ignoring reductions, plus the kinks
(zeros in prod/cumprod, repeated einsum indices).

``op_table.py`` imports ``numpy_rows`` at its end and appends them to ``OP_TABLE``; import
``OP_TABLE`` from there, not this module.
"""

from __future__ import annotations

import numpy as np

import deepgrad.numpy as dnp
from deepgrad.backend import array_module
from deepgrad.ops.sinc import _sinc_first, _sinc_second
from deepgrad.tensor import raw_data
from tests.ops.op_table import (
    ANY,
    BROADCAST2,
    REDUCE_AXES,
    REDUCE_SHAPES,
    OpSpec,
    distinct,
    fixed,
    nonzero,
    positive,
    real,
)

# ---- input makers -----------------------------------------------------------------------------


def near_zero(rng, shape):
    """Small values, some exactly 0: where sinc's quotient form would be 0/0."""
    values = rng.uniform(-0.02, 0.02, shape)
    return np.where(rng.uniform(size=shape) < 0.3, 0.0, values)


def _nan_pattern(x):
    """NaN at a fixed, sparse set of positions (never a whole row or column of a 3×4), of
    x's shape and dtype."""
    data = raw_data(x)
    size = int(np.prod(np.shape(data)))
    pattern = np.zeros(size, dtype=data.dtype)
    pattern[np.arange(size) % 5 == 2] = np.nan
    return array_module(data).asarray(pattern.reshape(np.shape(data)))  # on x's device


def _fmax_args(rng, shapes):
    """Distinct pairs (no ties), with a NaN in each argument at different places."""
    x = 0.5 * rng.integers(-4, 5, shapes[0]).astype(float)
    y = 0.5 * rng.integers(-4, 4, shapes[1]) + 0.25
    if x.size > 1:
        x.flat[0] = np.nan
    if y.size > 1:
        y.flat[-1] = np.nan
    return x, y


def _steps(x2):
    """x1 for heaviside: −1, 0, 1 in turn, a constant of x2's dtype (its jump at 0 is never
    differenced; the derivative in x2 is 1 exactly where x1 == 0)."""
    data = raw_data(x2)
    if not hasattr(data, "dtype"):
        data = np.asarray(data)
    steps = (np.arange(data.size) % 3 - 1).reshape(np.shape(data))
    return array_module(data).asarray(steps.astype(data.dtype))


def _conditions(*arrays):
    """Two fixed masks of the arrays' broadcast shape, on their device."""
    shape = np.broadcast_shapes(*(np.shape(raw_data(a)) for a in arrays))
    rng = np.random.default_rng(7)
    xp = array_module(raw_data(arrays[0]))
    return [xp.asarray(rng.uniform(size=shape) < 0.4), xp.asarray(rng.uniform(size=shape) < 0.5)]


def _interp_args(rng, shapes):
    """Knots 1 apart (jittered), fp real, x inside segments and outside, never at a knot."""
    knots = np.arange(shapes[1][0]) + rng.uniform(-0.2, 0.2, shapes[1])
    segment = rng.integers(-1, shapes[1][0], shapes[0])
    x = np.take(knots, np.clip(segment, 0, None)) + rng.uniform(0.3, 0.7, shapes[0])
    x = np.where(segment < 0, knots[0] - 1.5, x)
    return x, knots, real(rng, shapes[2])


def _quantile_q_args(rng, shapes):
    """Distinct data and quantiles whose position (n − 1)·q is never near a whole number."""
    a = distinct(rng, shapes[0])
    n = shapes[0][-1]
    q = (rng.integers(0, n - 1, shapes[1]) + rng.uniform(0.2, 0.8, shapes[1])) / (n - 1)
    return a, q


def _with_zeros(rng, shapes):
    """Non-zero values with one or two exact zeros per row: where y / x would divide by 0."""
    x = nonzero(rng, shapes[0])
    rows = x.reshape(-1, x.shape[-1])
    for row in rows:
        row[rng.integers(0, len(row))] = 0.0
        if rng.uniform() < 0.5:
            row[rng.integers(0, len(row))] = 0.0
    return (rows.reshape(x.shape),)


def _weights(rng, shapes):
    return real(rng, shapes[0]), positive(rng, shapes[1])


def _on_device(constant, x):
    """A host constant on x's device, in x's dtype."""
    data = raw_data(x)
    return array_module(data).asarray(constant.astype(data.dtype))


def _np_sinc_first(x):
    return (np.cos(np.pi * x) - np.sinc(x)) / x


def _np_sinc_second(x):
    return -(np.pi**2) * np.sinc(x) - 2 * _np_sinc_first(x) / x


_NONFINITE = np.array([0.0, np.nan, np.inf, -np.inf])
_COORDINATES = np.array([0.0, 0.4, 1.1, 1.5, 2.6, 3.0])
_FWEIGHTS = np.array([1, 2, 1, 3, 1, 2])


def _with_nans(fn, np_fn):
    """A row's pair of functions of x + NaN at fixed places (the NaNs are constants)."""
    return (
        lambda x, **kw: fn(x + _nan_pattern(x), **kw),
        lambda x, **kw: np_fn(x + _nan_pattern(x), **kw),
    )


NAN_SHAPES = fixed(((3, 4),), ((2, 3, 4),))
NAN_AXES = [{"axis": None}, {"axis": 1}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)}]


def numpy_rows() -> list[OpSpec]:
    return [
        *_elementwise_rows(),
        *_assembly_rows(),
        *_signal_rows(),
        *_statistics_rows(),
        *_kink_rows(),
    ]


def _elementwise_rows() -> list[OpSpec]:
    return [
        OpSpec("fabs", dnp.fabs, np.fabs, ANY, (nonzero,)),
        OpSpec("degrees", dnp.degrees, np.degrees, ANY),
        OpSpec("radians", dnp.radians, np.radians, ANY),
        OpSpec("real", dnp.real, np.real, ANY),
        OpSpec("imag", dnp.imag, np.imag, ANY),
        OpSpec("conj", dnp.conj, np.conj, ANY),
        OpSpec("conjugate", dnp.conjugate, np.conjugate, ANY),
        OpSpec("real_if_close", dnp.real_if_close, np.real_if_close, ANY),
        OpSpec("angle", dnp.angle, np.angle, ANY, (nonzero,)),
        OpSpec("sinc", dnp.sinc, np.sinc, ANY, order=3),
        OpSpec("sinc_near_zero", dnp.sinc, np.sinc, ANY, (near_zero,), order=3),
        OpSpec("sinc_first", _sinc_first, _np_sinc_first, ANY, (nonzero,)),
        OpSpec("sinc_second", _sinc_second, _np_sinc_second, ANY, (nonzero,)),
        OpSpec("fmax", dnp.fmax, np.fmax, BROADCAST2, make=_fmax_args),
        OpSpec("fmin", dnp.fmin, np.fmin, BROADCAST2, make=_fmax_args),
        OpSpec(
            "heaviside",
            lambda x2: dnp.heaviside(_steps(x2), x2),
            lambda x2: np.heaviside(_steps(x2), x2),
            ANY,
        ),
        OpSpec("heaviside_float", dnp.heaviside, np.heaviside, BROADCAST2, (nonzero, real)),
        OpSpec(
            "nan_to_num",
            lambda x: dnp.nan_to_num(x + _on_device(_NONFINITE, x), posinf=3.0),
            lambda x: np.nan_to_num(x + _NONFINITE, posinf=3.0),
            fixed(((4,),), ((2, 4),), ((),)),
        ),
        OpSpec(
            "select",
            lambda a, b, d: dnp.select(_conditions(a, b, d), [a, b], d),
            lambda a, b, d: np.select(_conditions(a, b, d), [a, b], d),
            fixed(((3, 4), (3, 4), ()), ((2, 3), (3,), (2, 1))),
        ),
        OpSpec(
            "piecewise",
            lambda x: dnp.piecewise(
                x, [dnp.less(x, -1), dnp.greater(x, 1)], [lambda v: v**2, lambda v: 3 * v, dnp.sin]
            ),
            lambda x: np.piecewise(x, [x < -1, x > 1], [lambda v: v**2, lambda v: 3 * v, np.sin]),
            ANY,
            (distinct,),
        ),
        OpSpec("logaddexp2_wide", dnp.logaddexp2, np.logaddexp2, BROADCAST2, (real, real)),
    ]


def _assembly_rows() -> list[OpSpec]:
    return [
        OpSpec(
            "row_stack",
            lambda a, b: dnp.row_stack([a, b]),
            lambda a, b: np.vstack([a, b]),
            fixed(((2, 3), (1, 3)), ((3,), (3,))),
        ),
        OpSpec(
            "column_stack",
            lambda a, b: dnp.column_stack([a, b]),
            lambda a, b: np.column_stack([a, b]),
            fixed(((3,), (3, 2)), ((2,), (2,))),
        ),
        OpSpec(
            "dstack",
            lambda a, b: dnp.dstack([a, b]),
            lambda a, b: np.dstack([a, b]),
            fixed(((2, 3), (2, 3)), ((3,), (3,)), ((2, 3, 1), (2, 3, 2))),
        ),
        OpSpec(
            "vsplit",
            dnp.vsplit,
            np.vsplit,
            fixed(((4, 3),), ((4, 2, 2),)),
            kwargs=[{"indices_or_sections": 2}, {"indices_or_sections": [1, 3]}],
        ),
        OpSpec(
            "hsplit",
            dnp.hsplit,
            np.hsplit,
            fixed(((3, 4),), ((6,),)),
            kwargs=[{"indices_or_sections": 2}, {"indices_or_sections": [1, 3]}],
        ),
        OpSpec(
            "dsplit",
            dnp.dsplit,
            np.dsplit,
            fixed(((2, 3, 4),)),
            kwargs=[{"indices_or_sections": 2}, {"indices_or_sections": [1, 3]}],
        ),
        OpSpec("flipud", dnp.flipud, np.flipud, fixed(((3, 4),), ((4,),))),
        OpSpec("fliplr", dnp.fliplr, np.fliplr, fixed(((3, 4),), ((2, 3, 2),))),
        OpSpec(
            "rot90",
            dnp.rot90,
            np.rot90,
            fixed(((2, 3, 4),)),
            kwargs=[{}, {"k": 2}, {"k": -1, "axes": (1, 2)}, {"k": 3, "axes": (2, 0)}],
        ),
        OpSpec(
            "rollaxis",
            dnp.rollaxis,
            np.rollaxis,
            fixed(((2, 3, 4),)),
            kwargs=[{"axis": 2}, {"axis": 0, "start": 3}, {"axis": 1, "start": -1}],
        ),
        OpSpec(
            "append",
            dnp.append,
            np.append,
            fixed(((2, 3), (1, 3))),
            kwargs=[{}, {"axis": 0}],
        ),
        OpSpec(
            "insert",
            lambda a, v: dnp.insert(a, [1, 1], v, axis=1),
            lambda a, v: np.insert(a, [1, 1], v, axis=1),
            fixed(((3, 4), (3, 2)), ((3, 4), ())),
        ),
        OpSpec(
            "insert_flat",
            lambda a, v: dnp.insert(a, 2, v),
            lambda a, v: np.insert(a, 2, v),
            fixed(((3, 4), (2,))),
        ),
        OpSpec(
            "delete",
            dnp.delete,
            np.delete,
            fixed(((3, 4),)),
            kwargs=[{"obj": [0, 2], "axis": 1}, {"obj": 1}, {"obj": slice(0, 2), "axis": 0}],
        ),
        OpSpec(
            "kron",
            dnp.kron,
            np.kron,
            fixed(((2, 3), (3, 2)), ((3,), (2, 2)), ((2, 1, 2), (3,)), ((), (2,))),
        ),
        OpSpec("cross", dnp.cross, np.cross, fixed(((4, 3), (4, 3)), ((3,), (2, 3)))),
        OpSpec(
            "cross_axes",
            dnp.cross,
            np.cross,
            fixed(((3, 4), (3, 4))),
            kwargs=[{"axisa": 0, "axisb": 0, "axisc": 1}, {"axis": 0}],
        ),
    ]


def _signal_rows() -> list[OpSpec]:
    modes = [{"mode": "full"}, {"mode": "same"}, {"mode": "valid"}]
    lengths = fixed(((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((1,), (3,)))
    return [
        OpSpec(
            "diff",
            dnp.diff,
            np.diff,
            fixed(((4, 5),), ((3, 4, 5),)),
            kwargs=[
                {},
                {"n": 2},
                {"axis": 0},
                {"n": 2, "axis": 1},
                {"prepend": 1.0, "append": 2.0},
            ],
        ),
        OpSpec("diff_1d", dnp.diff, np.diff, fixed(((6,),)), kwargs=[{}, {"n": 3}, {"n": 0}]),
        OpSpec(
            "gradient",
            dnp.gradient,
            np.gradient,
            fixed(((6,),), ((4, 5),)),
            kwargs=[{}, {"edge_order": 2}, {"axis": 0}],
        ),
        OpSpec(
            "gradient_coordinates",
            lambda f, **kw: dnp.gradient(f, _COORDINATES, **kw),
            lambda f, **kw: np.gradient(f, _COORDINATES, **kw),
            fixed(((6,),)),
            kwargs=[{}, {"edge_order": 2}],
        ),
        OpSpec("convolve", dnp.convolve, np.convolve, lengths, kwargs=modes),
        OpSpec("correlate", dnp.correlate, np.correlate, lengths, kwargs=modes),
        OpSpec(
            "interp",
            dnp.interp,
            np.interp,
            fixed(((7,), (5,), (5,)), ((3, 2), (4,), (4,))),
            kwargs=[{}, {"left": -3.0, "right": 4.0}],
            make=_interp_args,
        ),
        OpSpec(
            "polyval",
            dnp.polyval,
            np.polyval,
            fixed(((4,), (3,)), ((1,), (2, 2)), ((3,), ())),
        ),
    ]


def _statistics_rows() -> list[OpSpec]:
    rows = [
        OpSpec(
            "partition",
            dnp.partition,
            np.partition,
            fixed(((5,),), ((3, 6),)),
            (distinct,),
            kwargs=[{"kth": 2}, {"kth": [0, 2]}],
        ),
        OpSpec(
            "median",
            dnp.median,
            np.median,
            fixed(((3, 4),), ((2, 3, 5),)),
            (distinct,),
            kwargs=[{"axis": None}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)}],
        ),
        OpSpec(
            "quantile",
            dnp.quantile,
            np.quantile,
            fixed(((3, 4),), ((2, 3, 5),)),
            (distinct,),
            kwargs=[
                {"q": 0.3},
                {"q": np.array([0.1, 0.65]), "axis": 1},
                {"q": 0.5, "axis": 0, "method": "lower"},
                {"q": 0.7, "axis": -1, "method": "midpoint"},
                {"q": 0.4, "method": "nearest"},
                {"q": 0.8, "axis": 1, "method": "higher", "keepdims": True},
            ],
        ),
        OpSpec(
            "quantile_in_q",
            lambda a, q: dnp.quantile(a, q, axis=-1),
            lambda a, q: np.quantile(a, q, axis=-1),
            fixed(((3, 5), (2,)), ((6,), ())),
            make=_quantile_q_args,
        ),
        OpSpec(
            "percentile",
            dnp.percentile,
            np.percentile,
            fixed(((3, 4),)),
            (distinct,),
            kwargs=[{"q": 30.0}, {"q": np.array([10.0, 65.0]), "axis": 1}],
        ),
        OpSpec(
            "average",
            dnp.average,
            np.average,
            REDUCE_SHAPES,
            kwargs=[{}, {"axis": 1}, {"axis": 0, "keepdims": True}],
        ),
        OpSpec(
            "average_weighted",
            lambda a, w: dnp.average(a, axis=1, weights=w),
            lambda a, w: np.average(a, axis=1, weights=w),
            fixed(((3, 4), (4,))),
            make=_weights,
        ),
        OpSpec(
            "average_weighted_full",
            lambda a, w, **kw: dnp.average(a, weights=w, **kw),
            lambda a, w, **kw: np.average(a, weights=w, **kw),
            fixed(((3, 4), (3, 4))),
            kwargs=[{}, {"axis": 0}],
            make=_weights,
        ),
        OpSpec(
            "cov",
            dnp.cov,
            np.cov,
            fixed(((3, 5),), ((5,),)),
            kwargs=[{}, {"bias": True}, {"ddof": 2}, {"rowvar": False}],
        ),
        OpSpec("cov_y", dnp.cov, np.cov, fixed(((2, 5), (5,)), ((3, 4), (1, 4)))),
        OpSpec(
            "cov_weights",
            lambda m, aw: dnp.cov(m, fweights=_FWEIGHTS, aweights=aw),
            lambda m, aw: np.cov(m, fweights=_FWEIGHTS, aweights=aw),
            fixed(((3, 6), (6,))),
            make=_weights,
        ),
        OpSpec(
            "corrcoef",
            dnp.corrcoef,
            np.corrcoef,
            fixed(((3, 5),), ((2, 6),)),
            kwargs=[{}, {"rowvar": False}],
        ),
        OpSpec("ptp", dnp.ptp, np.ptp, REDUCE_SHAPES, (distinct,), kwargs=REDUCE_AXES),
    ]
    nan_functions = [
        ("nansum", dnp.nansum, np.nansum, real, NAN_AXES),
        ("nanprod", dnp.nanprod, np.nanprod, nonzero, NAN_AXES),
        ("nanmean", dnp.nanmean, np.nanmean, real, NAN_AXES),
        ("nanvar", dnp.nanvar, np.nanvar, real, [*NAN_AXES, {"axis": 1, "ddof": 1}]),
        ("nanstd", dnp.nanstd, np.nanstd, real, [*NAN_AXES, {"axis": 1, "ddof": 1}]),
        ("nanmax", dnp.nanmax, np.nanmax, distinct, NAN_AXES),
        ("nanmin", dnp.nanmin, np.nanmin, distinct, NAN_AXES),
        ("nanmedian", dnp.nanmedian, np.nanmedian, distinct, NAN_AXES),
        ("nancumsum", dnp.nancumsum, np.nancumsum, real, [{"axis": None}, {"axis": 1}]),
        ("nancumprod", dnp.nancumprod, np.nancumprod, nonzero, [{"axis": None}, {"axis": 1}]),
    ]
    for name, fn, np_fn, domain, kwargs in nan_functions:
        ours, theirs = _with_nans(fn, np_fn)
        rows.append(OpSpec(name, ours, theirs, NAN_SHAPES, (domain,), kwargs=kwargs))
    quantile_kwargs = [{"q": 0.3}, {"q": np.array([0.2, 0.7]), "axis": 1}]
    for name, fn, np_fn, scale in [
        ("nanquantile", dnp.nanquantile, np.nanquantile, 1.0),
        ("nanpercentile", dnp.nanpercentile, np.nanpercentile, 100.0),
    ]:
        ours, theirs = _with_nans(fn, np_fn)
        kwargs = [{**kw, "q": kw["q"] * scale} for kw in quantile_kwargs]
        rows.append(OpSpec(name, ours, theirs, NAN_SHAPES, (distinct,), kwargs=kwargs))
    return rows


def _kink_rows() -> list[OpSpec]:
    return [
        OpSpec(
            "prod_zeros",
            dnp.prod,
            np.prod,
            fixed(((3, 4),), ((2, 5),)),
            kwargs=[{"axis": None}, {"axis": -1}, {"axis": 0, "keepdims": True}],
            make=_with_zeros,
        ),
        OpSpec(
            "cumprod_zeros",
            dnp.cumprod,
            np.cumprod,
            fixed(((3, 4),), ((2, 5),)),
            kwargs=[{"axis": -1}, {"axis": 0}, {"axis": None}],
            make=_with_zeros,
        ),
        OpSpec(
            "einsum_diagonal",
            lambda a: dnp.einsum("ii->i", a),
            lambda a: np.einsum("ii->i", a),
            fixed(((3, 3),)),
        ),
        OpSpec(
            "einsum_trace",
            lambda a: dnp.einsum("ii", a),
            lambda a: np.einsum("ii", a),
            fixed(((4, 4),)),
        ),
        OpSpec(
            "einsum_batch_diagonal",
            lambda a, b: dnp.einsum("bii,ij->bj", a, b),
            lambda a, b: np.einsum("bii,ij->bj", a, b),
            fixed(((2, 3, 3), (3, 2))),
        ),
        OpSpec(
            "einsum_three_repeats",
            lambda a, b: dnp.einsum("iji,kk->jk", a, b),
            lambda a, b: np.einsum("iji,kk->jk", a, b),
            fixed(((3, 2, 3), (2, 2))),
        ),
    ]

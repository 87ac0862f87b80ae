"""PyTorch's version of the rows in op_table_numpy.py, for tests/ops/test_vs_torch.py.

Import it after ``tests.ops.op_table`` (which loads op_table_numpy.py in order).
"""

from __future__ import annotations

import numpy as np

from tests.ops.op_table_numpy import _FWEIGHTS, _NONFINITE, _nan_pattern


def torch_ops(T) -> dict:
    """PyTorch's version of each row above that PyTorch has, taking the row's arguments and
    keyword arguments. PyTorch's ``median`` takes the lower middle element, so medians are
    compared with ``quantile(0.5)``, NumPy's definition; heaviside has no derivative there."""

    def flat_axes(x, axis):
        """x with the reduced axes moved last and merged, as one torch dim."""
        if axis is None:
            return x.reshape(-1), 0
        if isinstance(axis, tuple):
            moved = T.movedim(x, axis, tuple(range(-len(axis), 0)))
            return moved.reshape(*moved.shape[: -len(axis)], -1), -1
        return x, axis

    def quantile(x, q, axis=None, method="linear", keepdims=False, nan=False):
        q = T.tensor(q, dtype=x.dtype)
        fn = T.nanquantile if nan else T.quantile
        if keepdims and isinstance(axis, tuple):
            raise NotImplementedError
        if axis is None and not keepdims:
            return fn(x.reshape(-1), q, interpolation=method)
        rows, dim = flat_axes(x, axis)
        return fn(rows, q, dim=dim, keepdim=keepdims, interpolation=method)

    def diff(x, n=1, axis=-1, prepend=None, append=None):
        def edge(value):
            if value is None:
                return None
            shape = list(x.shape)
            shape[axis] = 1
            return T.full(shape, value, dtype=x.dtype)

        if n == 0:
            return x
        return T.diff(x, n=n, dim=axis, prepend=edge(prepend), append=edge(append))

    def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
        if axis is not None:
            axisa = axisb = axisc = axis
        a, b = T.movedim(a, axisa, -1), T.movedim(b, axisb, -1)
        a, b = T.broadcast_tensors(a, b)
        return T.movedim(T.linalg.cross(a, b), -1, axisc)

    def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
        x = T.atleast_2d(m)
        if not rowvar and x.shape[0] != 1:
            x = x.T
        if y is not None:
            x = T.cat([x, T.atleast_2d(y)])
        correction = ddof if ddof is not None else (0 if bias else 1)
        fw = None if fweights is None else T.tensor(fweights)
        c = T.cov(x, correction=correction, fweights=fw, aweights=aweights)
        return c.squeeze()

    def with_nans(fn):
        return lambda x, **kw: fn(x + T.tensor(_nan_pattern(x.detach().numpy())), **kw)

    def nan_reduce(fn):
        def reduce(x, axis=None, keepdims=False):
            if axis is None:
                return fn(x)
            return fn(x, dim=axis, keepdim=keepdims)

        return with_nans(reduce)

    return {
        "fabs": T.abs,
        "degrees": T.rad2deg,
        "radians": T.deg2rad,
        "real": T.real,
        "angle": T.angle,
        "sinc": T.sinc,
        "fmax": T.fmax,
        "fmin": T.fmin,
        "nan_to_num": lambda x: T.nan_to_num(x + T.tensor(_NONFINITE), posinf=3.0),
        "logaddexp2_wide": T.logaddexp2,
        "row_stack": lambda a, b: T.vstack([a, b]),
        "column_stack": lambda a, b: T.column_stack([a, b]),
        "dstack": lambda a, b: T.dstack([a, b]),
        "flipud": T.flipud,
        "fliplr": T.fliplr,
        "rot90": lambda x, k=1, axes=(0, 1): T.rot90(x, k, list(axes)),
        "kron": T.kron,
        "cross": cross,
        "cross_axes": cross,
        "diff": diff,
        "diff_1d": diff,
        "median": lambda x, axis=None, keepdims=False: quantile(x, 0.5, axis, keepdims=keepdims),
        "quantile": quantile,
        "percentile": lambda x, q, axis=None: quantile(x, np.asarray(q) / 100, axis),
        "nanmedian": with_nans(
            lambda x, axis=None, keepdims=False: quantile(x, 0.5, axis, keepdims=keepdims, nan=True)
        ),
        "nanquantile": with_nans(lambda x, q, axis=None: quantile(x, q, axis, nan=True)),
        "nansum": nan_reduce(T.nansum),
        "nanmean": nan_reduce(T.nanmean),
        "cov": cov,
        "cov_y": cov,
        "cov_weights": lambda m, aw: cov(m, fweights=_FWEIGHTS, aweights=aw),
        "corrcoef": lambda x, rowvar=True: T.corrcoef(x if rowvar else x.T),
        "prod_zeros": lambda x, axis=None, keepdims=False: (
            T.prod(x) if axis is None else T.prod(x, dim=axis, keepdim=keepdims)
        ),
        "cumprod_zeros": lambda x, axis: (
            T.cumprod(x.reshape(-1), 0) if axis is None else T.cumprod(x, axis)
        ),
        "einsum_diagonal": lambda a: T.einsum("ii->i", a),
        "einsum_trace": lambda a: T.einsum("ii", a),
        "einsum_batch_diagonal": lambda a, b: T.einsum("bii,ij->bj", a, b),
        "einsum_three_repeats": lambda a, b: T.einsum("iji,kk->jk", a, b),
    }

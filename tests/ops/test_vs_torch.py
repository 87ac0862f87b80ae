"""Forward values and gradients against PyTorch (CPU), for the ops PyTorch also has.
Skipped, not failed, when torch is not installed."""

import itertools

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
import deepgrad.special as dsp
from tests.ops.op_table import OP_TABLE
from tests.ops.op_table_linalg import torch_ops as linalg_torch_ops
from tests.ops.op_table_numpy_torch import torch_ops as numpy_torch_ops

torch = pytest.importorskip("torch")

T = torch
TORCH_OPS = {
    "negative": T.neg,
    "exp": T.exp,
    "exp2": T.exp2,
    "expm1": T.expm1,
    "log": T.log,
    "log2": T.log2,
    "log10": T.log10,
    "log1p": T.log1p,
    "sqrt": T.sqrt,
    "square": T.square,
    "reciprocal": T.reciprocal,
    "sin": T.sin,
    "cos": T.cos,
    "tan": T.tan,
    "arcsin": T.asin,
    "arccos": T.acos,
    "arctan": T.atan,
    "sinh": T.sinh,
    "cosh": T.cosh,
    "tanh": T.tanh,
    "arcsinh": T.asinh,
    "arccosh": T.acosh,
    "arctanh": T.atanh,
    "absolute": T.abs,
    "deg2rad": T.deg2rad,
    "rad2deg": T.rad2deg,
    "erf": T.erf,
    "expit": T.sigmoid,
    "logit": T.logit,
    "add": T.add,
    "subtract": T.sub,
    "multiply": T.mul,
    "divide": T.div,
    "power": T.pow,
    "arctan2": T.atan2,
    "hypot": T.hypot,
    "logaddexp": T.logaddexp,
    "logaddexp2": T.logaddexp2,
    "maximum": T.maximum,
    "minimum": T.minimum,
    "mod": T.remainder,
    "fmod": T.fmod,
    "where": lambda c, x, y: T.where(c, x, y),
    "clip": lambda x: T.clamp(x, -1, 1),
    "clip_traced_bounds": T.clamp,
    "matmul": T.matmul,
    "outer": lambda a, b: T.outer(a.reshape(-1), b.reshape(-1)),
    "inv": T.linalg.inv,
    "det": T.linalg.det,
    "slogdet": lambda a: T.linalg.slogdet(a)[1],
    "solve": T.linalg.solve,
    "cholesky": lambda a: T.linalg.cholesky(a @ a.mT + T.eye(a.shape[-1], dtype=a.dtype)),
    "einsum_matmul": lambda a, b: T.einsum("ij,jk->ik", a, b),
    "einsum_batch": lambda a, b: T.einsum("bij,bjk->bik", a, b),
    "einsum_ellipsis": lambda a, b: T.einsum("...ij,...j->...i", a, b),
    "einsum_three": lambda a, b, c: T.einsum("i,ij,j->", a, b, c),
}

TORCH_OPS.update(numpy_torch_ops(T))  # NumPy's wider names, rows in op_table_numpy.py
TORCH_OPS.update(linalg_torch_ops(T))  # the decompositions, rows in op_table_linalg.py

REDUCTIONS = {  # name: (torch fn, how deepgrad's kwargs map onto torch's)
    "sum": lambda x, axis=None, keepdims=False: (
        T.sum(x, dim=axis, keepdim=keepdims) if axis is not None else T.sum(x)
    ),
    "mean": lambda x, axis=None, keepdims=False: (
        T.mean(x, dim=axis, keepdim=keepdims) if axis is not None else T.mean(x)
    ),
    "max": lambda x, axis=None, keepdims=False: T.amax(
        x, dim=axis if axis is not None else tuple(range(x.ndim)), keepdim=keepdims
    ),
    "min": lambda x, axis=None, keepdims=False: T.amin(
        x, dim=axis if axis is not None else tuple(range(x.ndim)), keepdim=keepdims
    ),
    "logsumexp": lambda x, axis=None, keepdims=False: T.logsumexp(
        x, dim=axis if axis is not None else tuple(range(x.ndim)), keepdim=keepdims
    ),
    "softmax": lambda x, axis=-1: T.softmax(x, dim=axis),
    "log_softmax": lambda x, axis=-1: T.log_softmax(x, dim=axis),
    "cumsum": lambda x, axis=None: T.cumsum(
        x.reshape(-1) if axis is None else x, dim=0 if axis is None else axis
    ),
}

ROWS = [s for s in OP_TABLE if s.name in TORCH_OPS or s.name in REDUCTIONS]


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.name)
def test_matches_torch(spec):
    rng = np.random.default_rng(1)
    for shapes, kwargs in itertools.product(spec.shapes.examples, spec.kwargs):
        args = spec.arguments(rng, shapes)
        torch_args = [
            T.tensor(np.asarray(a), requires_grad=np.asarray(a).dtype == np.float64) for a in args
        ]
        torch_fn = TORCH_OPS.get(spec.name) or REDUCTIONS[spec.name]
        expected = torch_fn(*torch_args, **kwargs)
        weights = rng.standard_normal(tuple(expected.shape))
        (expected * T.tensor(weights)).sum().backward()

        tensors = [dg.tensor(a, requires_grad=np.asarray(a).dtype == np.float64) for a in args]
        actual = spec.fn(*tensors, **kwargs)
        np.testing.assert_allclose(
            actual.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12
        )
        (actual * weights).sum().backward()
        for t, ta in zip(tensors, torch_args, strict=True):
            if t.requires_grad:
                np.testing.assert_allclose(t.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_kinks_match_torch():
    """Derivatives at the points where the finite-difference checks cannot go."""
    x = np.array([0.0, 1.0, -1.0, 2.0])
    cases = [
        (dnp.absolute, T.abs),
        (lambda v: dnp.clip(v, -1, 1), lambda v: T.clamp(v, -1, 1)),
        (lambda v: dnp.maximum(v, 1.0), lambda v: T.maximum(v, T.tensor(1.0, dtype=v.dtype))),
        (dsp.expit, T.sigmoid),
        (lambda v: dnp.max(v * 0 + 1), lambda v: T.amax(v * 0 + 1)),
    ]
    for ours, theirs in cases:
        t = T.tensor(x, requires_grad=True)
        theirs(t).sum().backward()
        np.testing.assert_allclose(dg.grad(lambda v, f=ours: dnp.sum(f(v)))(x), t.grad.numpy())

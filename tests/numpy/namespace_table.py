"""Sample calls for every public function of deepgrad.numpy, .linalg, .random and
deepgrad.special, for ``test_namespace_traced.py``.

Each entry is a list of calls; in a call, ``F(shape, domain)`` marks a floating-point
array argument (positional or keyword), which the test traces in turn, one position at a
time, while the others keep their sample values. ``F(..., make=g)`` hands the function
``g(x)`` of the traced ``x`` instead (a symmetric matrix, a positive definite one).

To add a function: add its sample call here (its float-array arguments as ``F``), or name
it in ``NO_FLOAT_ARGUMENT`` or ``NOT_DIFFERENTIABLE`` with the reason. A public name in
none of the three fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import deepgrad.numpy as dnp
from tests.ops.op_table import above_one, nonzero, probability, real, unit


def positive(rng, shape):
    """Further from 0 than the op table's (0.3, not 0.2): log, 1/x and power's base."""
    return rng.uniform(0.3, 2, shape)


def half_integers(rng, shape):
    """Away from the jumps of floor, round, mod (k + 0.3 … k + 0.7, never ties)."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.3, 0.45, shape)


def spread(rng, shape):
    """Distinct values, no two within 0.1 (sort, max, median, partition: no ties)."""
    size = int(np.prod(shape))
    values = np.arange(size) * 0.37 - 0.9 + rng.uniform(0, 0.05, size)
    return rng.permutation(values).reshape(shape)


@dataclass(frozen=True)
class F:
    """A floating-point array argument: its shape, the domain its values come from, and an
    optional differentiable map applied to it before the call."""

    shape: tuple = (2, 3)
    domain: Callable = real
    make: Callable | None = None


def call(*args: Any, **kwargs: Any) -> tuple:
    return (args, kwargs)


def _spd(a):
    return a @ dnp.swapaxes(a, -1, -2) + 3.0 * np.eye(a.shape[-1])


def _symmetric(a):
    return a + dnp.swapaxes(a, -1, -2) + np.diag(np.arange(a.shape[-1]) * 3.0)


SQUARE = F((3, 3), real)
SPD = F((3, 3), real, _spd)
SYMMETRIC = F((3, 3), real, _symmetric)
WELL_CONDITIONED = F((3, 3), real, lambda a: a + 4.0 * np.eye(3))

CASES: dict[str, list[tuple]] = {}


def _each(names: str, *calls: tuple) -> None:
    for name in names.split():
        CASES[name] = list(calls)


# ---- deepgrad.numpy: elementwise ------------------------------------------------------------

_each(
    "negative exp exp2 expm1 sin cos arctan sinh cosh tanh arcsinh square deg2rad rad2deg "
    "degrees radians erf expit sinc nan_to_num real conj conjugate imag real_if_close copy",
    call(F()),
)
_each("cbrt absolute abs fabs angle", call(F((2, 3), nonzero)))
_each("sign floor ceil trunc rint round around", call(F((2, 3), half_integers)))
_each("log log2 log10 log1p sqrt reciprocal", call(F((2, 3), positive)))
_each("arcsin arccos arctanh tan", call(F((2, 3), unit)))
_each("arccosh", call(F((2, 3), above_one)))
_each("logit", call(F((2, 3), probability)))
_each(
    "add subtract multiply maximum minimum fmax fmin hypot arctan2 logaddexp logaddexp2",
    call(F((2, 3), spread), F((3,), real)),
)
_each("divide true_divide", call(F(), F((3,), nonzero)))
_each("power pow", call(F((2, 3), positive), F((3,), real)))
_each("mod remainder fmod floor_divide", call(F((2, 3), half_integers), 1.0))
_each("heaviside", call(F((2, 3), nonzero), F((3,), real)))
_each(
    "clip",
    call(
        F((2, 3), spread),
        F((), lambda r, s: r.uniform(-0.95, -0.85, s)),
        F((3,), lambda r, s: r.uniform(0.2, 0.3, s)),
    ),
)

# ---- reductions and statistics --------------------------------------------------------------

_each(
    "sum mean prod std var max min amax amin ptp median logsumexp cumsum cumprod "
    "nansum nanmean nanprod nanstd nanvar nanmax nanmin nanmedian nancumsum nancumprod",
    call(F((2, 3), spread)),
    call(F((2, 3), spread), axis=1),
)
_each("softmax log_softmax", call(F(), axis=-1))
_each(
    "percentile nanpercentile",
    call(F((2, 5), spread), F((), lambda r, s: r.uniform(20, 40, s)), axis=1),
)
_each("quantile nanquantile", call(F((2, 5), spread), F((2,), probability), axis=1))
_each("average", call(F((2, 3)), axis=1, weights=F((3,), positive)))
_each("cov", call(F((2, 5)), F((5,))), call(F((2, 5)), aweights=F((5,), positive)))
_each("corrcoef", call(F((2, 5)), F((5,))))
_each("diff", call(F((2, 4)), axis=1), call(F((4,)), prepend=F((1,)), append=F((2,))))
_each("gradient", call(F((5,))), call(F((5,)), F((), positive)))
_each("sort", call(F((2, 4), spread), axis=1))
_each("partition", call(F((5,), spread), 2))

# ---- shapes and assembly --------------------------------------------------------------------

_each(
    "ravel atleast_1d atleast_2d atleast_3d transpose permute_dims squeeze flip flipud "
    "asarray asanyarray ascontiguousarray array",
    call(F((2, 1, 3))),
)
_each("fliplr rot90 trace diagonal tril triu", call(F((3, 3))))
_each("diag", call(F((3,))))
_each("reshape", call(F(), (3, 2)))
_each("astype", call(F(), np.float64))  # float32: too coarse for central differences
_each("broadcast_to", call(F((3,)), (2, 3)))
_each("expand_dims", call(F(), 1))
_each("moveaxis", call(F((2, 3, 1)), 0, -1))
_each("rollaxis", call(F((2, 3, 1)), 2))
_each("swapaxes", call(F(), 0, 1))
_each("roll", call(F(), 1, axis=1))
_each("tile", call(F(), (2, 1)))
_each("repeat", call(F(), 2, axis=0))
_each("pad", call(F(), ((1, 0), (0, 2)), constant_values=F(())))
_each("split array_split", call(F((4, 2)), 2))
_each("hsplit", call(F((2, 4)), 2))
_each("vsplit", call(F((4, 2)), 2))
_each("dsplit", call(F((2, 2, 4)), 2))
_each(
    "concatenate concat stack hstack vstack row_stack column_stack dstack",
    call([F((2, 3)), F((2, 3))]),
)
_each("append", call(F((3,)), F((2,))))
_each("insert", call(F((3,)), 1, F(())))
_each("delete", call(F((4,)), 1))
_each("take", call(F((5,)), np.array([0, 3, 3])))
_each("take_along_axis", call(F((2, 3)), np.array([[0, 2], [1, 1]]), axis=1))
_each("where", call(np.array([True, False, True]), F((2, 3)), F((3,))))
_each(
    "select",
    call(
        [np.array([True, False, False]), np.array([False, True, False])],
        [F((3,)), F((3,))],
        F(()),
    ),
)
_each(
    "piecewise",
    call(F((4,)), [np.array([True, False, True, False])], [lambda x: 2 * x, lambda x: x * x]),
)

# ---- products, signals, polynomials ---------------------------------------------------------

_each("dot matmul", call(F((2, 3)), F((3, 2))))
_each("inner", call(F((2, 3)), F((4, 3))))
_each("outer kron", call(F((2,)), F((3,))))
_each("tensordot", call(F((2, 3)), F((3, 2)), axes=1))
_each("einsum", call("ij,jk->ik", F((2, 3)), F((3, 2))), call("ii->i", F((3, 3))))
_each("cross", call(F((2, 3)), F((3,))))
_each("convolve correlate", call(F((5,)), F((3,))))
_each("polyval", call(F((3,)), F((4,))))
_each(
    "interp",
    call(
        F((4,), lambda r, s: r.uniform(0.1, 2.9, s)),
        F((4,), lambda r, s: np.arange(4.0) + r.uniform(-0.05, 0.05, s)),
        F((4,)),
    ),
    call(np.array([-1.0, 0.5, 4.0]), np.arange(4.0), F((4,)), left=F(()), right=F(())),
)

# ---- constructors ---------------------------------------------------------------------------

_each("linspace", call(F(()), F((2,)), 5), call(F((2,)), 3.0, 4, endpoint=False, axis=1))
_each("logspace", call(F(()), F((2,)), 4, base=F((), positive)))
_each("geomspace", call(F((), positive), F((2,), positive), 4))
_each("full", call((2, 3), F((3,))))
_each("full_like", call(F(), F(())))  # a: a constant result
_each("zeros_like ones_like empty_like", call(F()))
_each("meshgrid", call(F((2,)), F((3,))))
_each("arange", call(F(()), F((), above_one), F((), positive)))

# ---- deepgrad.numpy.linalg ------------------------------------------------------------------

_each("linalg.cholesky", call(SPD))
_each("linalg.det linalg.slogdet linalg.inv", call(WELL_CONDITIONED))
_each("linalg.solve", call(WELL_CONDITIONED, F((3, 2))))
_each("linalg.matmul", call(F((2, 3)), F((3, 2))))
_each("linalg.norm", call(F()), call(F(), ord=1, axis=1), call(F((3, 3)), ord="fro"))
_each("linalg.eigh", call(SYMMETRIC))
_each("linalg.eigvalsh", call(SYMMETRIC))
_each("linalg.eigvals", call(SYMMETRIC))
_each("linalg.eig", call(SYMMETRIC))
_each("linalg.svd", call(F((3, 2)), full_matrices=False))
_each("linalg.svdvals", call(F((3, 2))))
_each("linalg.pinv", call(F((3, 2))))
_each("linalg.qr", call(F((3, 2))))
_each("linalg.lstsq", call(F((4, 2)), F((4,))))
_each("linalg.matrix_power", call(F((3, 3)), 3))
_each("linalg.expm", call(F((3, 3), lambda r, s: r.uniform(-0.5, 0.5, s))))

# ---- deepgrad.numpy.random ------------------------------------------------------------------

_each("random.normal", call(F(()), F((), positive), size=(3,), dtype=np.float64))
_each(
    "random.uniform",
    call(F(()), F((), lambda r, s: r.uniform(2.5, 3, s)), size=(3,), dtype=np.float64),
)
_each(
    "random.choice",
    call(F((4,)), size=3),
    call(4, size=3, p=F((4,), positive, lambda p: p / dnp.sum(p))),
)
_each(
    "random.truncated_normal",
    call((3,), mean=F(()), stddev=F((), positive), dtype=np.float64, seed=1),
)
_each("random.dropout", call(F((4,)), 0.5, seed=1))
_each("random.gamma", call(F((), positive), 2.0, size=(3,)))
_each("random.beta", call(F((), positive), F((), positive), size=(3,)))
_each("random.binomial", call(5, F((), probability), size=(3,)))
_each("random.categorical", call(F((2, 3)), 4, seed=1))
_each("random.permutation", call(F((4,))))
_each("random.shuffle", call(F((4,))))

# ---- deepgrad.special -----------------------------------------------------------------------

_each("special.erf special.expit special.relu", call(F((2, 3), nonzero)))
_each("special.logit", call(F((2, 3), probability)))
_each("special.softmax special.log_softmax special.logsumexp", call(F(), axis=-1))
_each("special.sparse_softmax_cross_entropy", call(F((2, 3)), np.array([0, 2])))

# ---- the rest -------------------------------------------------------------------------------

NO_FLOAT_ARGUMENT = {
    # built from shapes or integers alone: nothing to trace
    **dict.fromkeys("zeros ones empty eye identity tri".split(), "takes shapes only"),
    **dict.fromkeys(
        "random.seed random.get_state random.set_state random.default_rng "
        "random.device_generator random.standard_normal random.randn random.rand "
        "random.randint random.using random.as_process random.current_process".split(),
        "takes shapes, integers or a state, no float array",
    ),
}

NOT_DIFFERENTIABLE = {
    **dict.fromkeys(
        "equal not_equal less less_equal greater greater_equal logical_and logical_or "
        "logical_not logical_xor isfinite isnan isinf isclose allclose array_equal all any".split(),
        "returns booleans",
    ),
    **dict.fromkeys(
        "argmax argmin argsort argwhere nonzero count_nonzero searchsorted".split(),
        "returns integer indices or counts",
    ),
    **dict.fromkeys("shape ndim size".split(), "returns the shape, an integer property"),
}
for _name in NOT_DIFFERENTIABLE:
    CASES.setdefault(_name, [call(F((2, 3), spread), F((3,), spread))])
for _name in (
    "logical_not isfinite isnan isinf all any argmax argmin argsort argwhere "
    "nonzero count_nonzero shape ndim size"
).split():
    CASES[_name] = [call(F((2, 3), spread))]
CASES["searchsorted"] = [call(F((4,), lambda r, s: np.sort(spread(r, s))), F((2,), spread))]

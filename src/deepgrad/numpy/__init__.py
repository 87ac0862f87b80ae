"""``deepgrad.numpy``: NumPy's names and signatures, differentiable.

Called on plain arrays or numbers, every function returns what NumPy returns; called
with Tensors it records the op so it can be differentiated.

>>> import deepgrad.numpy as dnp
>>> float(dnp.tanh(0.0))
0.0
"""

import sys as _sys

import numpy as _np

from deepgrad.numpy import dispatch as _dispatch
from deepgrad.numpy import linalg, random
from deepgrad.numpy import methods as _methods
from deepgrad.ops.activations_math import expit, log_softmax, logit, softmax
from deepgrad.ops.assembly import (
    append,
    column_stack,
    delete,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    insert,
    rollaxis,
    rot90,
    row_stack,
    vsplit,
)
from deepgrad.ops.differences import diff, gradient
from deepgrad.ops.elementwise import (
    absolute,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    cbrt,
    cos,
    cosh,
    deg2rad,
    divide,
    erf,
    exp,
    exp2,
    expm1,
    fmod,
    hypot,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    power,
    rad2deg,
    reciprocal,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
)
from deepgrad.ops.elementwise import deg2rad as radians
from deepgrad.ops.elementwise import rad2deg as degrees
from deepgrad.ops.indexing import (
    diag,
    diagonal,
    ones_like,
    sort,
    take,
    take_along_axis,
    trace,
    tril,
    triu,
    zeros_like,
)
from deepgrad.ops.linalg import dot, einsum, inner, matmul, outer, tensordot
from deepgrad.ops.nan_reductions import (
    nancumprod,
    nancumsum,
    nanmax,
    nanmean,
    nanmin,
    nanprod,
    nanstd,
    nansum,
    nanvar,
)
from deepgrad.ops.nondiff import (
    all,
    allclose,
    any,
    argmax,
    argmin,
    argsort,
    argwhere,
    around,
    array_equal,
    ceil,
    count_nonzero,
    equal,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isclose,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    ndim,
    nonzero,
    not_equal,
    rint,
    round,
    searchsorted,
    shape,
    sign,
    size,
    trunc,
)
from deepgrad.ops.order_statistics import (
    median,
    nanmedian,
    nanpercentile,
    nanquantile,
    partition,
    percentile,
    quantile,
)
from deepgrad.ops.piecewise import fmax, fmin, heaviside, nan_to_num, piecewise, select
from deepgrad.ops.real_parts import angle, conj, conjugate, fabs, imag, real, real_if_close
from deepgrad.ops.reductions import (
    amax,
    amin,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from deepgrad.ops.selection import clip, where
from deepgrad.ops.shape import (
    array_split,
    astype,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    hstack,
    moveaxis,
    pad,
    ravel,
    repeat,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    vstack,
)
from deepgrad.ops.signal import convolve, correlate, interp, polyval
from deepgrad.ops.sinc import sinc
from deepgrad.ops.statistics import average, corrcoef, cov, ptp
from deepgrad.ops.vector_products import cross, kron

abs = absolute
true_divide = divide
remainder = mod
pow = power
concat = concatenate
permute_dims = transpose

# Constants and dtypes are NumPy's own.
pi, e, inf, nan, newaxis, euler_gamma = (
    _np.pi,
    _np.e,
    _np.inf,
    _np.nan,
    _np.newaxis,
    _np.euler_gamma,
)
float16, float32, float64, int32, int64, bool_ = (
    _np.float16,
    _np.float32,
    _np.float64,
    _np.int32,
    _np.int64,
    _np.bool_,
)
ndarray = _np.ndarray

# Array creation. From data or a fill value: deepgrad's, which record Tensors inside
# (ops/creation.py, spacing.py, index_tricks.py). From a shape alone: NumPy's own, since
# the result depends on no value (a constant is its exact derivative).
from deepgrad.ops.creation import (  # noqa: E402
    arange,
    array,
    asanyarray,
    asarray,
    ascontiguousarray,
    copy,
    empty_like,
    full,
    full_like,
)
from deepgrad.ops.index_tricks import c_, mgrid, ogrid, r_  # noqa: E402
from deepgrad.ops.spacing import geomspace, linspace, logspace, meshgrid  # noqa: E402

zeros, ones, empty, eye, identity, tri = (
    _np.zeros,
    _np.ones,
    _np.empty,
    _np.eye,
    _np.identity,
    _np.tri,
)

_methods.install(_sys.modules[__name__])  # Tensor's operators call the functions above
_dispatch.install(_sys.modules[__name__])  # and NumPy's own functions on Tensors too

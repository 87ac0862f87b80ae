"""The matrix exponential exp(A) (SciPy's ``linalg.expm``, PyTorch's ``matrix_exp``),
differentiable to any order, without SciPy.

Forward: scaling and squaring with the [13/13] Padé approximant (Higham, "The scaling and
squaring method for the matrix exponential revisited", 2005), batched over leading axes.

Derivative: the Fréchet derivative L(A, E) is the upper-right block of the exponential of
a block matrix (Mathias 1996; Najfeld & Havel 1995):

    exp([[A, E], [0, A]]) = [[exp(A), L(A, E)], [0, exp(A)]],

so the forward rule is L(A, Ȧ) and, as L(A, ·)'s adjoint is L(Aᵀ, ·), the reverse rule
is L(Aᵀ, Ḡ). Both call ``expm`` again, so every order has a rule (each doubles the size).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.backend import array_module, to_numpy
from deepgrad.ops.indexing import getitem
from deepgrad.ops.shape import broadcast_to, concatenate
from deepgrad.ops.spectral_tools import mT, shape_of, square_check, traceable
from deepgrad.tensor import Tensor, raw_data

# Higham (2005), table 2.3: the 1-norm below which the [13/13] approximant is accurate in
# double precision without scaling, and the approximant's coefficients.
_THETA_13 = 5.371920351148152
_PADE_13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip


def _expm_impl(a):
    xp = array_module(a)
    n = a.shape[-1]
    norm = float(to_numpy(xp.max(xp.sum(xp.abs(a), axis=-2)))) if a.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm / _THETA_13)))) if norm > 0 else 0
    a = a / 2.0**squarings
    b = _PADE_13
    eye = xp.eye(n, dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * eye)  # fmt: skip
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    result = xp.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        result = result @ result
    return result


def _frechet(a: Any, e: Any) -> Any:
    """L(A, E): the upper-right block of exp([[A, E], [0, A]])."""
    n = shape_of(a)[-1]
    batch = np.broadcast_shapes(shape_of(a)[:-2], shape_of(e)[:-2])
    a = broadcast_to(a, (*batch, n, n))
    e = broadcast_to(e, (*batch, n, n))
    zeros = array_module(raw_data(a)).zeros((*batch, n, n), dtype=raw_data(a).dtype)
    zeros = Tensor._make(zeros, -1) if isinstance(a, Tensor) else zeros
    top = concatenate([a, e], axis=-1)
    bottom = concatenate([zeros, a], axis=-1)
    block = _expm(concatenate([top, bottom], axis=-2))
    return getitem(block, index=(Ellipsis, slice(0, n), slice(n, 2 * n)))


_expm = Primitive(_expm_impl, "expm")
_expm.defvjp(traceable(lambda g, ans, a: _frechet(mT(a), g)))
_expm.defjvp(traceable(lambda t, ans, a: _frechet(a, t)))


def expm(a: Any) -> Any:
    """The matrix exponential exp(A) = Σ Aᵏ / k! of square matrices (batched).

    Not a NumPy function (SciPy's ``scipy.linalg.expm``); needs only NumPy here.

    >>> import numpy as np
    >>> expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
    array([[1., 1.],
           [0., 1.]])
    """
    square_check("expm", a)
    return _expm(a)

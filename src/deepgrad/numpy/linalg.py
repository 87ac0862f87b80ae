"""``deepgrad.numpy.linalg``: NumPy's linear algebra, differentiable.

Decompositions (eigh, eigvalsh, eig, svd, qr), the pseudo-inverse and least squares
have forward- and reverse-mode rules written with deepgrad ops, so they differentiate
again; all are batched over leading axes like NumPy (lstsq takes one matrix, as NumPy's
does). Real inputs only. See ``docs/linalg.md`` for degenerate spectra. ``expm`` (SciPy's
name) is the one function NumPy does not have; it needs no SciPy.
"""

from typing import Any

from deepgrad.ops.eigen import eig, eigh, eigvalsh
from deepgrad.ops.expm import expm
from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import cholesky, det, inv, slogdet, solve
from deepgrad.ops.matrix_functions import matrix_power, norm
from deepgrad.ops.pinv import lstsq, pinv
from deepgrad.ops.qr import qr
from deepgrad.ops.svd import svd, svdvals


def eigvals(a: Any) -> Any:
    """Eigenvalues of a real matrix with a real spectrum (``eig(a)[0]``).

    >>> import numpy as np
    >>> sorted(eigvals(np.array([[2.0, 0.0], [1.0, 3.0]])).tolist())
    [2.0, 3.0]
    """
    return eig(a)[0]


__all__ = [
    "cholesky",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "expm",
    "inv",
    "lstsq",
    "matmul",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
]

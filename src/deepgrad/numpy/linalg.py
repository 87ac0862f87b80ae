"""``deepgrad.numpy.linalg``: NumPy's linear algebra, differentiable."""

from deepgrad.ops.linalg import matmul
from deepgrad.ops.matrix import cholesky, det, inv, norm, slogdet, solve

__all__ = ["cholesky", "det", "inv", "matmul", "norm", "slogdet", "solve"]

"""``deepgrad.special``: scipy.special's names for the functions nets need, differentiable.

>>> import deepgrad.special as sp
>>> round(float(sp.erf(1.0)), 6)
0.842701
"""

from deepgrad.ops.activations_math import (
    expit,
    log_softmax,
    logit,
    relu,
    softmax,
    sparse_softmax_cross_entropy,
)
from deepgrad.ops.elementwise import erf
from deepgrad.ops.reductions import logsumexp

__all__ = [
    "erf",
    "expit",
    "log_softmax",
    "logit",
    "logsumexp",
    "relu",
    "softmax",
    "sparse_softmax_cross_entropy",
]

"""Special functions used by nets: expit (logistic sigmoid), logit, softmax, log-softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.ops.elementwise import absolute, exp, log, log1p
from deepgrad.ops.reductions import logsumexp
from deepgrad.ops.selection import where
from deepgrad.tensor import raw_data


def expit(x: Any) -> Any:
    """The logistic sigmoid 1 / (1 + e^(−x)), finite with finite gradients for any x.

    Written with e^(−|x|), which never overflows, so neither branch of the ``where``
    can produce Inf (and poison the gradient).

    >>> expit(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    z = exp(-absolute(x))
    return where(raw_data(x) >= 0, 1 / (1 + z), z / (1 + z))


def logit(p: Any) -> Any:
    """log(p / (1 − p)), the inverse of ``expit``."""
    return log(p) - log1p(-p)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x − logsumexp(x) along ``axis``: log-probabilities, stable for any logits."""
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(x) / Σ exp(x) along ``axis``, computed as exp(log_softmax(x)).

    >>> softmax(np.array([0.0, 0.0]))
    array([0.5, 0.5])
    """
    return exp(log_softmax(x, axis=axis))

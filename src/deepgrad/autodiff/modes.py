"""Switches for the tape: ``no_grad``, ``enable_grad`` and ``detect_anomaly``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from deepgrad.autodiff.primitive import STATE
from deepgrad.tensor import ENGINE


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Stop recording ops on the tape (level 0): results of requires_grad tensors are constants.

    Transforms such as ``grad`` are not affected; use ``stop_gradient`` inside them.

    >>> import deepgrad as dg
    >>> x = dg.tensor([1.0], requires_grad=True)
    >>> with dg.no_grad():
    ...     (x * 2).requires_grad
    False
    """
    previous = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record ops on the tape again, e.g. inside a ``no_grad`` block."""
    previous = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad``."""
    return STATE.grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op that makes NaN or Inf, forward or backward.

    The message names the op and the line of your code that called it. It slows every
    op down, so use it to find a problem, not to train.

    >>> import numpy as np, deepgrad as dg, deepgrad.numpy as dnp
    >>> with dg.detect_anomaly(), np.errstate(invalid="ignore"):
    ...     dnp.log(dg.tensor([-1.0]))
    Traceback (most recent call last):
    ...
    deepgrad.autodiff.anomaly.AnomalyError: log produced NaN or Inf in the forward pass ...
    """
    previous = STATE.anomaly
    STATE.anomaly = True
    try:
        yield
    finally:
        STATE.anomaly = previous


ENGINE.grad_enabled = is_grad_enabled  # Tensor's in-place operators ask it

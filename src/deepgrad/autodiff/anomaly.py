"""Anomaly mode's checks: the first op whose result holds NaN or Inf, and the user's line
that called it (see ``deepgrad.detect_anomaly``)."""

from __future__ import annotations

import linecache
import sys
from typing import Any

from deepgrad.backend import array_module
from deepgrad.tensor import raw_data


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode at the first op whose result holds NaN or Inf."""


def check_finite(value: Any, op_name: str, where: str, origin: str | None = None) -> None:
    """Raise AnomalyError if ``value`` holds NaN or Inf, naming the op and the user's line.

    >>> import numpy as np
    >>> check_finite(np.array([1.0, np.inf]), "exp", "forward", origin="here")
    Traceback (most recent call last):
    ...
    deepgrad.autodiff.anomaly.AnomalyError: exp produced NaN or Inf in the forward pass ...
    """
    data = raw_data(value)
    dtype = getattr(data, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return
    xp = array_module(data)
    if bool(xp.all(xp.isfinite(data))):
        return
    origin = origin or user_source_line()
    raise AnomalyError(f"{op_name} produced NaN or Inf in the {where} pass (op called at {origin})")


def user_source_line() -> str:
    """The first stack frame outside deepgrad: where the user called the op."""
    package_dir = __file__.rsplit("autodiff", 1)[0]
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(package_dir):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}: {code}"

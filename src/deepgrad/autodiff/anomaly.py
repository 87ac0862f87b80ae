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
    return str(user_frame(2))


class SourceLine:
    """A line of the user's code (file, line number, function), put into words only when a
    message needs it: a compiled function's recording notes one per call, and reading
    the line's text for each would cost more than the call itself."""

    __slots__ = ("filename", "function", "lineno")

    def __init__(self, filename: str, lineno: int, function: str) -> None:
        self.filename, self.lineno, self.function = filename, lineno, function

    def __str__(self) -> str:
        code = linecache.getline(self.filename, self.lineno).strip()
        return f"{self.filename}:{self.lineno} in {self.function}: {code}"

    __repr__ = __str__


def user_frame(depth: int = 1) -> SourceLine | str:
    """Where the user called into deepgrad: the first stack frame, from ``depth`` frames
    up, whose code is not deepgrad's own ("<unknown>" if there is none)."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return SourceLine(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


_PACKAGE_DIR = __file__.rsplit("autodiff", 1)[0]

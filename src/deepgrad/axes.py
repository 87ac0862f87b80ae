"""Axis arguments read as NumPy reads them: an axis out of range, or one given twice,
raises NumPy's ``AxisError`` (a ``ValueError`` and an ``IndexError``) naming the
function, rather than being taken modulo the number of axes, which answered a wrong
axis with a plausible result of another axis.

>>> axis_index(-1, 3, "stack"), axis_tuple((0, -1), 3, "flip")
(2, (0, 2))
>>> axis_index(2, 2, "concatenate")
Traceback (most recent call last):
...
numpy.exceptions.AxisError: concatenate: axis 2 is out of bounds for array of dimension 2
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

try:  # NumPy 1.25 on; NumPy 1.24 has it as np.AxisError only
    from numpy.exceptions import AxisError
except ImportError:  # pragma: no cover
    AxisError = np.AxisError  # type: ignore[attr-defined]


def axis_index(axis: Any, ndim: int, op: str) -> int:
    """``axis`` (an integer, possibly negative) as an index in ``range(ndim)``."""
    index = operator.index(axis)
    if not -ndim <= index < ndim:
        raise AxisError(index, ndim, op)
    return index % ndim


def axis_tuple(axes: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axes`` (an integer or a sequence of them) as indices in ``range(ndim)``, in the
    order given; an axis named twice raises."""
    if isinstance(axes, int) or hasattr(axes, "__index__"):
        axes = (axes,)
    indices = tuple(axis_index(axis, ndim, op) for axis in axes)
    if len(set(indices)) != len(indices):
        raise ValueError(f"{op}: repeated axis in {tuple(axes)}")
    return indices

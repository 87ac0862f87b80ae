"""NumPy's index tricks that build arrays: ``r_`` and ``c_`` (recorded when an item is a
Tensor), ``mgrid`` and ``ogrid`` (grids from slices: constants, refusing Tensors).

``r_[a, b, 1.0]`` joins its items along the first axis, each made at least 1-D;
``c_[a, b]`` joins along the last, each made at least 2-D with a 1-D item as a column.
With Tensors among the items the join is one ``concatenate`` of the items, so it
differentiates; NumPy's string directives (``r_['0,2', ...]``) are supported only
without Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.backend import array_module
from deepgrad.ops.creation import placeholder
from deepgrad.ops.shape import astype, concatenate, reshape, transpose
from deepgrad.tensor import Tensor, raw_data


class _Concatenator:
    """NumPy's ``AxisConcatenator`` (``axis``, ``ndmin``, ``trans1d``), seeing Tensors."""

    def __init__(self, name: str, numpy_version: Any, axis: int, ndmin: int, trans1d: int):
        self.name = name
        self.numpy_version = numpy_version
        self.axis = axis
        self.ndmin = ndmin
        self.trans1d = trans1d

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(item, Tensor) for item in items):
            return self.numpy_version[key]
        if any(isinstance(item, str) for item in items):
            raise TypeError(
                f"{self.name}: string directives are not supported when an item is a Tensor; "
                "use deepgrad.numpy.concatenate or stack"
            )
        reference = self.numpy_version[placeholder(items)]  # NumPy decides shape and dtype
        xp = array_module(*[raw_data(item) for item in items])
        blocks = [self._block(item, reference.dtype, xp) for item in items]
        result = concatenate(blocks, axis=self.axis)
        if np.shape(raw_data(result)) != reference.shape:
            raise NotImplementedError(
                f"{self.name}: these items give shape {reference.shape} in NumPy, which this "
                "recorded version does not reproduce; use deepgrad.numpy.concatenate"
            )
        return result

    def _block(self, item: Any, dtype: Any, xp: Any) -> Any:
        """One item as NumPy's concatenator makes it: a slice becomes its range, anything
        else an array of at least ``ndmin`` dimensions (a 1-D one moved by ``trans1d``)."""
        if isinstance(item, slice):
            return xp.asarray(self.numpy_version[item], dtype=dtype)
        value = astype(item, dtype) if isinstance(item, Tensor) else xp.asarray(item, dtype)
        shape = np.shape(raw_data(value))
        if len(shape) >= self.ndmin:
            return value
        value = reshape(value, (1,) * (self.ndmin - len(shape)) + shape)
        if self.trans1d != -1:
            k1, k2 = self.trans1d, self.ndmin - len(shape)
            axes = list(range(self.ndmin))
            value = transpose(value, axes[:k1] + axes[k2:] + axes[k1:k2])
        return value


r_ = _Concatenator("r_", np.r_, axis=0, ndmin=1, trans1d=-1)
c_ = _Concatenator("c_", np.c_, axis=-1, ndmin=2, trans1d=0)


class _Grid:
    """NumPy's ``mgrid`` or ``ogrid``: grids from slices of numbers, which are constants.
    A Tensor in a slice would be read as a number and cut from its graph: refused."""

    def __init__(self, name: str, numpy_version: Any) -> None:
        self.name = name
        self.numpy_version = numpy_version

    def __getitem__(self, key: Any) -> Any:
        parts = key if isinstance(key, tuple) else (key,)
        for part in parts:
            bounds = (part.start, part.stop, part.step) if isinstance(part, slice) else (part,)
            if any(isinstance(b, Tensor) for b in bounds):
                raise TypeError(
                    f"{self.name}: a slice bound is a Tensor; the grid would not follow its "
                    "value. Use deepgrad.numpy.linspace and meshgrid, which record"
                )
        return self.numpy_version[key]


mgrid = _Grid("mgrid", np.mgrid)
ogrid = _Grid("ogrid", np.ogrid)

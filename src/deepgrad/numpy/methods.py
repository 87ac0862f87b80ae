"""Connects Tensor's operators and methods (written in tensor.py) to deepgrad.numpy.

tensor.py sits below the ops and cannot import them; deepgrad.numpy calls ``install`` when
it loads, which hands Tensor the module whose functions its methods call, and the two
helpers that take NumPy's indexing syntax (``x[i]``, ``x.at[i].set(v)``).
"""

from __future__ import annotations

from typing import Any

from deepgrad.ops.indexing import IndexUpdater, getitem, normalize_index
from deepgrad.tensor import ENGINE, use_numpy


def _getitem(x: Any, index: Any) -> Any:
    return getitem(x, index=normalize_index(index))


def install(numpy_module: Any) -> None:
    """Make Tensor's methods call ``numpy_module`` (deepgrad.numpy) and its indexing."""
    use_numpy(numpy_module)
    ENGINE.getitem = _getitem
    ENGINE.index_updater = IndexUpdater

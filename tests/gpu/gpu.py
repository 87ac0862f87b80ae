"""What every GPU test module starts with: skip the module, cleanly, unless CuPy is installed
and sees a CUDA device. These tests have not been run on a GPU yet (docs/gpu.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def require_gpu() -> Any:
    """The cupy module; skips the calling module when there is no CuPy or no GPU."""
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed: no GPU tests here")
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # CUDARuntimeError: no driver or no device
        pytest.skip(f"CuPy finds no GPU ({error})", allow_module_level=True)
    if count == 0:
        pytest.skip("CuPy finds no GPU (0 devices)", allow_module_level=True)
    return cupy


def on_gpu(value: Any, cupy: Any) -> Any:
    """Every NumPy array in ``value`` (a tuple of arguments) copied to the GPU."""
    if isinstance(value, np.ndarray):
        return cupy.asarray(value)
    if isinstance(value, tuple | list):
        return type(value)(on_gpu(v, cupy) for v in value)
    return value

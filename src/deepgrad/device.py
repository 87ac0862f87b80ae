"""Devices: where arrays live (the host's memory, or a GPU's), and moving them between.

A device is ``cpu`` (NumPy) or ``cuda:N`` (CuPy, on GPU N); ``"gpu"`` and ``"cuda"`` mean
``cuda:0``. The *current device* is where new tensors, weights and random draws go:
``cpu`` unless ``set_device`` or the ``DEEPGRAD_DEVICE`` environment variable says
otherwise. A missing CuPy or GPU is an error here, when the device is chosen, never at the
first op deep inside a model.

>>> import deepgrad as dg
>>> dg.get_device()
device('cpu')
>>> with dg.using_device("cpu"):
...     dg.tensor([1.0, 2.0]).device
device('cpu')

An accelerator is reached through a ``Platform``: what deepgrad needs from its array
library (CuPy for ``cuda``). The tests register a platform of their own (a guard backend
that refuses implicit conversion to NumPy, as CuPy does), so the whole device model runs
in CI, where there is no GPU.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from deepgrad.backend import to_numpy

__all__ = [
    "Device",
    "DeviceError",
    "Platform",
    "device_of",
    "get_device",
    "register_platform",
    "set_device",
    "to_device",
    "using_device",
]


class DeviceError(RuntimeError):
    """A device that cannot be used (no CuPy, no GPU), or arrays on different devices."""


class Device:
    """A place arrays live: ``Device("cpu")``, ``Device("cuda", 0)``.

    >>> Device("cuda", 1)
    device('cuda:1')
    >>> Device("cpu") == device("cpu")
    True
    """

    __slots__ = ("index", "kind")

    def __init__(self, kind: str, index: int = 0) -> None:
        self.kind = kind
        self.index = 0 if kind == "cpu" else int(index)

    def __str__(self) -> str:
        return "cpu" if self.kind == "cpu" else f"{self.kind}:{self.index}"

    def __repr__(self) -> str:
        return f"device({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:
                return False  # not a device name: equal to no device
        return isinstance(other, Device) and (self.kind, self.index) == (other.kind, other.index)

    def __hash__(self) -> int:
        return hash((self.kind, self.index))


CPU = Device("cpu")
_ALIASES = {"gpu": "cuda"}


def device(name: str | Device) -> Device:
    """Parse a device name: ``"cpu"``, ``"gpu"``, ``"cuda"``, ``"cuda:1"``, ``"gpu:1"``.

    Only the spelling is checked here; ``set_device`` and ``to_device`` check that the
    device exists.

    >>> device("gpu"), device("cuda:1"), device("cpu")
    (device('cuda:0'), device('cuda:1'), device('cpu'))
    """
    if isinstance(name, Device):
        return name
    if not isinstance(name, str):
        raise TypeError(f"device: expected a name such as 'cpu' or 'gpu', got {name!r}")
    kind, _, index = name.strip().lower().partition(":")
    kind = _ALIASES.get(kind, kind)
    if kind != "cpu" and kind not in _PLATFORMS:
        known = ", ".join(["cpu", "gpu", *(f"{k}, {k}:N" for k in _PLATFORMS)])
        raise DeviceError(f"device: unknown device {name!r}; expected one of {known}")
    if index and (kind == "cpu" or not index.isdigit()):
        raise DeviceError(f"device: {name!r} is not a device name (e.g. 'cuda:0')")
    return Device(kind, int(index or 0))


# ---- platforms: what deepgrad needs from an accelerator's array library ---------------------


class Platform:
    """An accelerator's array library, as deepgrad uses it. Subclasses fill in each method;
    ``CudaPlatform`` is CuPy's."""

    name = "accelerator"

    def module(self) -> Any:
        """The array module (``cupy``); raises ``DeviceError`` saying what is missing."""
        raise NotImplementedError

    def device_count(self) -> int:
        raise NotImplementedError

    def owns(self, array: Any) -> bool:
        """Whether ``array`` is one of this library's arrays."""
        raise NotImplementedError

    def index_of(self, array: Any) -> int:
        """The number of the device ``array`` lives on."""
        return 0

    def put(self, array: Any, index: int) -> Any:
        """``array`` (a host array or one of this library's) copied to device ``index``."""
        raise NotImplementedError

    def generator(self, seed: int, index: int) -> Any:
        """A random generator on device ``index`` with NumPy's ``Generator`` methods
        ``random(size, dtype)`` and ``standard_normal(size, dtype)``."""
        raise NotImplementedError


class CudaPlatform(Platform):
    """NVIDIA GPUs through CuPy (imported only when a GPU is asked for)."""

    name = "cuda"

    def module(self) -> Any:
        try:
            import cupy  # pyright: ignore[reportMissingImports]  (optional: only a GPU needs it)
        except ImportError as error:
            raise DeviceError(
                "CuPy is not installed, so deepgrad cannot use a GPU: install the CuPy "
                "built for your CUDA (e.g. pip install cupy-cuda12x), or stay on 'cpu' "
                f"({error})"
            ) from None
        return cupy

    def device_count(self) -> int:
        cupy = self.module()
        try:
            return int(cupy.cuda.runtime.getDeviceCount())
        except Exception as error:  # CUDARuntimeError: no driver, no device
            raise DeviceError(
                f"CuPy is installed but finds no usable GPU (getDeviceCount failed: {error})"
            ) from None

    def owns(self, array: Any) -> bool:
        return type(array).__module__.startswith("cupy")

    def index_of(self, array: Any) -> int:
        return int(array.device.id)

    def put(self, array: Any, index: int) -> Any:
        cupy = sys.modules["cupy"]
        if self.owns(array):
            array = array.get()  # between GPUs through the host: simple, and rare
        with cupy.cuda.Device(index):
            return cupy.asarray(array)

    def generator(self, seed: int, index: int) -> Any:
        cupy = sys.modules["cupy"]
        with cupy.cuda.Device(index):
            return cupy.random.default_rng(seed)


_PLATFORMS: dict[str, Platform] = {"cuda": CudaPlatform()}


def register_platform(platform: Platform) -> None:
    """Make ``platform`` a device kind (``set_device(platform.name)``)."""
    _PLATFORMS[platform.name] = platform


def platform_of(where: Device) -> Platform:
    """The platform of an accelerator device."""
    return _PLATFORMS[where.kind]


# ---- the current device ---------------------------------------------------------------------


def _checked(where: Device, caller: str, given: Any = None) -> Device:
    """``where``, after checking that it exists (its library loads, the GPU is there);
    errors quote the name as ``given``."""
    if where.kind == "cpu":
        return where
    platform = _PLATFORMS[where.kind]
    try:
        platform.module()
        count = platform.device_count()
    except DeviceError as error:
        raise DeviceError(f"{caller}({str(given or where)!r}): {error}") from None
    if where.index >= count:
        raise DeviceError(
            f"{caller}({str(given or where)!r}): there {'is' if count == 1 else 'are'} {count} "
            f"{where.kind} device{'' if count == 1 else 's'} (numbered from 0)"
        )
    return where


def _from_environment() -> Device:
    name = os.environ.get("DEEPGRAD_DEVICE", "").strip()
    if not name:
        return CPU
    try:
        return _checked(device(name), "DEEPGRAD_DEVICE", name)
    except DeviceError as error:
        raise DeviceError(f"{error} (unset DEEPGRAD_DEVICE to run on the CPU)") from None


_current: Device = CPU
_checked_devices: set[Device] = {CPU}  # devices found to exist (checked once each)


def _ensure_checked(where: Device, caller: str, given: Any = None) -> Device:
    if where not in _checked_devices:
        _checked_devices.add(_checked(where, caller, given))
    return where


def set_device(name: str | Device) -> Device:
    """Make ``name`` the current device: where new tensors, weights and random draws go.

    ``"cpu"`` (the default), ``"gpu"`` or ``"cuda"`` (GPU 0), ``"cuda:N"``. Raises
    ``DeviceError`` at once if CuPy is missing or the GPU is not there.

    >>> set_device("cpu")
    device('cpu')
    """
    global _current
    _current = _ensure_checked(device(name), "set_device", name)
    return _current


def get_device() -> Device:
    """The current device (``cpu`` unless ``set_device`` or ``DEEPGRAD_DEVICE`` chose
    another)."""
    return _current


@contextmanager
def using_device(name: str | Device) -> Iterator[Device]:
    """Make ``name`` the current device inside a ``with`` block (as ``set_device``)."""
    global _current
    where = _ensure_checked(device(name), "using_device", name)
    previous, _current = _current, where
    try:
        yield where
    finally:
        _current = previous


# ---- arrays on devices ----------------------------------------------------------------------


def device_of(array: Any) -> Device:
    """The device an array lives on (Python numbers and NumPy arrays: ``cpu``).

    >>> device_of(np.ones(2))
    device('cpu')
    """
    if type(array) is np.ndarray:
        return CPU
    for platform in _PLATFORMS.values():
        if platform.owns(array):
            return Device(platform.name, platform.index_of(array))
    return CPU


def to_device(array: Any, where: str | Device | None = None) -> Any:
    """``array`` on device ``where`` (default: the current device); the array itself when
    it is there already, else a copy. ``None`` passes through.

    >>> to_device(np.ones(2), "cpu")
    array([1., 1.])
    """
    if array is None:
        return None
    target = _current if where is None else device(where)
    if target.kind == "cpu":
        if type(array) is np.ndarray:
            return array
        return to_numpy(array) if device_of(array) != CPU else np.asarray(array)
    _ensure_checked(target, "to_device", where)
    platform = _PLATFORMS[target.kind]
    if platform.owns(array) and platform.index_of(array) == target.index:
        return array
    if not platform.owns(array):
        array = to_numpy(array) if device_of(array) != CPU else np.asarray(array)
    return platform.put(array, target.index)


_current = _from_environment()
_checked_devices.add(_current)

"""C kernels built with the machine's own C compiler, cached on disk, loaded by Python.

An optimizer's update rule is generated as a C loop (``optimizers/c_kernels.py``), and a
compiled plan's fused calls are written as C loops (``native_loops.c``); this module turns
such source into functions Python can call. It is how PyTorch's inductor runs on a CPU,
at the scale of a few loops: the system's compiler (``$CC``, else ``cc``) builds a Python
extension module (``load_module``, where this Python's headers are installed: its calls
take the arrays themselves, in about a tenth of a microsecond) or a plain shared library
(``load``, called through ``ctypes``: a few microseconds a call), which is kept in a cache
folder and loaded in about a millisecond by every later process; ``Build`` builds a
missing module in the background. numba does the same job and stays as the
fallback where no compiler is found, but a process pays 0.15–0.4 s to import it before its
first kernel runs, more than an epoch of a small net; a compiler costs nothing until a
library is missing from the cache, and then about 0.1–0.3 s for that one library.

The compiler is asked for the IEEE arithmetic NumPy does: ``-ffp-contract=off`` (no fused
multiply-add, which rounds once where NumPy rounds twice), no ``-ffast-math``; so a
generated loop gives NumPy's bits. ``-march=native`` lets it use every vector unit of the
CPU it runs on; since such a library may not run on another CPU, the cache key holds this
one's model and feature flags (``/proc/cpuinfo``), and where those cannot be read the
library is built for the architecture's baseline instead.

The cache folder is ``DEEPGRAD_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/deepgrad``
(``~/.cache/deepgrad``), in a ``kernels`` folder; a folder that another user owns or
others can write to is not used (a library loaded from it would run their code), and a
private temporary folder serves that process instead. A library is written under a temporary
name and renamed into place, so a process never loads a half-written one. Delete the
folder to clear the cache. ``DEEPGRAD_NATIVE=0`` turns the compiler off (numba or the NumPy
rules then run); so does ``DEEPGRAD_FUSED=0``, which turns every kernel off.

>>> if available():
...     source = "void twice(double *x) { *x = 2 * *x; }"
...     twice = load(source, "twice", [ctypes.c_void_p])
...     value = ctypes.c_double(1.5)
...     twice(ctypes.addressof(value))
...     print(value.value)
... else:
...     print(3.0)
3.0
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.util
import os
import platform
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
from types import ModuleType
from typing import Any

import numpy

# How long one compilation may take before it is given up (a broken or hanging compiler).
COMPILE_TIMEOUT = 120
FLAGS = ("-O3", "-std=c99", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared")
SETTINGS = ("1", "0")


class NativeUnavailable(RuntimeError):
    """No C kernel here: no compiler, turned off, or the compiler failed (the message says
    which). Callers run the same rule another way, with the same bits."""


def setting() -> str:
    """``DEEPGRAD_NATIVE``: "1" (the default) lets C kernels run, "0" turns them off.

    >>> setting() in SETTINGS
    True
    """
    value = os.environ.get("DEEPGRAD_NATIVE", "1").strip() or "1"
    if value not in SETTINGS:
        raise ValueError(
            f"DEEPGRAD_NATIVE={value!r}: expected 1 (C kernels built with the machine's "
            "compiler, the default) or 0 (never: numba or NumPy's rules run instead)"
        )
    return value


@functools.cache
def compiler() -> str | None:
    """The C compiler's path: ``$CC`` (its first word), else ``cc``; None where neither is
    found. Looked up once per process.

    >>> compiler() is None or os.path.isabs(compiler())
    True
    """
    command = (os.environ.get("CC") or "cc").split()
    return shutil.which(command[0]) if command else None


def available() -> bool:
    """Whether C kernels may be built here: ``DEEPGRAD_NATIVE`` not "0", and a compiler
    found. (A compiler that fails is told by ``load``, which raises.)

    >>> isinstance(available(), bool)
    True
    """
    return setting() == "1" and compiler() is not None


@functools.cache
def _cpu() -> str | None:
    """This CPU's model and feature flags, as Linux reports them; None elsewhere (then
    nothing is built for this CPU alone)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            lines = info.read().splitlines()
    except OSError:
        return None
    wanted = ("model name", "flags", "Features", "CPU part", "CPU implementer")
    fields = sorted({line for line in lines if line.split(":")[0].strip() in wanted})
    return "\n".join(fields) or None


def flags() -> tuple[str, ...]:
    """The compiler's options: ``FLAGS``, and ``-march=native`` on x86-64 where the CPU
    is known (it is part of the cache key)."""
    if _cpu() is not None and platform.machine().lower() in ("x86_64", "amd64"):
        return (*FLAGS, "-march=native")
    return FLAGS


def _key(source: str, command: list[str]) -> str:
    """What a cached library depends on: the source, the compiler (its path, size and
    time), its options, the CPU, the platform."""
    path = command[0]
    info = os.stat(path)
    parts = [source, *command, str(info.st_size), str(info.st_mtime_ns)]
    parts += [_cpu() or "", platform.platform(), sys.implementation.cache_tag or ""]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]


def _private(folder: str) -> bool:
    """Whether ``folder`` is this user's own and nobody else can write to it."""
    info = os.stat(folder)
    mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return mine and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


@functools.cache
def cache_folder() -> str:
    """Where built libraries are kept (see the module's docstring); made on first use.

    >>> os.path.isdir(cache_folder())
    True
    """
    base = os.environ.get("DEEPGRAD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "deepgrad",
    )
    folder = os.path.join(base, "kernels")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if _private(folder) and os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="deepgrad-kernels-")


_loaded: dict[str, Any] = {}  # library path -> its ctypes handle or module, for this process


def _refuse_if_unavailable() -> None:
    if not available():
        raise NativeUnavailable(
            "C kernels are turned off (DEEPGRAD_NATIVE=0)"
            if setting() == "0"
            else "no C compiler found (set CC, or install cc)"
        )


def _command(*extra: str) -> list[str]:
    return [compiler() or "cc", *(os.environ.get("CC") or "cc").split()[1:], *flags(), *extra]


def _library_path(source: str, name: str, command: list[str], suffix: str) -> str:
    """Where ``source`` built with ``command`` is kept in the cache."""
    return os.path.join(cache_folder(), f"{name}-{_key(source, command)}{suffix}")


def _library(
    source: str, name: str, command: list[str], suffix: str, low_priority: bool = False
) -> str:
    """The path of ``source`` built with ``command``: from the cache, or built now (with
    ``low_priority``, at the lowest CPU priority, where ``nice`` is found)."""
    library = _library_path(source, name, command, suffix)
    if not os.path.exists(library):
        stem = os.path.basename(library)[: -len(suffix)]
        nice = shutil.which("nice") if low_priority else None
        prefix = [nice, "-n", "19"] if nice else []
        _build(source, command, os.path.dirname(library), stem, library, prefix)
    return library


def load(source: str, symbol: str, argtypes: list) -> Any:
    """The function ``symbol`` of the C ``source``, built (or found in the cache) and
    loaded, with ctypes' ``argtypes`` set and no return value. Raises ``NativeUnavailable``
    where it cannot be built here, with the compiler's own message."""
    _refuse_if_unavailable()
    try:
        library = _library(source, symbol, _command(), ".so")
        handle = _loaded.get(library)
        if handle is None:
            handle = _loaded[library] = ctypes.CDLL(library)
        function = getattr(handle, symbol)
    except (OSError, AttributeError) as error:  # a folder mounted noexec, a full disk, ...
        raise NativeUnavailable(
            f"the C kernel {symbol} could not be built or loaded: {error}"
        ) from error
    function.argtypes, function.restype = argtypes, None
    return function


@functools.cache
def python_headers() -> str | None:
    """The folder of this Python's C headers (``Python.h``), or None where they are not
    installed (on Debian and Ubuntu they come with ``python3-dev``).

    >>> python_headers() is None or os.path.exists(os.path.join(python_headers(), "Python.h"))
    True
    """
    folder = sysconfig.get_paths().get("include")
    return folder if folder and os.path.exists(os.path.join(folder, "Python.h")) else None


@functools.cache
def numpy_headers() -> tuple[str, ...] | None:
    """The folder of NumPy's C headers (``numpy/arrayobject.h``), as a one-folder include
    path, or None where this NumPy does not ship them.

    >>> numpy_headers() is None or len(numpy_headers()) == 1
    True
    """
    folder = numpy.get_include()
    return (folder,) if os.path.exists(os.path.join(folder, "numpy", "arrayobject.h")) else None


def load_module(
    source: str, name: str, low_priority: bool = False, include: tuple[str, ...] = ()
) -> ModuleType:
    """The C ``source`` of a Python extension module called ``name`` (its ``PyInit_name``),
    built against this Python's headers (or found in the cache) and imported. Its functions
    take Python objects, NumPy arrays through the buffer protocol, so a call costs about a
    tenth of a microsecond, where ctypes' costs microseconds. Raises ``NativeUnavailable``
    where it cannot be built here: no compiler, no Python headers, or a failure (with the
    compiler's own message). ``low_priority``: a compiler that has to run runs at the
    lowest CPU priority (a build in the background, which should take only idle time).
    ``include``: more folders of headers (NumPy's, ``numpy_headers()``)."""
    command, suffix = _module_command(include)
    try:
        library = _library(source, name, command, suffix, low_priority)
        module = _loaded.get(library)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, library)
            if spec is None or spec.loader is None:
                raise ImportError(f"{library} is not a loadable module")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _loaded[library] = module
    except (OSError, ImportError) as error:
        raise NativeUnavailable(
            f"the C module {name} could not be built or loaded: {error}"
        ) from error
    return module


# Whether ``Build`` compiles in a background thread (True) or before it returns (False: the
# tests of the loops' bits set it, so that a test's first call already runs the loop).
BUILD_IN_BACKGROUND = True


class Build:
    """``load_module(source, name)`` without waiting for the compiler: loaded at once where
    the cache holds the module, else built in a background thread (``BUILD_IN_BACKGROUND``),
    by a compiler at the lowest CPU priority (``nice -n 19``: it takes the cores' idle
    time, not the training's), while the caller goes on, its work done another way
    meanwhile. ``done`` says when it has ended; then ``module`` is the module, or None and
    ``error`` says why. The thread is not a daemon: a process that ends meanwhile waits for
    the compiler, and leaves no half-written file.

    >>> build = Build("this is not C", "deepgrad_example")  # the compiler refuses it
    >>> build.wait()
    >>> build.done, build.module, isinstance(build.error, NativeUnavailable)
    (True, None, True)
    """

    def __init__(self, source: str, name: str, include: tuple[str, ...] = ()) -> None:
        self.module: ModuleType | None = None
        self.error: NativeUnavailable | None = None
        self._thread: threading.Thread | None = None
        if module_is_built(source, name, include) or not BUILD_IN_BACKGROUND:
            self._load(source, name, include, low_priority=False)
        else:
            self._thread = threading.Thread(
                target=self._load,
                args=(source, name, include, True),
                name=f"deepgrad: building {name}",
            )
            self._thread.start()

    def _load(self, source: str, name: str, include: tuple[str, ...], low_priority: bool) -> None:
        try:
            self.module = load_module(source, name, low_priority, include)
        except NativeUnavailable as error:
            self.error = error

    @property
    def done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def wait(self) -> None:
        """Until the build has ended."""
        if self._thread is not None:
            self._thread.join()


def module_is_built(source: str, name: str, include: tuple[str, ...] = ()) -> bool:
    """Whether the cache holds ``load_module(source, name)``'s module, built for this
    machine and this Python (so that loading it takes a millisecond, not a compilation).
    False wherever it cannot be built.

    >>> module_is_built("int deepgrad_never_built;", "deepgrad_never_built")
    False
    """
    try:
        return os.path.exists(_library_path(source, name, *_module_command(include)))
    except (NativeUnavailable, OSError):
        return False


def _module_command(include: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """The compiler's command for an extension module (with the header folders
    ``include`` too), and the module's file suffix."""
    _refuse_if_unavailable()
    headers = python_headers()
    if headers is None:
        raise NativeUnavailable(
            "this Python's C headers (Python.h) are not installed (on Debian and Ubuntu: "
            "python3-dev)"
        )
    extra = ["-std=c11", "-I" + headers]  # C11: newer Pythons' headers may use it
    extra += ["-I" + folder for folder in include]
    if sys.platform == "darwin":
        extra += ["-undefined", "dynamic_lookup"]
    return _command(*extra), sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def _build(
    source: str, command: list[str], folder: str, name: str, library: str, prefix: list[str]
) -> None:
    """Compile ``source`` into ``library``: under temporary names in the same folder, then
    renamed into place (so another process never loads a half-written library)."""
    descriptor, c_file = tempfile.mkstemp(prefix=name, suffix=".c", dir=folder)
    partial = c_file[:-2] + ".partial"
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(source)
        try:
            subprocess.run(
                [*prefix, *command, "-o", partial, c_file],
                check=True,
                capture_output=True,
                text=True,
                timeout=COMPILE_TIMEOUT,
            )
        except subprocess.CalledProcessError as error:
            raise NativeUnavailable(
                f"the C compiler {command[0]} failed on {name}: {error.stderr.strip()[-2000:]}"
            ) from error
        except (OSError, subprocess.TimeoutExpired) as error:
            raise NativeUnavailable(f"the C compiler {command[0]} did not run: {error}") from error
        os.replace(partial, library)
    finally:
        for leftover in (c_file, partial):
            if os.path.exists(leftover):
                os.remove(leftover)

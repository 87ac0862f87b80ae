"""Compiled loop kernels: the switches that allow them and the helper that compiles them.

Two kinds: numba's, and the optimizers' C loops built by the machine's C compiler
(``native.py``, ``optimizers/c_kernels.py``), which start in a millisecond where numba's
start-up is a large fraction of a second. ``c_enabled`` says whether the C loops may run;
``enabled`` whether numba's kernels may; ``disabled()`` turns both off, ``numba_held()``
numba's alone (what ``fit`` holds back until it will earn numba's start-up).

numba is optional (``pip install "deepgrad[fast]"``, part of ``all``). Every kernel is an
executor of a rule defined elsewhere in plain NumPy (an optimizer's update, the fused
cross-entropy, a compiled plan's bias+ReLU): the rule stays the definition, and the tests
check the kernel against it. This module sits just above ``backend`` so that ops, the
compiler and the optimizers can all use it without importing one another.

How kernels are compiled was measured (``docs/optimizers.md``, "Speed"): arithmetic in the
buffer's dtype (the wrapper casts Python floats; a float64 literal would widen every
operation, 3–5x slower in float32), one thread (launching numba's threads costs 80–90 µs,
and these loops are bound by memory bandwidth), and ``error_model="numpy"`` (a division by
zero gives inf instead of a check that keeps the loop from vectorising).

Compiled kernels are cached on disk (numba's ``cache=True``): in ``__pycache__`` beside
their source when it is writable, else in numba's per-user cache, or in
``NUMBA_CACHE_DIR`` when set. A process still pays ``import numba`` (0.2–0.4 s) at its
first kernel, and each kernel's load from the cache (3–60 ms), but not numba's full
set-up, which loading cached code does not need (``_kernel_cache_class``); a cold cache
adds the compilation. What is cached, where, and how to clear it: ``docs/benchmarks.md``,
"The first epoch".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import inspect
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from deepgrad import native

# Imported on the first kernel call, not with deepgrad: numba takes 0.25 s to import.
_INSTALLED = importlib.util.find_spec("numba") is not None

# Below this many elements a call into numba costs as much as NumPy's few in-place
# operations (measured, plain SGD: 1.3 µs fused against 1.2 at 1,024 float32, 1.6 against
# 1.8 at 4,096, 11 against 21 at 100k).
MIN_SIZE = 1 << 12
# DEEPGRAD_FUSED chooses when kernels run. "0": never (the NumPy rules only; numba is not
# imported, which keeps about 65 MiB of resident memory, its compiler, out of the process).
# "1": from the first step. "auto", the default: as "1", except that ``fit`` holds them
# back until it has seen that it will run long enough to earn their start-up
# (training/kernel_start.py).
SETTINGS = ("auto", "0", "1")
_setting = os.environ.get("DEEPGRAD_FUSED", "auto").strip().lower() or "auto"
_enabled = _setting != "0"
_numba_held = False  # inside numba_held(): a fit holds numba's kernels back
_started = False  # a kernel has been made in this process (numba_kernel): start-up paid
_c_failure: str | None = None  # why the C compiler failed in this process, once it has


def enabled() -> bool:
    """Whether numba kernels may run: numba installed, and not turned off by
    ``DEEPGRAD_FUSED=0``, inside ``disabled()``, or inside ``numba_held()`` (where a
    ``fit`` holds them back while it finds out how long it will run).

    >>> with disabled():
    ...     enabled()
    False
    """
    return _enabled and not _numba_held and _INSTALLED


def c_enabled() -> bool:
    """Whether an optimizer's update may run as a C loop built by the machine's compiler
    (``native.py``): a compiler found, not turned off by ``DEEPGRAD_NATIVE=0`` or
    ``DEEPGRAD_FUSED=0``, not inside ``disabled()``, and not failed in this process. Its
    start-up is a library's load (about a millisecond), so ``fit`` never holds it back.

    >>> with disabled():
    ...     c_enabled()
    False
    """
    return c_switched_on() and native.available()


def c_switched_on() -> bool:
    """``c_enabled`` without its look at the environment and the compiler (which cost a
    microsecond): not inside ``disabled()``, ``DEEPGRAD_FUSED`` not 0, and the compiler
    not failed in this process. For the hot path of a C loop already loaded.

    >>> with disabled():
    ...     c_switched_on()
    False
    """
    return _enabled and _c_failure is None


def c_failed(error: Exception) -> None:
    """The compiler failed to build a C kernel: warn once, and build none again in this
    process (numba or the NumPy rules run instead, with the same bits)."""
    global _c_failure
    if _c_failure is None:
        _c_failure = str(error)
        warnings.warn(
            f"deepgrad could not build a C kernel ({error}); the optimizers' updates and "
            "the compiled plans' fused calls run on numba or NumPy instead, and the tape's "
            "loops in Python, with the same results. Set DEEPGRAD_NATIVE=0 to stop trying",
            RuntimeWarning,
            stacklevel=3,
        )


def fit_may_wait() -> bool:
    """Whether ``fit`` may hold the kernels back while it finds out how long it will run:
    ``DEEPGRAD_FUSED`` unset (or "auto"), kernels enabled, and none started yet in this
    process (once one is, numba is imported and their start-up mostly paid: waiting would
    save nothing). numba imported for another reason (``cached`` imports it) is not a
    start: the kernels' loads, or their compilation, are still ahead.

    >>> with disabled():
    ...     fit_may_wait()
    False
    """
    if _setting not in SETTINGS:  # a mistyped value fails at the first fit or evaluate
        raise ValueError(
            f"DEEPGRAD_FUSED={_setting!r}: expected auto (the default: fit starts the "
            "kernels once it will run long enough to earn their start-up), 1 (kernels from "
            "the first step) or 0 (never: NumPy's rules only)"
        )
    return _setting == "auto" and enabled() and not _started


def available(values: Any) -> bool:
    """Whether ``values`` gets a kernel: kernels enabled, a NumPy buffer, large enough.

    >>> available(np.zeros(10, np.float32))
    False
    """
    return enabled() and type(values) is np.ndarray and values.size >= MIN_SIZE


@contextlib.contextmanager
def numba_held() -> Iterator[None]:
    """Hold numba's kernels back inside the block (the C loops may run): a ``fit`` that
    has not yet seen that it will earn numba's start-up.

    >>> with numba_held():
    ...     enabled()
    False
    """
    global _numba_held
    saved, _numba_held = _numba_held, True
    try:
        yield
    finally:
        _numba_held = saved


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the NumPy rules inside the block (to compare both paths, or to profile)."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def compile_kernel(function: Callable) -> Callable:
    """Compile ``function`` with numba on first use (from numba's on-disk cache after the
    first run); the wrapper casts every Python float argument to the first array's dtype."""
    compiled = None

    def run(values: np.ndarray, *args: Any) -> Any:
        nonlocal compiled
        if compiled is None:
            compiled = numba_kernel(function)  # numba imported only when a kernel first runs
        scalar = values.dtype.type
        return compiled(values, *[scalar(a) if isinstance(a, float) else a for a in args])

    run.__doc__ = function.__doc__
    run.__name__ = getattr(function, "__name__", "kernel")
    return run


def numba_kernel(function: Callable) -> Callable:
    """``function`` compiled with the options above, as numba's own dispatcher (numba is
    imported now): for a kernel that takes no Python float, which then needs no casting
    wrapper, and whose call costs numba's dispatch alone (0.4 µs; 1 µs through
    ``compile_kernel``'s wrapper). Its machine code is loaded from the on-disk cache
    without numba's full set-up where that can be done (``_KernelCache``)."""
    import numba  # optional, and slow to import

    global _started
    _started = True
    dispatcher: Any = numba.njit(error_model="numpy", cache=True)(function)
    cache = _kernel_cache_class()
    if cache is not None:
        dispatcher._cache = cache(dispatcher.py_func)
    return dispatcher


def cached(function: Callable) -> bool:
    """Whether numba's on-disk cache holds machine code for ``function``, compiled by this
    numba from its source as it is now (numba's own index of the cache, read as numba
    reads it, says so). Then the kernel's first call loads it in milliseconds; else numba
    compiles it, 0.2–1 s a kernel on the 2-core development machine (a new install, a
    fresh Colab runtime, a new ``NUMBA_CACHE_DIR``). Imports numba.

    A function numba cannot cache (one not defined in a file) is never cached. Where this
    numba's cache is not built as this function expects, it answers True, as if it had not
    asked: only how long the kernels take to start depends on the answer, never a number.

    >>> def double(values):
    ...     return 2 * values
    >>> cached(double)  # defined in no file: numba compiles it in every process
    False
    """
    try:
        from numba.core.caching import FunctionCache
    except ImportError:
        return True
    try:
        cache = FunctionCache(function)
    except RuntimeError:  # numba's "cannot cache function ...: no locator available"
        return False
    try:
        return bool(cache._cache_file._load_index())
    except (AttributeError, ImportError, OSError, EOFError, ValueError, pickle.UnpicklingError):
        return True  # another numba's layout, or a file it could not read either


def surely_uncached(function: Callable) -> bool:
    """Whether numba's on-disk cache surely holds nothing for ``function``, told without
    importing numba (0.3–0.4 s): True when the one folder numba would keep the function's
    cache in has no index file of it. False means "ask ``cached``": the index is there (it
    may still be stale), or numba could look elsewhere than this function knows.

    numba keeps a function's cache in ``NUMBA_CACHE_DIR`` (in a folder named after the
    source's folder) when that variable is set and the folder is writable, else in
    ``__pycache__`` beside the source when that is writable, else in folders this function
    does not look into (numba's per-user cache, IPython's): there, and where a
    ``.numba_config.yaml`` in the working directory may set the cache folder, it answers
    False. A wrong True could only keep the kernels from starting (``fit`` then stays on the
    NumPy rules, with the same bits); a test pins the file's name to the installed numba's.

    >>> def double(values):
    ...     return 2 * values
    >>> surely_uncached(double)  # defined in no file: ask numba
    False
    """
    index = _index_path(function)
    return index is not None and not os.path.exists(index)


def _index_path(function: Callable) -> str | None:
    """The path of ``function``'s index in numba's cache, by numba's naming (``FunctionCache``
    and its locators in ``numba/core/caching.py``), or None where numba may keep it
    elsewhere."""
    if os.path.exists(".numba_config.yaml"):  # numba reads its settings from there too
        return None
    try:
        source = os.path.abspath(inspect.getfile(function))
        line = function.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return None
    if not os.path.isfile(source):
        return None
    folder = os.path.dirname(source)
    chosen = os.environ.get("NUMBA_CACHE_DIR", "")
    if chosen:
        digest = hashlib.sha1(folder.encode()).hexdigest()
        cache_folder = os.path.join(chosen, f"{os.path.basename(folder)}_{digest}")
    else:
        cache_folder = os.path.join(folder, "__pycache__")
    if not _writable(cache_folder):  # numba would try its next folder
        return None
    module = os.path.splitext(os.path.basename(source))[0]
    name = f"{module}.{function.__qualname__}".replace("<", "").replace(">", "")
    major, minor = sys.version_info[:2]
    abiflags = getattr(sys, "abiflags", "")
    return os.path.join(cache_folder, f"{name}-{line}.py{major}{minor}{abiflags}.nbi")


def _writable(folder: str) -> bool:
    """Whether ``folder`` can be written, or made where it does not exist yet."""
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(folder):  # the root, or a file in the way
            return False
        folder = parent
    return os.access(folder, os.W_OK)


@functools.cache
def _kernel_cache_class() -> type | None:
    """numba's on-disk cache, less the set-up its loads do that a kernel's load does not
    need; or None where this numba's cache is not built as expected (numba's own is kept).

    Before loading cached machine code, numba refreshes its compiler's whole context: it
    imports every library of lowering and typing rules it has, ``numba.np.arraymath``
    among them, which looks for a BLAS by importing ``scipy.linalg`` when SciPy is
    installed. That is 0.4–0.6 s of a process's first kernel on the 2-core development
    machine (``docs/benchmarks.md``, "The first epoch"), and nothing in it is needed to
    link and run code already compiled: compiling needs it, and numba's compiler refreshes
    the context itself whenever it compiles (a cache miss, or another function). What
    cached code links against beyond the C helpers and math functions that the context's
    creation registers is numba's runtime (NRT): initialized here, as the refresh would.
    """
    try:
        from numba.core.caching import FunctionCache
        from numba.core.runtime.nrt import rtsys
    except ImportError:
        return None
    if not all(
        hasattr(FunctionCache, name)
        for name in ("_load_overload", "_guard_against_spurious_io_errors")  # what it calls
    ):
        return None

    class _KernelCache(FunctionCache):
        def load_overload(self, sig: Any, target_context: Any) -> Any:
            rtsys.initialize(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)

    return _KernelCache

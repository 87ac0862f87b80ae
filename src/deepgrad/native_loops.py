"""A compiled plan's fused calls as C loops, built by the machine's C compiler.

The plan fuses a few calls that recur in every dense net (``compiler/fusion.py``: bias +
ReLU and ReLU's backward pass; ``compiler/column_sums.py``: the bias gradients;
``ops/outer_products.py``: a one-unit layer's products; ``ops/cross_entropy_kernels.py``:
the sparse cross-entropy with its gradient). Each is a rule written in NumPy, and has
two executors of its loop besides NumPy's calls: numba's, and the C loops of
``native_loops.c``, one Python extension module built against this Python's headers
(``native.load_module``) and cached on disk as the optimizers' C loops are. Where the
module loads, it runs them: it starts in a fraction of a millisecond where numba's
start-up costs a fraction of a second, and its call costs about 0.13 µs (numba's 0.3–0.4),
so a ``fit`` has its fused calls from the first step without waiting for numba
(``training/kernel_start.py``). Where the cache does not hold the module yet, the compiler
builds it in a background thread while the first batches run NumPy's form of the rules
(the same bits). Where it cannot be built (no compiler, no Python headers,
``DEEPGRAD_NATIVE=0``), numba runs them, or NumPy.

The loops perform the rules' float operations in the same order and dtype, so they give
NumPy's bits (the tests of each executor compare them, on the C loops and on numba's
kernels); each checks the arrays it is given (dtypes, shapes, overlaps) and raises
``ValueError`` on arrays it cannot take (``tests/test_native_loops.py``).

>>> loops = module()
>>> out = np.empty((1, 2))
>>> if loops is not None:
...     loops.relu_of_sum(np.array([[-1.0, 1.0]]), np.array([0.5, 0.5]), out)
... else:
...     out[...] = [[0.0, 1.5]]
>>> out
array([[0. , 1.5]])
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType

import numpy as np  # noqa: F401  (the docstring's example)

from deepgrad import kernels, native

NAME = "deepgrad_native_loops"
SOURCE_FILE = Path(__file__).with_name("native_loops.c")

_module: ModuleType | None = None  # loaded in this process
_tried = False  # the load has ended (or was not allowed): _module is what there is
_build: native.Build | None = None  # loading, or building in the background
_lock = threading.Lock()


def module() -> ModuleType | None:
    """The loops' module where they may run now, else None (numba's kernels or NumPy's
    calls then run, with the same bits). The first call that may run them loads the module
    from the cache; where the cache does not hold it, that call starts the compiler in a
    background thread (``native.Build``, about 0.5 s of a core), and calls return None
    until it is built. Whether C kernels are allowed (``DEEPGRAD_NATIVE``, a compiler,
    Python's headers) is asked then, and kept; ``kernels.disabled()`` and
    ``DEEPGRAD_FUSED=0`` turn the loops off at every call.

    >>> module() is None or module().column_sum.__name__ == "column_sum"
    True
    """
    if not kernels.c_switched_on():
        return None
    if _tried:
        return _module
    return _begin()


def coming() -> bool:
    """Whether the loops run, or will once their module is built (a build under way): a
    compiled plan made now takes the fused calls, which run NumPy's form of their rule
    until then."""
    return module() is not None or (_build is not None and not _tried)


def _begin() -> ModuleType | None:
    global _build, _module, _tried
    with _lock:
        if _tried:
            return _module
        if _build is None:
            if not kernels.c_enabled():
                return None  # not tried: DEEPGRAD_NATIVE or the compiler may be asked again
            if native.python_headers() is None:
                # numba's kernels or NumPy's calls, as documented; the optimizers' C loops
                # (ctypes, no headers needed) still run
                _tried = True
                return None
            _build = native.Build(SOURCE_FILE.read_text(encoding="utf-8"), NAME)
        if not _build.done:
            return None
        if _build.error is not None:
            kernels.c_failed(_build.error)
        _module, _tried = _build.module, True
        return _module

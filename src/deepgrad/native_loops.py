"""A compiled plan's fused calls as C loops, built by the machine's C compiler; and
``NativeModule``, which loads (or builds) deepgrad's C extension modules on first use: these
loops, and the tape's (``autodiff/native_tape.c``).

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
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from deepgrad import kernels, native

NAME = "deepgrad_native_loops"
SOURCE_FILE = Path(__file__).with_name("native_loops.c")


class NativeModule:
    """A C extension module of deepgrad's, loaded or built on first use: from the cache at
    once, else by the compiler in a background thread (``native.Build``) while its caller
    goes on the Python way. ``get()`` is the module where it may run now, else None;
    whether C is allowed (``DEEPGRAD_NATIVE``, ``DEEPGRAD_FUSED``, a compiler, Python's
    headers, NumPy's with ``numpy_headers``) is asked at the first call that may run it,
    and kept. With ``follows_switch`` (the default), ``kernels.disabled()`` and a failed C
    build turn it off at every call too: for loops that stand in for the NumPy rules. The
    tape's loops, which stand in for the engine's Python functions and are installed in
    their place, do not follow it. ``set_up`` is called with the module once it is loaded,
    before anyone gets it.

    >>> LOOPS.get() is None or LOOPS.get().__name__ == NAME
    True
    """

    def __init__(
        self,
        source_file: Path,
        name: str,
        *,
        numpy_headers: bool = False,
        set_up: Callable[[ModuleType], None] | None = None,
        follows_switch: bool = True,
    ) -> None:
        self.source_file = source_file
        self.name = name
        self.numpy_headers = numpy_headers
        self.follows_switch = follows_switch
        self.set_up = set_up
        self.module: ModuleType | None = None  # loaded in this process
        self.tried = False  # the load has ended (or was not allowed): module is what there is
        self.build: native.Build | None = None  # loading, or building in the background
        self._lock = threading.Lock()

    def get(self) -> ModuleType | None:
        """The module where it may run now, else None (the first call that may run it
        loads it, or starts its build in the background and returns None until built)."""
        if self.follows_switch and not kernels.c_switched_on():
            return None
        if self.tried:
            return self.module
        return self._begin()

    def coming(self) -> bool:
        """Whether the module runs, or will once it is built (a build under way)."""
        return self.get() is not None or (self.build is not None and not self.tried)

    def _begin(self) -> ModuleType | None:
        with self._lock:
            if self.tried:
                return self.module
            if self.build is None:
                if not kernels.c_enabled():
                    return None  # not tried: DEEPGRAD_NATIVE or the compiler may be asked again
                include = native.numpy_headers() if self.numpy_headers else ()
                if native.python_headers() is None or include is None:
                    # the Python way (or numba's kernels), as documented; the optimizers'
                    # C loops (ctypes, no headers needed) still run
                    self.tried = True
                    return None
                source = self.source_file.read_text(encoding="utf-8")
                if include:  # a module compiled against NumPy's headers is for that NumPy
                    source = f"/* NumPy {np.__version__} */\n{source}"
                self.build = native.Build(source, self.name, include)
            if not self.build.done:
                return None
            if self.build.error is not None:
                kernels.c_failed(self.build.error)
            elif self.set_up is not None and self.build.module is not None:
                self.set_up(self.build.module)
            self.module, self.tried = self.build.module, True
            return self.module


LOOPS = NativeModule(SOURCE_FILE, NAME)


def module() -> ModuleType | None:
    """The loops' module where they may run now, else None (numba's kernels or NumPy's
    calls then run, with the same bits). The first call that may run them loads the module
    from the cache; where the cache does not hold it, that call starts the compiler in a
    background thread (``native.Build``, about 0.5 s of a core), and calls return None
    until it is built (``NativeModule``).

    >>> module() is None or module().column_sum.__name__ == "column_sum"
    True
    """
    return LOOPS.get()


def coming() -> bool:
    """Whether the loops run, or will once their module is built (a build under way): a
    compiled plan made now takes the fused calls, which run NumPy's form of their rule
    until then."""
    return LOOPS.coming()

"""Impure primitives: calls an observer must make again on every replay.

A random draw, an update of a moving average in place, the store of a gradient into
``.grad``, a mask computed from a parameter's current values: none of these may be
frozen into a recording. Each is an :class:`Impure` primitive. It has no derivative; its
arguments reach the function as they are (Tensors included, so it can read a
parameter's current array); and whatever the function does inside is reported to the
observer as this one call, not as the primitives it may use.

``effect=True`` marks a call that writes outside its result (and may return nothing):
an observer must keep it even though no output depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import STATE, Primitive
from deepgrad.tensor import WRITES


class Impure(Primitive):
    """A primitive whose every call the observer sees and must make again.

    >>> import numpy as np
    >>> draw = Impure(lambda shape: np.random.default_rng(0).random(shape), "draw")
    >>> draw((2,)).shape
    (2,)
    """

    __slots__ = ("effect",)
    pure = False

    def __init__(self, impl: Callable, name: str | None = None, *, effect: bool = False):
        super().__init__(impl, name)
        self.effect = effect

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        observer = STATE.observer
        if observer is None:
            return self.impl(*args, **kwargs)
        STATE.observer = None  # what the function does inside is this one call
        writes, WRITES.watcher = WRITES.watcher, None  # its writes in place are made again
        try:
            result = self.impl(*args, **kwargs)
        finally:
            STATE.observer = observer
            WRITES.watcher = writes
        if isinstance(result, np.generic | bool):
            # A recording knows each result by its identity, and NumPy's and Python's
            # booleans are two objects each (np.False_ is every False): two calls that
            # both answered False would be one value to the plan. A 0-d array is its own.
            result = np.asarray(result)
        observer(self, None, args, kwargs, result)
        return result


def impure(func: Callable | None = None, *, effect: bool = False) -> Any:
    """Decorate a helper so that every call is an :class:`Impure` primitive call.

    >>> import numpy as np
    >>> @impure
    ... def positive(x):
    ...     return np.asarray(x) > 0
    >>> positive(np.array([-1.0, 2.0]))
    array([False,  True])
    """
    if func is None:
        return lambda f: Impure(f, effect=effect)
    return Impure(func, effect=effect)

"""The settings a compiled step folds into its plan, and a counter of their changes.

A recording reads Python values and writes them into the plan: a Dropout's rate, a
layer's activation, a loss's label smoothing, a regularizer's coefficient. Eager mode
reads them again at every step, so a plan must not outlive them. A built layer's settings
(the parameters of its class's ``__init__``, kept under the same names) and a loss's or
regularizer's attributes call ``changed()`` when one is reassigned; every compiled
function records again at its next call (``jit.CompiledFunction`` compares ``version()``
with the one its plans were made at). Such changes are rare (a callback that anneals the
dropout rate, a notebook cell that tries another activation), and a recording costs a few
eager steps.

>>> before = version()
>>> changed()
>>> version() == before + 1
True
"""

from __future__ import annotations

_version = 0


def changed() -> None:
    """A setting that plans may have folded in was reassigned."""
    global _version
    _version += 1


def version() -> int:
    """How many times settings have changed in this process."""
    return _version


class Settings:
    """Base of the objects whose plain attributes are settings (losses, regularizers):
    reassigning one after construction calls :func:`changed`.

    >>> class Scaled(Settings):
    ...     def __init__(self, factor):
    ...         self.factor = factor
    >>> scaled = Scaled(2.0)
    >>> before = version()
    >>> scaled.factor = 3.0
    >>> version() == before + 1
    True
    """

    def __setattr__(self, name: str, value: object) -> None:
        if not name.startswith("_") and name in self.__dict__:
            changed()
        object.__setattr__(self, name, value)

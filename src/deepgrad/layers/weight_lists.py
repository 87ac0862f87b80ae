"""A layer's weight list, kept between calls while nothing it depends on changes.

``fit`` asks for the model's trainable weights on every batch (to check that its optimizer
still updates exactly those) and for its device; walking every layer's attributes to find
them cost 20–40 µs a batch on a small MLP, a sixth of a compiled training step. A
:class:`WeightList` keeps the result of one walk together with what it depended on, and
is used only while all of that is unchanged:

- the structure version, a counter that moves whenever a layer gains or loses a weight or
  a sublayer by an attribute (``Layer.__setattr__``/``__delattr__`` for any value that
  is not a plain number, string, dtype or shape), by ``add_weight``, by ``trainable``, or
  by ``using_weights`` swapping the weights;
- the contents of every list and dict held by an attribute of a layer within (so that
  ``self.blocks.append(Dense(3))`` is seen, though no attribute was set), but for those
  the class names in ``_holds_no_sublayers`` (a layer's own weights, calls and added
  losses; a model's compile-time bookkeeping);
- ``requires_grad`` of every Tensor held by an attribute (a leaf Tensor assigned to a
  layer is a weight only while it requires grad).

Anything else that could change the list (a layer's ``vars`` written through
``__dict__``) is outside what layers do; ``tests/layers/test_weight_lists.py`` changes
the structure in each of the ways above and checks that the list follows.
"""

from __future__ import annotations

import operator
from typing import Any

from deepgrad.tensor import Tensor

_VERSION = [0]


def structure_changed() -> None:
    """Mark every cached weight list as stale (a weight or a sublayer may have changed)."""
    _VERSION[0] += 1


class WeightList:
    """One walk of ``layer.named_weights()`` and what it depended on (module docstring)."""

    __slots__ = ("containers", "entries", "tensors", "trainable", "version")

    def __init__(self, layer: Any) -> None:
        self.version = _VERSION[0]
        self.entries = list(layer.named_weights())
        self.trainable = [w for _, w, trainable, _ in self.entries if trainable]
        containers: list[tuple[Any, tuple]] = []
        tensors: list[tuple[Tensor, bool]] = []
        for within in layer._layers_within():
            kept = type(within)._holds_no_sublayers  # lists the class keeps for itself
            for name, value in vars(within).items():
                if name in kept:
                    continue
                kind = type(value)
                if kind is list or kind is dict:
                    containers.append((value, tuple(_contents(value))))
                elif kind is Tensor:
                    tensors.append((value, value.requires_grad))
        self.containers = containers
        self.tensors = tensors

    def current(self) -> bool:
        """Whether a walk now would give the same list."""
        if self.version != _VERSION[0]:
            return False
        for container, contents in self.containers:
            if not _holds(container, contents):
                return False
        return all(tensor.requires_grad == flag for tensor, flag in self.tensors)


def _contents(container: list | dict) -> Any:
    """What a list or dict holds, compared by identity: its items, or its keys then its
    values (a renamed entry changes the weights' paths)."""
    if type(container) is dict:
        return (*container.keys(), *container.values())
    return container


def _holds(container: list | dict, contents: tuple) -> bool:
    """Whether ``container`` holds ``contents`` still (the same objects, in order)."""
    size = 2 * len(container) if type(container) is dict else len(container)
    if size != len(contents):
        return False
    return not contents or all(map(operator.is_, _contents(container), contents))

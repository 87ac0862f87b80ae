"""``compile(jit="auto")``, the default: compile the step when every line of it is deepgrad's.

Keras 3 compiles the training step by default (``jit_compile="auto"``: whenever every
layer supports it), and so does deepgrad, with one caution more. A compiled step runs the
Python inside it only while recording (the first two batches, then the first batch of a
new shape; see docs/compile.md). For deepgrad's own layers, activations, regularizers
and losses that changes nothing: they do array work through deepgrad's ops, which the
plan replays, and the numbers are eager's bit for bit. Code of the user's may do more
(print, count calls, set ``model.stop_training``, draw with NumPy's random), so "auto"
leaves the step eager as soon as any of it runs inside the step: a layer class, a model
``call``, an activation, a regularizer or a loss that is not deepgrad's. A model on
another device than the CPU is left eager too. ``jit=True`` compiles any step (and
checks it), ``jit=False`` none. A layer class may say for itself, as in Keras:
``supports_jit = True`` vouches for it (and what it holds) where it is not deepgrad's,
``supports_jit = False`` keeps any model that holds it eager.

>>> import deepgrad as dg
>>> model = dg.Sequential([dg.layers.Dense(4, activation="relu"), dg.layers.Dense(1)])
>>> model.build((None, 3))
>>> model.compile(optimizer="sgd", loss="mse")
>>> model.jit
True
>>> model.compile(optimizer="sgd", loss="mse", run_eagerly=True)  # Keras' name for jit=False
>>> model.jit
False
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator
from typing import Any

from deepgrad.layers.base import Layer
from deepgrad.tensor import Tensor


def runs_only_deepgrad_code(model: Layer, loss: Any) -> bool:
    """Whether everything the training step calls, below ``fit``, is deepgrad's own (or
    vouched for with ``supports_jit = True``): each layer's class (the model's included)
    and the functions and objects its attributes and its weights' regularizers hold, and
    the loss with what it holds."""
    for layer in _layers(model):
        vouched = getattr(layer, "supports_jit", None)
        if vouched is False:
            return False
        if vouched is None:  # deepgrad's own layers do not say; any other is the user's
            if not _defined_in_deepgrad(type(layer)):
                return False
            if any(_users_code(value) for value in vars(layer).values()):
                return False
        if any(_users_code(reg) for *_, reg in layer._own_weights if reg is not None):
            return False
    return loss is None or not _users_code(loss)


def _layers(layer: Layer) -> Iterator[Layer]:
    yield layer
    for _, sublayer in layer._sublayers():
        yield from _layers(sublayer)


def _users_code(value: Any, seen: set[int] | None = None) -> bool:
    """Whether ``value`` is code that is not deepgrad's: a function, or an object that is
    called (a loss, a regularizer) whose class, or anything it holds, is someone else's.
    Layers are checked on their own; classes (dtypes) are not called in the step."""
    seen = set() if seen is None else seen
    if id(value) in seen:  # an object met before on this walk (a cycle of references)
        return False
    seen.add(id(value))
    if isinstance(value, functools.partial):
        return _users_code(value.func, seen) or _users_code(value.args, seen)
    if isinstance(value, list | tuple):
        return any(_users_code(item, seen) for item in value)
    if isinstance(value, dict):
        return any(_users_code(item, seen) for item in value.values())
    if not callable(value) or isinstance(value, type | Layer | Tensor):
        return False
    if inspect.isroutine(value):
        return not _defined_in_deepgrad(value)
    if not _defined_in_deepgrad(type(value)):
        return True
    return _users_code(list(getattr(value, "__dict__", {}).values()), seen)


def _defined_in_deepgrad(code: Any) -> bool:
    module = getattr(code, "__module__", None) or ""
    return module == "deepgrad" or module.startswith("deepgrad.")

"""Weight constraints: a projection applied to a weight after every optimizer update.

As in Keras 3, a layer's ``kernel_constraint`` (``bias_constraint``, ...) is kept on the
weight (``variable.constraint``), and the optimizer's step ends with
θ ← constraint(θ) for every parameter that has one: after the update rule, the decoupled
weight decay and the moving average of the weights (which therefore averages the weights
before their projection, as Keras' does). A constraint is a function of the weight alone:
a ``Constraint`` object, one of Keras' names (``"max_norm"``, ``"MaxNorm"``, ...) or any
callable that takes the weight and returns a value of its shape.

The norms are over ``axis`` (0 by default: for a Dense kernel of shape (inputs, units),
the weights that enter each unit), and Keras' ε = 1e-7 keeps a zero norm finite.

>>> import numpy as np
>>> MaxNorm(1.0)(np.array([[3.0], [4.0]])).numpy().ravel().round(6)  # norm 5 → 1
array([0.6, 0.8])
>>> NonNeg()(np.array([-1.0, 2.0])).numpy()
array([0., 2.])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from deepgrad import numpy as dnp
from deepgrad.tensor import Tensor, tensor

EPSILON = 1e-7  # Keras' backend.epsilon(), added to the norms it divides by


def _as_tensor(weight: Any) -> Tensor:
    """The weight as a Tensor (a Variable stays itself), as Keras converts it."""
    return weight if isinstance(weight, Tensor) else tensor(weight)


def _norms(weight: Any, axis: Any) -> Any:
    """‖w‖ over ``axis``, kept as axes of length one so that it broadcasts against w."""
    axes = tuple(axis) if isinstance(axis, list | tuple) else axis
    return dnp.sqrt(dnp.sum(dnp.square(weight), axis=axes, keepdims=True))


class Constraint:
    """Base class: ``constraint(weight)`` returns the projected weight (the identity here).

    Subclasses write ``__call__`` and, when they take arguments, ``get_config``.

    >>> import numpy as np
    >>> class Clipped(Constraint):
    ...     def __call__(self, w):
    ...         return dnp.clip(w, -1.0, 1.0)
    >>> Clipped()(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """

    def __call__(self, weight: Any) -> Any:
        return weight

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class MaxNorm(Constraint):
    """w ← w · min(‖w‖, max_value) / (ε + ‖w‖): the norm over ``axis`` of each slice at
    most ``max_value`` (Srivastava et al., 2014, with dropout).

    >>> import numpy as np
    >>> MaxNorm(2.0)(np.array([[3.0, 0.5], [4.0, 0.0]])).numpy().round(6)
    array([[1.2, 0.5],
           [1.6, 0. ]])
    """

    def __init__(self, max_value: float = 2, axis: int | list[int] | tuple[int, ...] = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, weight: Any) -> Any:
        weight = _as_tensor(weight)
        norms = _norms(weight, self.axis)
        desired = dnp.clip(norms, 0, self.max_value)
        return weight * (desired / (EPSILON + norms))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """w ← w · d / (ε + ‖w‖) with d = rate · clip(‖w‖, min_value, max_value) + (1 − rate) · ‖w‖:
    the norm over ``axis`` brought into [min_value, max_value] (at once with rate 1,
    a fraction ``rate`` of the way otherwise).

    >>> import numpy as np
    >>> MinMaxNorm(1.0, 2.0)(np.array([[0.3], [0.4]])).numpy().ravel().round(6)  # norm 0.5 → 1
    array([0.6, 0.8])
    """

    def __init__(
        self,
        min_value: float = 0.0,
        max_value: float = 1.0,
        rate: float = 1.0,
        axis: int | list[int] | tuple[int, ...] = 0,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, weight: Any) -> Any:
        weight = _as_tensor(weight)
        norms = _norms(weight, self.axis)
        desired = (
            self.rate * dnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return weight * (desired / (EPSILON + norms))

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(Constraint):
    """w ← max(w, 0).

    >>> import numpy as np
    >>> NonNeg()(np.array([-0.5, 0.0, 1.5])).numpy()
    array([0. , 0. , 1.5])
    """

    def __call__(self, weight: Any) -> Any:
        return dnp.maximum(_as_tensor(weight), 0)


class UnitNorm(Constraint):
    """w ← w / (ε + ‖w‖): the norm over ``axis`` of each slice one.

    >>> import numpy as np
    >>> UnitNorm()(np.array([[3.0, 0.0], [4.0, 2.0]])).numpy().round(6)
    array([[0.6, 0. ],
           [0.8, 1. ]])
    """

    def __init__(self, axis: int | list[int] | tuple[int, ...] = 0) -> None:
        self.axis = axis

    def __call__(self, weight: Any) -> Any:
        weight = _as_tensor(weight)
        return weight / (EPSILON + _norms(weight, self.axis))

    def get_config(self) -> dict:
        return {"axis": self.axis}


# Keras' lower-case names are the classes themselves (keras.constraints.max_norm is MaxNorm)
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Keras' names: each class's own and its snake_case alias (keras.constraints.max_norm).
CONSTRAINTS: dict[str, type[Constraint]] = {
    **{cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)},
    "constraint": Constraint,
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}


def get(identifier: Any) -> Callable[[Any], Any] | None:
    """A constraint from None, a name ("max_norm", "MaxNorm", ...), a config dict (what
    ``serialize`` makes), a ``Constraint`` class or object, or any callable, as Keras'
    ``constraints.get``.

    >>> get("unit_norm")
    UnitNorm(axis=0)
    >>> get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})
    MaxNorm(max_value=3, axis=0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in CONSTRAINTS:
            raise ValueError(f"unknown constraint {identifier!r}; known: {', '.join(CONSTRAINTS)}")
        return CONSTRAINTS[identifier]()
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        return identifier
    raise ValueError(
        f"a constraint must be None, a name ({', '.join(CONSTRAINTS)}), a config dict or a "
        f"callable of the weight; got {identifier!r}"
    )


def serialize(constraint: Any) -> dict | None:
    """``{"class_name": ..., "config": ...}`` (Keras' class name), or None for None.

    >>> serialize(MaxNorm(3))
    {'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}
    """
    if constraint is None:
        return None
    # its class's own name, or the one it was registered under (register_keras_serializable)
    names = [name for name, cls in CONSTRAINTS.items() if cls is type(constraint)]
    if not names:
        raise ValueError(
            f"constraint {constraint!r} is not one of deepgrad's ({', '.join(CONSTRAINTS)}) "
            "and cannot be saved; register its class with register_keras_serializable"
        )
    name = type(constraint).__name__ if type(constraint).__name__ in names else names[0]
    return {"class_name": name, "config": constraint.get_config()}


def deserialize(config: dict) -> Constraint:
    """The constraint ``serialize`` described (a Keras-saved one too: its ``module`` and
    ``registered_name`` entries are read as Keras writes them).

    >>> deserialize({"class_name": "NonNeg", "config": {}})
    NonNeg()
    """
    name = config.get("class_name")
    if name not in CONSTRAINTS:
        raise ValueError(
            f"unknown constraint {name!r} in {config!r}; known: {', '.join(CONSTRAINTS)}"
        )
    unexpected = set(config) - {"class_name", "config", "module", "registered_name"}
    module = config.get("module")
    if unexpected or module not in (None, "keras.constraints"):
        raise ValueError(
            f"constraint config {config!r}: expected the keys class_name and config "
            "(and Keras' module 'keras.constraints' and registered_name)"
        )
    return CONSTRAINTS[name].from_config(config.get("config") or {})

"""``Variable``: what ``add_weight`` returns, a Tensor with Keras' ``assign``,
``assign_add``, ``assign_sub`` and ``value``, for state a layer updates in ``call``
(a running sum, a counter), and Keras' ``constraint``: a projection the optimizer applies
after each update (``deepgrad.constraints``).

The updates are effect primitives (as BatchNormalization's moving averages are), so a
compiled step (``compile(jit=True)``, ``deepgrad.compile``) makes them again on every
replay instead of freezing the first one.

>>> import numpy as np
>>> total = Variable(np.zeros(2, np.float32))
>>> total.assign_add(np.ones(2, np.float32)); total.assign_add(np.ones(2, np.float32))
>>> total.numpy()
array([2., 2.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import constraints
from deepgrad.autodiff.effects import Impure
from deepgrad.tensor import Tensor, mark_written, raw_data


class Variable(Tensor):
    """A layer's weight: a Tensor whose value can be replaced in place."""

    __slots__ = ("_constraint",)
    holds_state = True  # moving statistics, adapted means, frozen weights change too

    @property
    def constraint(self) -> Any:
        """The projection an optimizer applies after each update, θ ← constraint(θ), or
        None (Keras' ``variable.constraint``; ``deepgrad.constraints``).

        >>> import numpy as np
        >>> weight = Variable(np.ones(2, np.float32), requires_grad=True)
        >>> weight.constraint = "non_neg"
        >>> weight.constraint
        NonNeg()
        """
        return getattr(self, "_constraint", None)  # unset on a Variable made by _make

    @constraint.setter
    def constraint(self, value: Any) -> None:
        self._constraint = constraints.get(value)

    @property
    def value(self) -> Variable:
        """The variable itself (Keras' ``variable.value``; ``.grad`` is its gradient)."""
        return self

    def assign(self, value: Any) -> None:
        """Replace the value in place (same shape)."""
        self._write("assign", value, self._set)

    def assign_add(self, value: Any) -> None:
        """Add to the value in place."""
        self._write("assign_add", value, self._add)

    def assign_sub(self, value: Any) -> None:
        """Subtract from the value in place."""
        self._write("assign_sub", value, self._subtract)

    def _write(self, name: str, value: Any, write: Any) -> None:
        update = raw_data(value)
        if not hasattr(update, "shape"):  # a number or a list
            update = np.asarray(update)
        target = raw_data(self)
        try:
            fits = np.broadcast_shapes(np.shape(update), target.shape) == target.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"Variable.{name}: a value of shape {np.shape(update)} for a variable of shape "
                f"{target.shape}"
            )
        # an effect primitive (a bound method: the same function on every call, so a
        # compiled step's two recordings agree and each replay writes again)
        Impure(write, name, effect=True)(update)

    def _set(self, update: Any) -> None:
        target = raw_data(self)
        target[...] = update
        mark_written(self)  # a graph made before must not read the new value

    def _add(self, update: Any) -> None:
        target = raw_data(self)
        target += update.astype(target.dtype, copy=False)
        mark_written(self)

    def _subtract(self, update: Any) -> None:
        target = raw_data(self)
        target -= update.astype(target.dtype, copy=False)
        mark_written(self)

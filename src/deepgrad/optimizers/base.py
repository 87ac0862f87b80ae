"""``Optimizer``: one update rule, applied once per step to the whole flat buffer.

A subclass writes ``init_state(values)`` (its flat state arrays) and
``update(values, grads, state, learning_rate)`` (in place). Learning rates may be numbers
or schedules: callables from the step count to a rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.flat import FlatParameters
from deepgrad.tensor import Tensor


class Optimizer:
    """Base class of all optimizers.

    Use it with ``model.compile(optimizer=...)``, or in a plain loop::

        opt = optimizers.SGD(model.trainable_weights, learning_rate=0.1)
        loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, params: Iterable[Tensor] | None = None, learning_rate: Any = 0.01) -> None:
        self.learning_rate = learning_rate
        self.iterations = 0
        self.flat: FlatParameters | None = None
        self.state: list[dict[str, np.ndarray]] = []
        if params is not None:
            self.build(list(params))

    def build(self, params: list[Tensor]) -> None:
        """Bind to ``params`` (their data move into the optimizer's flat buffers)."""
        self.flat = FlatParameters(params)
        self.state = [self.init_state(group.values) for group in self.flat.groups]

    @property
    def params(self) -> list[Tensor]:
        return [] if self.flat is None else self.flat.params

    def current_learning_rate(self) -> float:
        """The rate for the next step (a schedule is evaluated at the step count)."""
        rate = self.learning_rate
        return float(rate(self.iterations) if callable(rate) else rate)

    def zero_grad(self) -> None:
        self._require_built()
        self.flat.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its ``.grad``."""
        self._require_built()
        self.flat.sync()
        rate = self.current_learning_rate()
        self.iterations += 1
        for group, state in zip(self.flat.groups, self.state, strict=True):
            self.update(group.values, group.grads, state, rate)

    def _require_built(self) -> None:
        if self.flat is None:
            raise RuntimeError(
                f"{type(self).__name__}: no parameters; pass them "
                f"({type(self).__name__}(model.trainable_weights, ...)) or compile a model with it"
            )

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def update(self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float) -> None:
        raise NotImplementedError

    # ---- saving -------------------------------------------------------------------------

    def get_config(self) -> dict:
        rate = self.learning_rate
        if isinstance(rate, Callable) and hasattr(rate, "get_config"):
            rate = {"class_name": type(rate).__name__, "config": rate.get_config()}
        elif callable(rate):
            raise ValueError("an optimizer with a plain-function learning rate cannot be saved")
        return {"learning_rate": rate}

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to resume bit for bit: state arrays and the step count."""
        arrays = {"iterations": np.array(self.iterations, np.int64)}
        for g, state in enumerate(self.state):
            for name, array in state.items():
                arrays[f"{g}.{name}"] = array
        return arrays

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore ``state_arrays`` output, after checking every name and shape."""
        expected = self.state_arrays()
        if set(arrays) != set(expected):
            raise ValueError(
                f"{type(self).__name__}: optimizer state has entries {sorted(arrays)}, "
                f"expected {sorted(expected)}"
            )
        for name, array in arrays.items():
            if np.shape(array) != np.shape(expected[name]):
                raise ValueError(
                    f"{type(self).__name__}: optimizer state {name!r} has shape "
                    f"{np.shape(array)}, expected {np.shape(expected[name])}"
                )
        self.iterations = int(arrays["iterations"])
        for g, state in enumerate(self.state):
            for name in state:
                state[name][...] = arrays[f"{g}.{name}"]

"""Weight regularizers: the penalty term of "negative log-likelihood + regulariser".

An L2 penalty λ‖w‖² is the negative log of a Gaussian prior on the weights (MAP
estimation); L1 (λ‖w‖₁) is a Laplace prior; the elastic net combines both.

>>> import numpy as np
>>> float(L2(0.5)(np.array([1.0, 2.0])))
2.5
"""

from __future__ import annotations

from typing import Any

from deepgrad import numpy as dnp
from deepgrad.compiler.settings import Settings
from deepgrad.ops.sum_of_squares import sum_of_squares


class Regularizer(Settings):
    """Base class: ``regularizer(weight)`` returns a scalar penalty. Its attributes are
    settings: reassigning one makes a compiled step record again."""

    def __call__(self, weight: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))


class L1L2(Regularizer):
    """Elastic net: l1·Σ|w| + l2·Σw²."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight: Any) -> Any:
        terms = []
        if self.l1:
            terms.append(self.l1 * dnp.sum(dnp.absolute(weight)))
        if self.l2:
            terms.append(self.l2 * sum_of_squares(weight))
        if not terms:
            return 0.0
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


class L1(L1L2):
    """l1·Σ|w| (a Laplace prior)."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """l2·Σw² (a Gaussian prior; "weight decay" for plain SGD)."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2}
# the class names a Keras-saved config holds ({"class_name": "L2", ...}), taken as Keras does
KERAS_CLASS_NAMES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def _class(name: Any) -> type[Regularizer]:
    found = REGULARIZERS.get(name) or KERAS_CLASS_NAMES.get(name)
    if found is None:
        known = ", ".join([*REGULARIZERS, *KERAS_CLASS_NAMES])
        raise ValueError(f"unknown regularizer {name!r}; known: {known}")
    return found


def get(identifier: Any) -> Regularizer | None:
    """A regularizer from None, a name ("l1", "l2", "l1_l2", or Keras' class names "L1",
    "L2", "L1L2"), a config dict (deepgrad's or Keras') or an object.

    >>> get({"class_name": "L2", "config": {"l2": 0.5}, "module": "keras.regularizers"}).l2
    0.5
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return _class(identifier.get("class_name"))(**identifier.get("config", {}))
    return _class(identifier)()


def serialize(regularizer: Regularizer | None) -> dict | None:
    if regularizer is None:
        return None
    for name, cls in REGULARIZERS.items():
        if type(regularizer) is cls:
            return {"class_name": name, "config": regularizer.get_config()}
    raise ValueError(f"regularizer {regularizer!r} is not registered and cannot be saved")

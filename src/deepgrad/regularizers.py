"""Weight regularizers: the penalty term of "negative log-likelihood + regulariser".

An L2 penalty λ‖w‖² is the negative log of a Gaussian prior on the weights (MAP
estimation); L1 (λ‖w‖₁) is a Laplace prior; the elastic net combines both.

>>> import numpy as np
>>> float(L2(0.5)(np.array([1.0, 2.0])))
2.5
"""

from __future__ import annotations

import math
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

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        """The regularizer ``get_config`` described, as Keras' ``from_config``.

        >>> L1L2.from_config({"l1": 0.1, "l2": 0.2}).l2
        0.2
        """
        return cls(**config)


def _strength(name: str, value: Any, owner: type) -> float:
    """A penalty's factor: a finite number >= 0, as Keras 3 checks it (a negative one would
    reward large weights; NaN makes every loss NaN).

    >>> _strength("l2", -1.0, L2)
    Traceback (most recent call last):
    ...
    ValueError: L2: l2 must be a finite number >= 0, got -1.0
    """
    try:
        number = math.nan if isinstance(value, str | bytes | bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{owner.__name__}: {name} must be a finite number >= 0, got {value!r}")
    return number


class L1L2(Regularizer):
    """Elastic net: l1·Σ|w| + l2·Σw²."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _strength("l1", l1, type(self)), _strength("l2", l2, type(self))

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


class OrthogonalRegularizer(Regularizer):
    """factor · ½ Σ_{i≠j} |⟨u_i, u_j⟩| / (n(n − 1)/2), with u_i the n rows (``mode="rows"``)
    or columns (``"columns"``) of a 2-D weight scaled to unit norm (a norm below 1e-7
    counting as 1e-7): factor times the mean |cosine| over the pairs, 0 when they are
    orthogonal (Keras 3's ``OrthogonalRegularizer``).

    >>> import numpy as np
    >>> float(OrthogonalRegularizer(0.1)(np.array([[1.0, 0.0], [1.0, 1.0]])))  # cos 45°
    0.07071067811865477
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        factor = _strength("factor", factor, type(self))  # NaN, inf refused as Keras does
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}"
            )
        self.factor, self.mode = factor, mode

    def __call__(self, weight: Any) -> Any:
        shape = tuple(dnp.shape(weight))
        if len(shape) != 2:
            raise ValueError(f"OrthogonalRegularizer: the weight must be 2-D, got shape {shape}")
        vectors = weight if self.mode == "rows" else dnp.transpose(weight)
        count = shape[0] if self.mode == "rows" else shape[1]
        if count < 2:
            raise ValueError(
                f"OrthogonalRegularizer(mode={self.mode!r}): a weight of shape {shape} has "
                f"{count} {self.mode[:-1]}; at least two are needed to form a pair"
            )
        # x / max(‖x‖, 1e-7), Keras' normalize; the floor inside the root keeps the
        # gradient of a zero vector finite
        norms = dnp.sqrt(dnp.maximum(dnp.sum(vectors * vectors, axis=1, keepdims=True), 1e-14))
        unit = vectors / norms
        cosines = dnp.absolute(dnp.matmul(unit, dnp.transpose(unit)))
        off_diagonal = dnp.sum(cosines) - dnp.sum(dnp.diagonal(cosines))
        return self.factor * 0.5 * off_diagonal / (count * (count - 1) / 2)


# Keras' lower-case names are the classes themselves (keras.regularizers.l2 is L2)
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

REGULARIZERS = {
    "l1": L1,
    "l2": L2,
    "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}
# the class names a Keras-saved config holds ({"class_name": "L2", ...}), taken as Keras does
KERAS_CLASS_NAMES = {
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
}


def _class(name: Any) -> type[Regularizer]:
    found = REGULARIZERS.get(name) or KERAS_CLASS_NAMES.get(name)
    if found is None:
        known = ", ".join([*REGULARIZERS, *KERAS_CLASS_NAMES])
        raise ValueError(f"unknown regularizer {name!r}; known: {known}")
    return found


def get(identifier: Any) -> Any:
    """A regularizer from None, a name ("l1", "l2", "l1_l2", or Keras' class names "L1",
    "L2", "L1L2"), a config dict (deepgrad's or Keras'), an object, a ``Regularizer``
    class (made with its defaults) or any function of the weight that returns a scalar
    (returned as it is), as Keras 3's ``regularizers.get``.

    >>> get({"class_name": "L2", "config": {"l2": 0.5}, "module": "keras.regularizers"}).l2
    0.5
    >>> get(L1).l1
    0.01
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        return _class(identifier.get("class_name"))(**identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    return _class(identifier)()


def serialize(regularizer: Regularizer | None) -> dict | None:
    if regularizer is None:
        return None
    for name, cls in REGULARIZERS.items():
        if type(regularizer) is cls:
            return {"class_name": name, "config": regularizer.get_config()}
    raise ValueError(
        f"regularizer {regularizer!r} is not one of deepgrad's and cannot be saved; register its "
        "class with register_keras_serializable"
    )


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Regularizer:
    """A regularizer from its saved form, as Keras' ``regularizers.deserialize``:
    ``serialize``'s dict or Keras' (its ``module`` and ``registered_name`` ignored), or a
    name; ``custom_objects`` maps class names to regularizers of your own. Only these
    names are looked up: no code in the config is run.

    >>> deserialize({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}).l2
    0.2
    """
    name = config.get("class_name") if isinstance(config, dict) else config
    settings = config.get("config", {}) if isinstance(config, dict) else {}
    if custom_objects and isinstance(name, str) and name in custom_objects:
        return custom_objects[name](**settings)
    if not isinstance(config, dict | str):
        raise TypeError(
            f"regularizers.deserialize: expected a config dict or a name, got {config!r}"
        )
    return _class(name)(**settings)

"""``ModelClassifier`` and ``ModelRegressor``: any deepgrad model as a scikit-learn
estimator, from a function that builds it (as scikeras' ``KerasClassifier`` does)."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from deepgrad import activations, losses
from deepgrad.models import Model
from deepgrad.sklearn.base import NeuralEstimator, make_optimizer, refuse_unused
from deepgrad.sklearn.classifier import ClassifierBase
from deepgrad.sklearn.regressor import RegressorBase


class ModelBase(NeuralEstimator):
    """``build_model(n_features_in, n_outputs, **model_params)`` returns a deepgrad Model.

    If the model comes back compiled it is trained as it is; otherwise it is compiled with
    ``optimizer`` (a name or an optimizer object) at ``learning_rate`` and ``loss`` (default:
    cross-entropy, on logits or, for a model that ends in a softmax, on probabilities, for
    a classifier; mean squared error for a regressor), and
    ``jit`` (``"auto"`` by default, as ``Model.compile``: compiled when all the code in the
    step is deepgrad's).
    """

    def __init__(
        self,
        build_model: Callable[..., Model] | None = None,
        *,
        model_params: dict | None = None,
        optimizer: Any = "adam",
        learning_rate: float | Callable = 0.001,
        loss: Any = None,
        epochs: int = 10,
        batch_size: int | None = 32,
        shuffle: bool = True,
        random_state: Any = None,
        verbose: bool = False,
        jit: bool | str = "auto",
        dtype: Any = None,
    ) -> None:
        self.build_model = build_model
        self.model_params = model_params
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.jit = jit
        self.dtype = dtype

    # scikit-learn's rules for the parameters it has checks for (its errors, at the start of
    # fit and partial_fit): epochs=0 returned an untrained model, 2.5 ran 2 epochs
    _parameter_constraints: dict = {  # noqa: RUF012 (scikit-learn's name and type)
        "build_model": [callable, None],
        "model_params": [dict, None],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), callable],  # or a schedule
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "jit": ["boolean", StrOptions({"auto"})],
    }

    def _check_parameters(self) -> None:
        self._validate_params()

    def _epochs(self) -> int:
        return int(self.epochs)

    def _batch_size(self, n_samples: int) -> int | None:
        return None if self.batch_size is None else min(int(self.batch_size), n_samples)

    def _default_loss(self, model: Model) -> Any:
        raise NotImplementedError

    def _compile(self, model: Model) -> None:
        """Compile ``model`` with ``optimizer`` at ``learning_rate``, ``loss`` and ``jit``."""
        if self.optimizer is not None and not isinstance(self.optimizer, str):
            refuse_unused(
                self,
                ("learning_rate",),
                f"optimizer is a {type(self.optimizer).__name__} object, which keeps its own "
                "learning rate; set it on the optimizer, or pass optimizer by name",
            )
        model.compile(
            optimizer=make_optimizer(self.optimizer, self.learning_rate),
            loss=self.loss if self.loss is not None else self._default_loss(model),
            jit=self.jit,
        )

    def _outputs_for_zeros(self, model: Model, n_features: int) -> np.ndarray:
        """The model's outputs for one sample of zeros: what its output checks look at."""
        sample = np.zeros((1, n_features), dtype=self._dtype())
        return np.asarray(model.predict(sample, batch_size=None, verbose=0))

    def _check_outputs(self, model: Model, n_features: int, n_outputs: int) -> None:
        """The model must give one output per class or target: one more or fewer trained
        on the wrong targets or failed far from here (an IndexError in predict)."""
        shape = self._outputs_for_zeros(model, n_features).shape
        if shape != (1, n_outputs):
            what = "class" if self._classifier else "target"
            raise ValueError(
                f"{type(self).__name__}: build_model(n_features_in={n_features}, "
                f"n_outputs={n_outputs}) returned a model whose output for one sample has "
                f"shape {shape}; it must be (1, {n_outputs}), one output per {what}"
            )

    def _built(self, n_features: int, n_outputs: int) -> Model:
        name = type(self).__name__
        if not callable(self.build_model):
            raise TypeError(
                f"{name}: build_model must be a function (n_features_in, n_outputs, "
                f"**model_params) -> deepgrad Model, got {self.build_model!r}"
            )
        model = self.build_model(n_features, n_outputs, **(self.model_params or {}))
        if not isinstance(model, Model):
            raise TypeError(
                f"{name}: build_model returned {type(model).__name__}, not a deepgrad Model"
            )
        self._check_outputs(model, n_features, n_outputs)
        if getattr(model, "loss", None) is not None:
            refuse_unused(
                self,
                ("optimizer", "learning_rate", "loss", "jit"),
                "build_model returned a compiled model, which is trained as it was compiled; "
                "compile it with them in build_model, or return it uncompiled",
            )
        else:
            self._compile(model)
        return model


def ends_in_softmax(model: Model) -> bool:
    """Whether the model's last layer is a softmax (its outputs are then probabilities)."""
    last = model.layers[-1] if getattr(model, "layers", None) else None
    if last is None:
        return False
    if type(last).__name__ == "Softmax":
        return True
    activation = getattr(last, "activation", None)
    return callable(activation) and activations.serialize(activation) == "softmax"


class ModelClassifier(ModelBase, ClassifierBase):
    """A classifier from a function building a deepgrad model with one output per class:
    logits, or probabilities if the model ends in a softmax (then trained, unless it comes
    back compiled, on the cross-entropy of probabilities, and ``predict_proba`` gives its
    outputs as they are). A model that ends in a softmax but is compiled with a loss on
    logits (``from_logits=True``) is refused: it would apply the softmax twice.

    >>> import deepgrad as dg
    >>> from deepgrad import layers
    >>> from sklearn.datasets import load_iris
    >>> def build(n_features_in, n_outputs, hidden=16):
    ...     return dg.Sequential([layers.Dense(hidden, activation="relu"),
    ...                           layers.Dense(n_outputs)])
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ModelClassifier(build, model_params={"hidden": 32}, epochs=100,
    ...                       learning_rate=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    def _default_loss(self, model: Model) -> Any:
        return losses.SparseCategoricalCrossentropy(from_logits=not ends_in_softmax(model))

    def _build(self, n_features: int, n_outputs: int) -> Model:
        model = self._built(n_features, n_outputs)
        from_logits = getattr(model.loss, "from_logits", None)
        if ends_in_softmax(model) and from_logits is True:
            raise ValueError(
                f"{type(self).__name__}: the model built by build_model ends in a softmax "
                f"(probabilities), but its loss {type(model.loss).__name__} takes logits "
                "(from_logits=True); end the model with a linear layer, or use a loss on "
                "probabilities (from_logits=False)"
            )
        if from_logits is False:
            self._check_probabilities(model, n_features)
        # a loss that does not say (a function of one's own) leaves it to the last layer
        self._probability_outputs = from_logits is False or (
            from_logits is None and ends_in_softmax(model)
        )
        return model

    def _check_probabilities(self, model: Model, n_features: int) -> None:
        """A loss on probabilities needs a model that gives them: its outputs for a sample
        of zeros must be in [0, 1] and sum to 1 (a model ending in logits would be trained
        on them as probabilities, and predict_proba would give them as they are)."""
        outputs = self._outputs_for_zeros(model, n_features).astype(np.float64)
        if np.any(outputs < 0) or not np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3):
            raise ValueError(
                f"{type(self).__name__}: the loss {type(model.loss).__name__} takes "
                "probabilities (from_logits=False), but the model's outputs for a sample of "
                f"zeros, {outputs[0].round(4).tolist()}, are not probabilities (in [0, 1], "
                "summing to 1); end the model with a softmax, or use a loss on logits "
                "(from_logits=True, the default when the wrapper compiles)"
            )

    def _outputs_are_probabilities(self) -> bool:
        return bool(getattr(self, "_probability_outputs", False))


class ModelRegressor(ModelBase, RegressorBase):
    """A regressor from a function building a deepgrad model with one output per target.

    >>> import numpy as np, deepgrad as dg
    >>> from deepgrad import layers
    >>> X = np.linspace(-1, 1, 100)[:, None]
    >>> reg = ModelRegressor(lambda n_in, n_out: dg.Sequential([layers.Dense(n_out)]),
    ...                      epochs=200, learning_rate=0.05, random_state=0)
    >>> reg.fit(X, 3 * X[:, 0] + 1).score(X, 3 * X[:, 0] + 1) > 0.99
    True
    """

    def _default_loss(self, model: Model) -> Any:
        return "mse"

    def _build(self, n_features: int, n_outputs: int) -> Model:
        return self._built(n_features, n_outputs)

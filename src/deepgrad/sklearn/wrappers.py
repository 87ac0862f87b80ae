"""``ModelClassifier`` and ``ModelRegressor``: any deepgrad model as a scikit-learn
estimator, from a function that builds it (as scikeras' ``KerasClassifier`` does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deepgrad import losses
from deepgrad.models import Model
from deepgrad.sklearn.base import NeuralEstimator, make_optimizer
from deepgrad.sklearn.classifier import ClassifierBase
from deepgrad.sklearn.regressor import RegressorBase


class ModelBase(NeuralEstimator):
    """``build_model(n_features_in, n_outputs, **model_params)`` returns a deepgrad Model.

    If the model comes back compiled it is trained as it is; otherwise it is compiled with
    ``optimizer`` (a name or an optimizer object) at ``learning_rate`` and ``loss`` (default:
    cross-entropy on logits for a classifier, mean squared error for a regressor), and
    ``jit`` (``"auto"`` by default, as ``Model.compile``: compiled when all the code in the
    step is deepgrad's).
    """

    def __init__(
        self,
        build_model: Callable[..., Model] | None = None,
        *,
        model_params: dict | None = None,
        optimizer: Any = "adam",
        learning_rate: float = 0.001,
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

    def _epochs(self) -> int:
        return int(self.epochs)

    def _batch_size(self, n_samples: int) -> int | None:
        return None if self.batch_size is None else min(int(self.batch_size), n_samples)

    def _built(self, n_features: int, n_outputs: int, default_loss: Any) -> Model:
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
        if getattr(model, "loss", None) is None:
            model.compile(
                optimizer=make_optimizer(self.optimizer, self.learning_rate),
                loss=self.loss if self.loss is not None else default_loss,
                jit=self.jit,
            )
        return model


class ModelClassifier(ModelBase, ClassifierBase):
    """A classifier from a function building a deepgrad model with one logit per class.

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

    def _build(self, n_features: int, n_outputs: int) -> Model:
        return self._built(
            n_features, n_outputs, losses.SparseCategoricalCrossentropy(from_logits=True)
        )


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

    def _build(self, n_features: int, n_outputs: int) -> Model:
        return self._built(n_features, n_outputs, "mse")

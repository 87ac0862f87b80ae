"""Regression on top of ``NeuralEstimator``: one linear output per target column."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import column_or_1d

from deepgrad.sklearn.base import NeuralEstimator


class RegressorBase(RegressorMixin, NeuralEstimator):
    """y of shape (n,) or (n, k): ``predict`` gives the same shape back (but for y of
    shape (n, 1) where ``_column_y_is_1d``, as in scikit-learn's MLPRegressor)."""

    _column_y_is_1d = False

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (n, k): k linear outputs
        return tags

    def _one_d(self, y: np.ndarray) -> np.ndarray:
        """As scikit-learn's MLPRegressor: a column y becomes 1-d, with its
        DataConversionWarning (then ``predict`` gives shape (n,))."""
        if self._column_y_is_1d and y.ndim == 2 and y.shape[1] == 1:
            return column_or_1d(y, warn=True)
        return y

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(len(y), -1).astype(self._dtype())

    def _n_outputs(self, targets: np.ndarray) -> int:
        self.n_outputs_ = int(targets.shape[1])
        return self.n_outputs_

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RegressorBase:
        """Train on (X, y) for up to ``max_iter`` epochs: a new model, or, with
        ``warm_start``, the fitted one. ``sample_weight`` weighs each sample's loss (and,
        with ``early_stopping``, the validation R²)."""
        self._check_parameters()
        warm = self._warm()
        X, y = self._check_X_y(X, y, reset=not warm)
        y = self._one_d(y)
        targets = self._targets(y)
        if warm:
            self._check_same_outputs(targets, "fit")
        sample_weight = self._check_sample_weight(sample_weight, X, "fit")
        self._y_ndim = np.ndim(y)
        if warm:
            self._continue()
        else:
            self._start(X, targets)
        self._fit(X, targets, incremental=False, sample_weight=sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> RegressorBase:
        """One epoch over (X, y), weighted by ``sample_weight``, starting a model on the
        first call."""
        self._check_parameters()
        self._check_partial_fit()
        first = not hasattr(self, "model_")
        X, y = self._check_X_y(X, y, reset=first)
        y = self._one_d(y)
        targets = self._targets(y)
        if not first:
            self._check_same_outputs(targets, "partial_fit")
        sample_weight = self._check_sample_weight(sample_weight, X, "partial_fit")
        if first:
            self._y_ndim = np.ndim(y)
            self._start(X, targets)
        self._fit(X, targets, incremental=True, sample_weight=sample_weight)
        return self

    def _check_same_outputs(self, targets: np.ndarray, what: str) -> None:
        if targets.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}.{what}: y has {targets.shape[1]} columns; the "
                f"model was started with {self.n_outputs_}"
            )

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: shape (n,) if the model was fitted on a 1-d y."""
        outputs = self._forward(X).astype(np.float64)  # as scikit-learn's regressors
        return outputs.ravel() if self._y_ndim == 1 else outputs

    def _validation_score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """R² (weighted by ``sample_weight``), as scikit-learn's ``score``."""
        predicted = self.model_.predict(X, batch_size=None, verbose=0)
        return float(r2_score(y, predicted, sample_weight=sample_weight))

"""Regression on top of ``NeuralEstimator``: one linear output per target column."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from deepgrad.sklearn.base import NeuralEstimator


class RegressorBase(RegressorMixin, NeuralEstimator):
    """y of shape (n,) or (n, k): ``predict`` gives the same shape back."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y of shape (n, k): k linear outputs
        return tags

    def _targets(self, y: np.ndarray) -> np.ndarray:
        return y.reshape(len(y), -1).astype(self._dtype())

    def _n_outputs(self, targets: np.ndarray) -> int:
        self.n_outputs_ = int(targets.shape[1])
        return self.n_outputs_

    def fit(self, X: Any, y: Any) -> RegressorBase:
        """Train a new model on (X, y) for up to ``max_iter`` epochs."""
        X, y = self._check_X_y(X, y, reset=True)
        self._y_ndim = np.ndim(y)
        targets = self._targets(y)
        self._start(X, targets)
        self._fit(X, targets, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any) -> RegressorBase:
        """One epoch over (X, y), starting a model on the first call."""
        self._check_partial_fit()
        first = not hasattr(self, "model_")
        X, y = self._check_X_y(X, y, reset=first)
        targets = self._targets(y)
        if first:
            self._y_ndim = np.ndim(y)
            self._start(X, targets)
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}.partial_fit: y has {targets.shape[1]} columns; the "
                f"model was started with {self.n_outputs_}"
            )
        self._fit(X, targets, incremental=True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: shape (n,) if the model was fitted on a 1-d y."""
        outputs = self._forward(X).astype(np.float64)  # as scikit-learn's regressors
        return outputs.ravel() if self._y_ndim == 1 else outputs

    def _validation_score(self, X: Any, y: Any) -> float:
        return float(r2_score(y, self.model_.predict(X, batch_size=None, verbose=0)))

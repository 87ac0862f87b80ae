"""scikit-learn's stopping rule as a callback, so that an estimator trains in one ``fit``.

scikit-learn's MLP stops when the training loss (or, with ``early_stopping``, the
validation score) has not improved by ``tol`` for more than ``n_iter_no_change`` epochs in
a row (``n_iter_no_change + 1`` stalled epochs).
:class:`StoppingRule` applies that rule at the end of each epoch of one ``model.fit``
call and keeps the estimator's records (``loss_curve_``, ``n_iter_``, ``t_``,
``validation_scores_``, ``best_loss_``...) as it goes. One ``fit`` for every epoch,
rather than one per epoch: what ``fit`` prepares once (its data, callbacks, and the
end-of-training estimate of σ̂²) is then prepared once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.training.callbacks import Callback


class StoppingRule(Callback):
    """Record each epoch on ``estimator`` and stop training when scikit-learn would.

    ``validation`` is (score function, X_val, y_val) with ``early_stopping``, else None;
    ``patience`` None never stops (``partial_fit``'s single epoch).
    """

    def __init__(
        self,
        estimator: Any,
        samples: int,
        tol: float,
        patience: int | None,
        validation: tuple[Callable, Any, Any] | None,
    ) -> None:
        super().__init__()
        self.estimator = estimator
        self.samples = samples
        self.tol = tol
        self.patience = patience
        self.validation = validation
        self.stalled = 0
        self.converged = False
        self.best_weights: list | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        estimator = self.estimator
        loss = float((logs or {})["loss"])
        if not np.isfinite(loss):
            raise ValueError(
                f"{type(estimator).__name__}.fit: the training loss became {loss} at iteration "
                f"{estimator.n_iter_ + 1}; lower learning_rate_init or scale the inputs"
            )
        estimator.loss_curve_.append(loss)
        estimator.n_iter_ += 1
        estimator.t_ += self.samples
        if getattr(estimator, "verbose", False):
            print(f"Iteration {estimator.n_iter_}, loss = {loss:.8f}")
        if self.patience is None:
            return
        if self.validation is not None:
            score_of, X_val, y_val = self.validation
            score = score_of(X_val, y_val)
            estimator.validation_scores_.append(score)
            improved = score >= estimator.best_validation_score_ + self.tol
            if score > estimator.best_validation_score_:
                estimator.best_validation_score_ = score
                self.best_weights = self.model.get_weights()
        else:
            improved = loss <= estimator.best_loss_ - self.tol
            estimator.best_loss_ = min(estimator.best_loss_, loss)
        self.stalled = 0 if improved else self.stalled + 1
        # scikit-learn's test is `count > n_iter_no_change`: n_iter_no_change stalled epochs
        # are allowed, the next one stops
        if self.stalled > self.patience:
            self.converged = True
            self.model.stop_training = True

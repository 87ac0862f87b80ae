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

    ``validation`` is (score function, X_val, y_val, validation weights) with
    ``early_stopping``, else None; ``patience`` None never stops (``partial_fit``'s single
    epoch), though the records go on as in scikit-learn. The count of stalled epochs
    (``_no_improvement_count``) and the best weights on validation (``_best_weights``) live
    on the estimator, so that a warm-started ``fit`` carries them on as scikit-learn does.
    ``weighted`` says whether training has sample weights (for the error a batch whose
    weights sum to 0 leads to).
    """

    def __init__(
        self,
        estimator: Any,
        samples: int,
        tol: float,
        patience: int | None,
        validation: tuple[Callable, Any, Any, Any] | None,
        weighted: bool = False,
    ) -> None:
        super().__init__()
        self.estimator = estimator
        self.samples = samples
        self.tol = tol
        self.patience = patience
        self.validation = validation
        self.weighted = weighted
        self.converged = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        estimator = self.estimator
        loss = float((logs or {})["loss"])
        if not np.isfinite(loss):
            hint = " (or a batch whose sample weights sum to 0)" if self.weighted else ""
            raise ValueError(
                f"{type(estimator).__name__}.fit: the training loss became {loss} at iteration "
                f"{estimator.n_iter_ + 1}{hint}; lower learning_rate_init or scale the inputs"
            )
        estimator.loss_curve_.append(loss)
        estimator.n_iter_ += 1
        estimator.t_ += self.samples
        if getattr(estimator, "verbose", False):
            print(f"Iteration {estimator.n_iter_}, loss = {loss:.8f}")
        improved = self._record(loss)
        stalled = 0 if improved else getattr(estimator, "_no_improvement_count", 0) + 1
        estimator._no_improvement_count = stalled
        # scikit-learn's test is `count > n_iter_no_change`: n_iter_no_change stalled epochs
        # are allowed, the next one stops
        if self.patience is not None and stalled > self.patience:
            self.converged = True
            self.model.stop_training = True

    def _record(self, loss: float) -> bool:
        """Record the epoch's validation score (with ``early_stopping``) or best loss;
        whether it improved by ``tol``."""
        estimator = self.estimator
        if self.validation is None:
            improved = loss <= estimator.best_loss_ - self.tol
            estimator.best_loss_ = min(estimator.best_loss_, loss)
            return improved
        score_of, X_val, y_val, weights_val = self.validation
        score = score_of(X_val, y_val, weights_val)
        estimator.validation_scores_.append(score)
        improved = score >= estimator.best_validation_score_ + self.tol
        if score > estimator.best_validation_score_:
            estimator.best_validation_score_ = score
            estimator._best_weights = self.model.get_weights()
        return improved

"""What every deepgrad estimator shares: input checks, seeding, training (one ``fit`` with
scikit-learn's stopping rule, ``tol``, ``n_iter_no_change`` and ``early_stopping``, as a
callback: stopping.py), ``partial_fit`` and predictions."""

from __future__ import annotations

import contextlib
import copy
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from deepgrad import optimizers
from deepgrad import random as dg_random
from deepgrad.backend import get_default_dtype
from deepgrad.models import Model
from deepgrad.saving import load_model
from deepgrad.sklearn.stopping import StoppingRule


def make_optimizer(optimizer: Any, learning_rate: float, adam_options: dict | None = None) -> Any:
    """``None``/"adam": Adam with ``learning_rate`` (and β₁, β₂, ε); another name: that
    optimizer with ``learning_rate``; an optimizer object: a copy of it (never the user's own
    object, which ``fit`` would otherwise change)."""
    if optimizer is None or (isinstance(optimizer, str) and optimizer.lower() == "adam"):
        return optimizers.Adam(learning_rate=learning_rate, **(adam_options or {}))
    if isinstance(optimizer, str):
        return type(optimizers.get(optimizer))(learning_rate=learning_rate)
    return copy.deepcopy(optimizers.get(optimizer))


def model_file_bytes(model: Model) -> bytes:
    """The bytes of ``model.save`` (written to a scratch folder and read back)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.dg"
        model.save(path)
        return path.read_bytes()


def model_from_file_bytes(blob: bytes, jit: bool | str) -> Model:
    """``load_model`` of bytes from ``model_file_bytes``, its steps run as ``jit`` says."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.dg"
        path.write_bytes(blob)
        model = load_model(path)
    if getattr(model, "optimizer", None) is not None:  # compiled by load_model
        model.jit = jit
    return model


class NeuralEstimator(BaseEstimator):
    """Base class: subclasses write ``_build(n_features, n_outputs)`` (a compiled Model),
    ``_encode_targets``, ``_decode``, ``_validation_score`` and say how many epochs
    (``_epochs``) and how large a batch (``_batch_size``) they train with."""

    _classifier = False

    # ---- the parts a subclass writes -----------------------------------------------------

    def _build(self, n_features: int, n_outputs: int) -> Model:
        raise NotImplementedError

    def _epochs(self) -> int:
        raise NotImplementedError

    def _batch_size(self, n_samples: int) -> int | None:
        raise NotImplementedError

    def _stopping(self) -> tuple[bool, float, int, float]:
        """(early_stopping, tol, n_iter_no_change, validation_fraction); by default the
        loop runs every epoch."""
        return False, -np.inf, np.iinfo(np.int32).max, 0.1

    # ---- data ----------------------------------------------------------------------------

    def _dtype(self) -> np.dtype:
        return np.dtype(getattr(self, "dtype", None) or get_default_dtype())

    def _check_X(self, X: Any, reset: bool) -> Any:
        return validate_data(self, X, reset=reset, dtype=self._dtype(), ensure_min_samples=1)

    def _check_X_y(self, X: Any, y: Any, reset: bool) -> tuple[Any, Any]:
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=self._dtype(),
            multi_output=not self._classifier,
            y_numeric=not self._classifier,
        )
        return X, y

    def _drawing(self) -> Any:
        """A block in which the estimator's random draws (weights, shuffling, dropout) come
        from its own generators, seeded from ``random_state`` by ``fit`` and carried on by
        ``partial_fit``: an int gives the same model on every fit, and, as in scikit-learn,
        deepgrad's global generator (``deepgrad.random.seed``) is neither reseeded nor
        moved. Without ``random_state`` the draws come from the global generator."""
        streams = getattr(self, "_streams_", None)
        return contextlib.nullcontext() if streams is None else dg_random.using(streams)

    # ---- training ------------------------------------------------------------------------

    def _start(self, X: np.ndarray, targets: np.ndarray) -> None:
        state = getattr(self, "random_state", None)
        self._streams_ = None
        if state is not None:
            value = int(check_random_state(state).randint(np.iinfo(np.int32).max))
            self._streams_ = dg_random.Streams.seeded(value)
        n_outputs = self._n_outputs(targets)
        with self._drawing():
            self.model_ = self._build(X.shape[1], n_outputs)
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = None
        self.best_loss_: float | None = np.inf
        self.best_validation_score_: float | None = None
        self.n_iter_ = 0
        self.t_ = 0

    def _n_outputs(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _check_partial_fit(self) -> None:
        """As scikit-learn: ``partial_fit`` refuses ``early_stopping`` rather than ignore it."""
        if self._stopping()[0]:
            raise ValueError(
                f"{type(self).__name__}.partial_fit: early_stopping=True is not supported (one "
                "epoch has no validation split); set early_stopping=False or call fit"
            )

    def _fit(self, X: Any, targets: Any, incremental: bool) -> NeuralEstimator:
        early_stopping, tol, patience, fraction = self._stopping()
        early_stopping = early_stopping and not incremental
        X_val = y_val = None
        if early_stopping:
            stratify = targets if self._classifier else None
            X, X_val, targets, y_val = train_test_split(
                X,
                targets,
                test_size=fraction,
                stratify=stratify,
                random_state=check_random_state(getattr(self, "random_state", None)),
            )
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        # cast once here rather than batch by batch in fit (the model's dtype: float32 unless
        # dtype= says otherwise; scikit-learn validated X as float64)
        dtype = self.model_.dtype
        if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.dtype != dtype:
            X = X.astype(dtype)
        epochs = 1 if incremental else self._epochs()
        # as scikit-learn: n_iter_ counts this call's epochs, loss_curve_ and t_ every call's
        self.n_iter_ = 0
        batch_size = self._batch_size(X.shape[0])
        validation = (self._validation_score, X_val, y_val) if early_stopping else None
        rule = StoppingRule(self, X.shape[0], tol, None if incremental else patience, validation)
        if epochs > 0:
            with self._drawing():
                self.model_.fit(
                    X,
                    targets,
                    batch_size=batch_size,
                    epochs=epochs,
                    shuffle=getattr(self, "shuffle", True),
                    verbose=0,
                    callbacks=[rule],
                )
        unbounded = patience >= np.iinfo(np.int32).max  # scikit-learn's "never stop"
        if not incremental and epochs > 0 and not unbounded and not rule.converged:
            warnings.warn(
                f"{type(self).__name__}: max_iter={epochs} reached and the optimization "
                "has not converged yet",
                ConvergenceWarning,
                stacklevel=3,
            )
        if rule.best_weights is not None:
            self.model_.set_weights(rule.best_weights)  # as scikit-learn: the best on validation
        return self

    def _validation_score(self, X: Any, y: Any) -> float:
        raise NotImplementedError

    # ---- pickling (joblib, GridSearchCV(n_jobs=...), check_estimators_pickle) ------------

    def __getstate__(self) -> dict:
        """The fitted model travels as deepgrad's own model file (architecture as JSON,
        weights and optimizer state as safetensors), not as pickled Python objects: a
        compiled training step cannot be pickled, and need not be."""
        state = dict(super().__getstate__())  # a copy: it may be self.__dict__ itself
        model = state.pop("model_", None)
        if model is not None:
            state["_model_file"] = model_file_bytes(model)
        return state

    def __setstate__(self, state: dict) -> None:
        blob = state.pop("_model_file", None)
        super().__setstate__(state)
        if blob is not None:
            self.model_ = model_from_file_bytes(blob, jit=getattr(self, "jit", False))

    # ---- prediction ----------------------------------------------------------------------

    def _forward(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = self._check_X(X, reset=False)
        return np.asarray(self.model_.predict(X, batch_size=None, verbose=0))

"""What every deepgrad estimator shares: input checks, seeding, training (one ``fit`` with
scikit-learn's stopping rule, ``tol``, ``n_iter_no_change`` and ``early_stopping``, as a
callback: stopping.py), ``partial_fit`` and predictions."""

from __future__ import annotations

import contextlib
import copy
import inspect
import numbers
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from deepgrad import optimizers
from deepgrad import random as dg_random
from deepgrad.backend import get_default_dtype
from deepgrad.models import Model
from deepgrad.saving import load_model
from deepgrad.sklearn.stopping import StoppingRule


def make_optimizer(optimizer: Any, learning_rate: Any, adam_options: dict | None = None) -> Any:
    """``None``/"adam": Adam with ``learning_rate`` (a number or a schedule; and β₁, β₂, ε);
    another name: that optimizer with ``learning_rate``; an optimizer object: a copy of it
    (never the user's own object, which ``fit`` would otherwise change)."""
    if optimizer is None or (isinstance(optimizer, str) and optimizer.lower() == "adam"):
        return optimizers.Adam(learning_rate=learning_rate, **(adam_options or {}))
    if isinstance(optimizer, str):
        return type(optimizers.get(optimizer))(learning_rate=learning_rate)
    return copy.deepcopy(optimizers.get(optimizer))


def refuse_unused(estimator: Any, keys: tuple[str, ...], why: str) -> None:
    """Raise, naming them, if any of ``keys`` is set away from its default while ``why``
    says it would not be used (a value equal to the default cannot be told from it)."""
    defaults = inspect.signature(type(estimator).__init__).parameters
    changed = [
        f"{key}={getattr(estimator, key)!r}"
        for key in keys
        if not _same(getattr(estimator, key), defaults[key].default)
    ]
    if changed:
        raise ValueError(
            f"{type(estimator).__name__}: {', '.join(changed)} would not be used: {why}"
        )


def _same(value: Any, default: Any) -> bool:
    if value is default:
        return True
    plain = (str, numbers.Number, type(None))  # NumPy's scalars too
    return isinstance(value, plain) and isinstance(default, plain) and value == default


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

    def _stopping(self) -> tuple[bool, float, int | None, float]:
        """(early_stopping, tol, n_iter_no_change, validation_fraction); by default
        (n_iter_no_change None) the loop runs every epoch, with no ConvergenceWarning."""
        return False, -np.inf, None, 0.1

    def _check_parameters(self) -> None:
        """Check the parameters, at the start of ``fit`` and ``partial_fit`` (as
        scikit-learn checks them)."""

    # ---- data ----------------------------------------------------------------------------

    def _dtype(self) -> np.dtype:
        """The model's dtype (``dtype``, or deepgrad's default): a floating one, which X is
        cast to (an integer dtype would truncate X)."""
        dtype = np.dtype(getattr(self, "dtype", None) or get_default_dtype())
        if dtype.kind != "f":
            raise ValueError(
                f"{type(self).__name__}: dtype must be a floating dtype (float32 or float64), "
                f"got {getattr(self, 'dtype', None)!r}"
            )
        return dtype

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
        """A new model and fresh records (scikit-learn's ``_initialize``)."""
        self._seed_streams()
        n_outputs = self._n_outputs(targets)
        with self._drawing():
            self.model_ = self._build(X.shape[1], n_outputs)
        self._draws_to_skip = self._initial_draws(X.shape[1], n_outputs)
        early_stopping = self._stopping()[0]
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = [] if early_stopping else None
        self.best_loss_: float | None = None if early_stopping else np.inf
        self.best_validation_score_: float | None = -np.inf if early_stopping else None
        self._no_improvement_count = 0
        self._best_weights: list | None = None
        self.n_iter_ = 0
        self.t_ = 0

    def _seed_streams(self) -> None:
        state = getattr(self, "random_state", None)
        self._streams_ = None
        if state is not None:
            value = int(check_random_state(state).randint(np.iinfo(np.int32).max))
            self._streams_ = dg_random.Streams.seeded(value)

    def _warm(self) -> bool:
        """Whether ``fit`` goes on from the fitted model (``warm_start``) rather than
        starting a new one."""
        return bool(getattr(self, "warm_start", False)) and hasattr(self, "model_")

    def _continue(self) -> None:
        """``fit`` with ``warm_start`` on a fitted model: as scikit-learn, the weights and
        the records (``loss_curve_``, ``t_``, ``best_loss_``, the count of stalled epochs,
        ``validation_scores_``, ``best_validation_score_`` and the best weights so far) go
        on, while the random draws start again from ``random_state`` and the optimizer
        afresh (scikit-learn makes a new one on each ``fit``; ``partial_fit`` keeps it)."""
        name = type(self).__name__
        early_stopping = self._stopping()[0]
        if early_stopping != (getattr(self, "validation_scores_", None) is not None):
            raise ValueError(
                f"{name}.fit: warm_start=True with early_stopping={early_stopping}, but the "
                f"model was fitted with early_stopping={not early_stopping}: its records "
                "(validation_scores_ or best_loss_) cannot go on; set early_stopping back or "
                "fit with warm_start=False"
            )
        self._seed_streams()
        self._draws_to_skip = 0  # scikit-learn draws no initial weights on a warm start
        self._restart_optimizer()

    def _restart_optimizer(self) -> None:
        raise NotImplementedError

    def _check_sample_weight(
        self, sample_weight: Any, X: np.ndarray, what: str
    ) -> np.ndarray | None:
        """``sample_weight`` checked as scikit-learn's MLP does (one weight per sample, a
        number for all, not all zero), and refused where negative: the objective divides
        each batch's weighted losses by its total weight, which a negative weight may
        bring to 0 or below, turning the step around."""
        if sample_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        negative = weights < 0
        if np.any(negative):
            raise ValueError(
                f"{type(self).__name__}.{what}: sample_weight holds {int(negative.sum())} "
                f"negative weights (the first at index {int(np.argmax(negative))}: "
                f"{weights[negative][0]}); the weights must be >= 0"
            )
        return weights

    def _n_outputs(self, targets: np.ndarray) -> int:
        raise NotImplementedError

    def _check_partial_fit(self) -> None:
        """As scikit-learn: ``partial_fit`` refuses ``early_stopping`` rather than ignore it."""
        if self._stopping()[0]:
            raise ValueError(
                f"{type(self).__name__}.partial_fit: early_stopping=True is not supported (one "
                "epoch has no validation split); set early_stopping=False or call fit"
            )

    def _fit(
        self, X: Any, targets: Any, incremental: bool, sample_weight: np.ndarray | None = None
    ) -> NeuralEstimator:
        early_stopping, tol, patience, fraction = self._stopping()
        early_stopping = early_stopping and not incremental
        validation = None
        if early_stopping:
            X, targets, sample_weight, validation = self._validation_split(
                X, targets, sample_weight, fraction
            )
        # cast once here rather than batch by batch in fit (the model's dtype: float32 unless
        # dtype= says otherwise; scikit-learn validated X as float64)
        dtype = self.model_.dtype
        if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.dtype != dtype:
            X = X.astype(dtype)
        epochs = 1 if incremental else self._epochs()
        # as scikit-learn: n_iter_ counts this call's epochs, loss_curve_ and t_ every call's
        self.n_iter_ = 0
        batch_size = self._batch_size(X.shape[0])
        weighted = sample_weight is not None
        rule = StoppingRule(
            self, X.shape[0], tol, None if incremental else patience, validation, weighted
        )
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
                    sample_weight=sample_weight,
                )
        if not incremental and epochs > 0 and patience is not None and not rule.converged:
            warnings.warn(
                f"{type(self).__name__}: max_iter={epochs} reached and the optimization "
                "has not converged yet",
                ConvergenceWarning,
                stacklevel=3,
            )
        if early_stopping and self._best_weights is not None:
            # as scikit-learn: the best on validation, over every warm-started fit so far
            self.model_.set_weights(self._best_weights)
        return self

    def _validation_split(
        self, X: Any, targets: Any, sample_weight: np.ndarray | None, fraction: float
    ) -> tuple:
        """(X, targets, sample_weight) to train on and (score, X_val, y_val, weights_val)
        to validate on, split as scikit-learn's MLP splits (stratified for a binary
        classifier only: scikit-learn stratifies when its network has one output; the
        weights with their samples, the validation score weighted by them), from the same
        draws of ``random_state`` (``_split_random_state``)."""
        arrays = (X, targets) if sample_weight is None else (X, targets, sample_weight)
        binary = self._classifier and len(getattr(self, "classes_", ())) == 2
        parts = train_test_split(
            *arrays,
            test_size=fraction,
            stratify=targets if binary else None,
            random_state=self._split_random_state(),
        )
        X, X_val, targets, y_val = parts[:4]
        weights, weights_val = parts[4:] if sample_weight is not None else (None, None)
        return X, targets, weights, (self._validation_score, X_val, y_val, weights_val)

    def _split_random_state(self) -> np.random.RandomState:
        """The generator the validation split draws from. scikit-learn's MLP draws it from
        the generator that drew the initial weights, after them: with an int
        ``random_state``, a new model's split skips as many numbers as scikit-learn's
        initial weights take (``_initial_draws``), so that it is scikit-learn's split; a
        warm-started fit's starts at the seed, as scikit-learn's."""
        random_state = getattr(self, "random_state", None)
        state = check_random_state(random_state)
        skip = getattr(self, "_draws_to_skip", 0)
        if isinstance(random_state, numbers.Integral) and skip:
            state.random_sample(skip)
        return state

    def _initial_draws(self, n_features: int, n_outputs: int) -> int:
        """How many numbers scikit-learn's MLP draws for the initial weights of the same
        network (0 where there is no such network)."""
        return 0

    def _validation_score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
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

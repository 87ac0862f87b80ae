"""Classification on top of ``NeuralEstimator``: labels of any kind (``classes_``), a
softmax over the classes (``predict_proba``), ``partial_fit`` with ``classes``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from deepgrad.sklearn.base import NeuralEstimator


class ClassifierBase(ClassifierMixin, NeuralEstimator):
    """The model's outputs are one logit per class (two for a binary problem), trained by
    cross-entropy; ``predict_proba`` is their softmax."""

    _classifier = True

    def _refuse_several_labels(self, y: Any, what: str) -> None:
        """y of shape (n, k), k > 1 (a multilabel indicator matrix, or several outputs), is
        refused by name: scikit-learn's MLPClassifier trains one logistic output per label
        there, which these classifiers (one softmax over the classes) do not offer."""
        kind = type_of_target(y)  # handles every array-like scikit-learn's checks pass
        if kind == "multilabel-indicator" or kind.endswith("-multioutput"):
            shape = y.shape if hasattr(y, "shape") else np.asarray(y).shape
            raise ValueError(
                f"{type(self).__name__}.{what}: y has shape {tuple(shape)}, a label matrix "
                f"({kind}), but this classifier takes one label per sample, y of shape "
                "(n_samples,); multilabel classification is not supported"
            )

    def _labels(self, y: Any) -> np.ndarray:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _set_classes(self, classes: np.ndarray, what: str) -> None:
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__}.{what}: needs samples of at least 2 classes; got 1 class "
                f"({classes.tolist()})"
            )
        self.classes_ = classes

    def _indices(self, y: np.ndarray) -> np.ndarray:
        positions = np.searchsorted(self.classes_, y)
        positions = np.clip(positions, 0, len(self.classes_) - 1)
        unknown = self.classes_[positions] != y
        if np.any(unknown):
            raise ValueError(
                f"{type(self).__name__}: y holds labels {np.unique(y[unknown]).tolist()} that "
                f"are not in classes_ {self.classes_.tolist()}"
            )
        return positions.astype(np.int64)

    def _n_outputs(self, targets: np.ndarray) -> int:
        return len(self.classes_)

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ClassifierBase:
        """Train on (X, y) for up to ``max_iter`` epochs: a new model, or, with
        ``warm_start``, the fitted one, on the same classes. ``sample_weight`` weighs each
        sample's loss (and, with ``early_stopping``, its validation accuracy)."""
        self._check_parameters()
        self._refuse_several_labels(y, "fit")
        warm = self._warm()
        X, y = self._check_X_y(X, y, reset=not warm)
        y = self._labels(y)
        if warm:
            self._check_same_classes(np.unique(y))
        else:
            self._set_classes(np.unique(y), "fit")
        targets = self._indices(y)
        sample_weight = self._check_sample_weight(sample_weight, X, "fit")
        if warm:
            self._continue()
        else:
            self._start(X, targets)
        self._fit(X, targets, incremental=False, sample_weight=sample_weight)
        return self

    def _check_same_classes(self, classes: np.ndarray) -> None:
        """As scikit-learn: a warm-started ``fit`` needs y to hold exactly the classes the
        model was fitted on."""
        if set(classes.tolist()) != set(self.classes_.tolist()):
            raise ValueError(
                f"{type(self).__name__}.fit: warm_start=True needs y to hold the classes of "
                f"the previous fit, {self.classes_.tolist()}; y holds {classes.tolist()}. "
                "Fit with warm_start=False for new classes"
            )

    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> ClassifierBase:
        """One epoch over (X, y), weighted by ``sample_weight``; the first call needs
        ``classes`` (all the labels)."""
        self._check_parameters()
        self._refuse_several_labels(y, "partial_fit")
        self._check_partial_fit()
        first = not hasattr(self, "model_")
        X, y = self._check_X_y(X, y, reset=first)
        y = self._labels(y)
        if first:
            if classes is None:
                raise ValueError(
                    f"{type(self).__name__}.partial_fit: the first call needs classes (every "
                    "label that y may hold)"
                )
            self._set_classes(np.unique(np.asarray(classes)), "partial_fit")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"{type(self).__name__}.partial_fit: classes {list(classes)} differ from the "
                f"first call's {self.classes_.tolist()}"
            )
        targets = self._indices(y)
        sample_weight = self._check_sample_weight(sample_weight, X, "partial_fit")
        if first:
            self._start(X, self.classes_)
        self._fit(X, targets, incremental=True, sample_weight=sample_weight)
        return self

    def _outputs_are_probabilities(self) -> bool:
        """Whether the model gives probabilities (a softmax) rather than logits."""
        return False

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability of each class in ``classes_`` (columns), per sample (rows)."""
        outputs = self._forward(X).astype(np.float64)
        if self._outputs_are_probabilities():
            return outputs
        outputs -= outputs.max(axis=1, keepdims=True)
        weights = np.exp(outputs)
        return weights / weights.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of ``predict_proba``."""
        outputs = self._forward(X).astype(np.float64)
        if self._outputs_are_probabilities():
            with np.errstate(divide="ignore"):
                return np.log(outputs)
        outputs -= outputs.max(axis=1, keepdims=True)
        return outputs - np.log(np.exp(outputs).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample."""
        logits = self._forward(X)  # first: it raises NotFittedError before classes_ exists
        return self.classes_[np.argmax(logits, axis=1)]

    def _validation_score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """The accuracy (weighted by ``sample_weight``), as scikit-learn's ``score``."""
        predicted = np.argmax(self.model_.predict(X, batch_size=None, verbose=0), axis=1)
        return float(np.average(predicted == y, weights=sample_weight))

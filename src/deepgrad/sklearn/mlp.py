"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators of those names, trained
by deepgrad, with scikit-learn's parameters where they mean the same and deepgrad's own
(``optimizer``, ``loss``, ``jit``, ``dtype``). The training step is compiled by default
(``jit=True``: the same numbers as eager, bit for bit, several times faster on small
batches); ``jit=False`` runs it eagerly.

Differences from scikit-learn, on purpose: any deepgrad optimizer (``solver`` is not taken;
``optimizer=None`` is Adam with ``learning_rate_init``, ``beta_1``, ``beta_2``, ``epsilon``);
a binary classifier has two softmax outputs rather than one logistic output (the same model
family); the model is float32 unless ``dtype="float64"``; Adam adds ε to √v̂ (as the paper
and PyTorch), scikit-learn's to √v.

As scikit-learn's: ``warm_start`` (a second ``fit`` goes on from the fitted weights and
records, with a new optimizer) and ``sample_weight`` in ``fit`` and ``partial_fit`` (each
batch minimises (Σ w_i ℓ_i + alpha/2·Σ‖W‖²) / Σ w_i: ``network.py``). Negative weights,
which scikit-learn takes, are refused.
"""

from __future__ import annotations

import itertools
import sys
import warnings
from typing import Any

import numpy as np
from sklearn.neural_network import MLPClassifier as ScikitMLPClassifier

from deepgrad import initializers, layers, losses
from deepgrad.models import Model
from deepgrad.sklearn.base import NeuralEstimator, make_optimizer, refuse_unused
from deepgrad.sklearn.classifier import ClassifierBase
from deepgrad.sklearn.network import PenalizedSequential
from deepgrad.sklearn.regressor import RegressorBase

# scikit-learn's activation names, and deepgrad's for the same functions
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}

# the parameters that mean what scikit-learn's mean, checked by scikit-learn's own rules
# (activation also takes deepgrad's names; hidden_layer_sizes is checked in _check_parameters)
SHARED_PARAMETERS = (
    "alpha",
    "batch_size",
    "beta_1",
    "beta_2",
    "early_stopping",
    "epsilon",
    "learning_rate_init",
    "max_iter",
    "n_iter_no_change",
    "random_state",
    "shuffle",
    "tol",
    "validation_fraction",
    "verbose",
    "warm_start",
)


class MLPBase(NeuralEstimator):
    """The parameters and the network both MLP estimators share."""

    _sums_over_outputs = False  # whether the loss's gradient is of the sum over the outputs

    _parameter_constraints: dict = {  # noqa: RUF012 (scikit-learn's name and type)
        key: ScikitMLPClassifier._parameter_constraints[key] for key in SHARED_PARAMETERS
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        alpha: float = 0.0001,
        batch_size: Any = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        optimizer: Any = None,
        loss: Any = None,
        jit: bool = True,
        dtype: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.optimizer = optimizer
        self.loss = loss
        self.jit = jit
        self.dtype = dtype

    def _check_parameters(self) -> None:
        """scikit-learn's checks of the parameters both take (its errors), and ours of the
        network's shape and of a validation split."""
        self._validate_params()
        name = type(self).__name__
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, int) else list(sizes)
        if any(int(n) != n or n < 1 for n in sizes):
            raise ValueError(f"{name}: hidden_layer_sizes must be positive integers, got {sizes}")
        if not isinstance(self.activation, str):
            raise ValueError(f"{name}: activation must be a name, got {self.activation!r}")
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                f"{name}: early_stopping=True needs a validation_fraction in (0, 1), got 0"
            )

    def _epochs(self) -> int:
        return int(self.max_iter)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(  # scikit-learn's warning, and its clipping
                "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                "clipped",
                stacklevel=4,
            )
        return min(int(self.batch_size), n_samples)

    def _stopping(self) -> tuple[bool, float, int | None, float]:
        # n_iter_no_change=inf (scikit-learn's "never stop on the loss") still warns when
        # max_iter is reached, as scikit-learn does: a bound no count reaches, not None
        patience = self.n_iter_no_change
        return (
            bool(self.early_stopping),
            float(self.tol),
            sys.maxsize if patience == np.inf else int(patience),
            float(self.validation_fraction),
        )

    def _network(self, n_features: int, n_outputs: int) -> PenalizedSequential:
        """The layers, initialised as scikit-learn's (``_initial_bound``), with its L2
        penalty (``network.py``: alpha/2 · Σ‖W‖² divided by the batch's total sample
        weight, added to its weighted mean loss)."""
        sizes = self._hidden_sizes()
        activation = ACTIVATIONS.get(self.activation, self.activation)
        dtype = self._dtype()
        units = [n_features, *sizes, n_outputs]
        activations = [activation] * len(sizes) + [None]
        stack = []
        for (fan_in, fan_out), layer_activation in zip(
            itertools.pairwise(units), activations, strict=True
        ):
            bound = self._initial_bound(fan_in, fan_out)
            stack.append(
                layers.Dense(
                    fan_out,
                    activation=layer_activation,
                    kernel_initializer=initializers.RandomUniform(-bound, bound),
                    bias_initializer=initializers.RandomUniform(-bound, bound),
                    dtype=dtype,
                )
            )
        model = PenalizedSequential(
            stack,
            alpha=self.alpha,
            data_gradient_scale=self._data_gradient_scale(n_outputs),
            dtype=dtype,
        )
        model.build_for((None, n_features))
        self._architecture = self._architecture_now()
        return model

    def _data_gradient_scale(self, n_outputs: int) -> float:
        """n_outputs where scikit-learn's loss (the default one: the regressor's squared
        error) steps on the gradient of the sum over the outputs while reporting their mean;
        1 for the classifier and for a loss of one's own."""
        default_loss = self.loss is None or self.loss == "squared_error"
        return float(n_outputs) if self._sums_over_outputs and default_loss else 1.0

    def _initial_bound(self, fan_in: int, fan_out: int) -> float:
        """scikit-learn's initialisation: kernels and biases alike uniform in ±√(6 / (fan_in
        + fan_out)), or ±√(2 / (fan_in + fan_out)) with the logistic activation (in every
        layer, the output's included)."""
        logistic = ACTIVATIONS.get(self.activation, self.activation) == "sigmoid"
        return float(np.sqrt((2.0 if logistic else 6.0) / (fan_in + fan_out)))

    def _initial_draws(self, n_features: int, n_outputs: int) -> int:
        """scikit-learn's network draws a kernel and a bias per layer, with one output for
        a binary classifier (a logistic unit) where this one has two."""
        if self._classifier and n_outputs == 2:
            n_outputs = 1
        units = [n_features, *self._hidden_sizes(), n_outputs]
        return sum(fan_in * fan_out + fan_out for fan_in, fan_out in itertools.pairwise(units))

    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        return [int(n) for n in ([sizes] if isinstance(sizes, int) else list(sizes))]

    def _architecture_now(self) -> dict:
        """The parameters that shape the network, which a warm start cannot change."""
        return {
            "hidden_layer_sizes": self._hidden_sizes(),
            "activation": self.activation,
            "dtype": str(self._dtype()),
        }

    def _restart_optimizer(self) -> None:
        """A warm start: the same network (its parameters checked against the fitted one's),
        the current ``alpha``, and a new optimizer from the current parameters (scikit-learn
        makes a new one on each ``fit``)."""
        fitted, now = getattr(self, "_architecture", None) or {}, self._architecture_now()
        changed = [key for key in now if key in fitted and fitted[key] != now[key]]
        if changed:
            key = changed[0]
            raise ValueError(
                f"{type(self).__name__}.fit: warm_start=True cannot change {key} from "
                f"{fitted[key]!r} to {now[key]!r} (the fitted network's); fit with "
                "warm_start=False for a new network"
            )
        self.model_.alpha = float(self.alpha)
        self.model_.data_gradient_scale = self._data_gradient_scale(self.model_.layers[-1].units)
        self._compile(self.model_)

    def _compile(self, model: Model) -> Model:
        """Compile with ``loss``, or with the estimator's default loss (times its weight,
        which scales the data term only, not the L2 penalty), and a new optimizer."""
        if self.optimizer is not None and not isinstance(self.optimizer, str):
            refuse_unused(
                self,
                ("learning_rate_init", "beta_1", "beta_2", "epsilon"),
                f"optimizer is a {type(self.optimizer).__name__} object, which keeps its own "
                "settings; set them on the optimizer, or pass optimizer by name",
            )
        adam = {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        optimizer = make_optimizer(self.optimizer, self.learning_rate_init, adam)
        loss, weight = self.loss, None
        if loss is not None:
            loss = self._checked_loss(loss)
        if loss is None:
            loss, default_weight = self._default_loss()
            weight = None if default_weight == 1.0 else default_weight
        model.compile(optimizer=optimizer, loss=loss, loss_weights=weight, jit=self.jit)
        return model

    def _checked_loss(self, loss: Any) -> Any:
        """The ``loss`` to compile with, checked against the network's outputs (None: the
        estimator's default)."""
        return loss

    def _default_loss(self) -> tuple[Any, float]:
        raise NotImplementedError

    def _build(self, n_features: int, n_outputs: int) -> Model:
        return self._compile(self._network(n_features, n_outputs))


class MLPClassifier(MLPBase, ClassifierBase):
    """A multilayer perceptron classifier trained by deepgrad.

    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), max_iter=300, learning_rate_init=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> clf.predict_proba(X[:1]).shape, clf.classes_.tolist()
    ((1, 3), [0, 1, 2])

    ``warm_start`` goes on from the fitted model; ``sample_weight`` weighs the samples:

    >>> import numpy as np
    >>> warm = MLPClassifier(
    ...     (16,), max_iter=20, learning_rate_init=0.01, warm_start=True, random_state=0
    ... )
    >>> _ = warm.fit(X, y, sample_weight=np.where(y == 2, 2.0, 1.0))
    >>> _ = warm.set_params(max_iter=10).fit(X, y)
    >>> len(warm.loss_curve_), warm.n_iter_
    (30, 10)
    """

    def _checked_loss(self, loss: Any) -> Any:
        """The network gives one logit per class: a loss on probabilities
        (``from_logits=False``) would train it on them as if they were probabilities."""
        if getattr(losses.get(loss), "from_logits", None) is False:
            raise ValueError(
                f"{type(self).__name__}: loss={loss!r} takes probabilities (from_logits=False), "
                "but the network's outputs are logits (predict_proba applies the softmax); "
                "pass a loss on logits, e.g. "
                "losses.SparseCategoricalCrossentropy(from_logits=True), or loss=None"
            )
        return loss

    def _default_loss(self) -> tuple[Any, float]:
        # the weighted mean of the per-sample losses, as scikit-learn's log_loss
        return losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="mean_with_sample_weight"
        ), 1.0


class MLPRegressor(MLPBase, RegressorBase):
    """A multilayer perceptron regressor trained by deepgrad on scikit-learn's squared
    error, half the mean squared error (``loss_curve_`` and ``tol`` are on that scale).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    >>> reg = MLPRegressor((16,), max_iter=200, learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.95
    True
    """

    _column_y_is_1d = True  # scikit-learn's: y of shape (n, 1) is fitted and predicted 1-d
    # scikit-learn's squared error is the mean over the outputs, its gradient that of the sum
    _sums_over_outputs = True

    def _checked_loss(self, loss: Any) -> Any:
        """scikit-learn's names for its own losses: "squared_error" is the default here too,
        and its "poisson" (an exp output and half the Poisson deviance) is refused rather
        than taken for deepgrad's Poisson loss on the network's linear output."""
        if isinstance(loss, str) and loss == "squared_error":
            return None
        if isinstance(loss, str) and loss == "poisson":
            raise ValueError(
                f"{type(self).__name__}: loss='poisson' (scikit-learn's Poisson regression, "
                "an exp output and half the Poisson deviance) is not supported: the output "
                "layer here is linear; use loss='squared_error' (the default), or a "
                "ModelRegressor whose model ends in a positive output for deepgrad's "
                "losses.Poisson"
            )
        return loss

    def _default_loss(self) -> tuple[Any, float]:
        # scikit-learn's squared_error is half the (weighted) mean squared error: its
        # loss_curve_, its tol and the weight of alpha's penalty are all on that scale
        return losses.MeanSquaredError(reduction="mean_with_sample_weight"), 0.5

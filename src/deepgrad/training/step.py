"""One batch: ``compile``, then ``train_step`` and ``test_step`` and their running logs.

One training step is the lecture's loop: forward, the objective (negative log-likelihood
+ regularisation penalties), backward, update. ``fit`` and ``evaluate`` (trainer.py) call
these once per batch; ``train_on_batch`` and friends call them directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from deepgrad import losses as losses_module
from deepgrad import metrics as metrics_module
from deepgrad import optimizers as optimizers_module
from deepgrad.autodiff.graph import backward
from deepgrad.autodiff.modes import no_grad
from deepgrad.backend import to_numpy
from deepgrad.compiler import compile as compile_function
from deepgrad.device import Device, device_of, to_device, using_device
from deepgrad.tensor import raw_data


def _to(where: Device, batch: Any) -> Any:
    """The arrays of a batch (an array, or a list, tuple or dict of them) on ``where``."""
    if isinstance(batch, list | tuple):
        return type(batch)(_to(where, part) for part in batch)
    if isinstance(batch, dict):
        return {key: _to(where, part) for key, part in batch.items()}
    return to_device(batch, where) if hasattr(batch, "dtype") else batch


def _host(array: Any) -> Any:
    """A device array copied to the host (metrics are kept there); anything else as it is."""
    return to_numpy(array) if device_of(array).kind != "cpu" else array


def on_model_device(step: Callable) -> Callable:
    """Run a one-batch step with the batch moved to the model's device (host data move batch
    by batch, never the whole data set), which is the current device meanwhile, so that the
    layers' random draws are made there too."""

    @functools.wraps(step)
    def run(self: Any, x: Any, *rest: Any) -> Any:
        where = self.device
        if where.kind == "cpu":
            return step(self, x, *rest)
        with using_device(where):
            return step(self, *_to(where, (x, *rest)))

    return run


class Steps:
    """The one-batch half of ``Model``'s training API (``Trainer`` adds the loops)."""

    optimizer: Any = None
    loss: Any = None
    compiled_metrics: Sequence[Any] = ()
    stop_training: bool = False
    jit: bool = False

    if TYPE_CHECKING:  # what Layer, the other half of Model, brings (for the type checker)
        built: bool
        trainable_weights: list
        losses: list

        def __call__(self, inputs: Any, training: bool = False) -> Any: ...
        @property
        def device(self) -> Device: ...
        def _cast(self, inputs: Any) -> Any: ...

    def compile(
        self,
        optimizer: Any = "sgd",
        loss: Any = None,
        metrics: list | None = None,
        jit: bool = False,
    ) -> None:
        """Choose the optimizer, the loss (the negative log-likelihood) and the metrics.

        ``jit=True`` compiles the training step (see ``deepgrad.compile``): forward,
        objective and backward are recorded on the first two batches of each shape and
        replayed from then on as one flat plan on preallocated buffers, with the
        gradients computed straight into the optimizer's flat buffer. Same numbers as
        eager, faster; Python in a custom layer's ``call`` then runs only while recording.
        """
        if loss is None:
            raise ValueError("compile: a loss is needed, e.g. loss='mse' or losses.GaussianNLL()")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        metrics = list(metrics or [])
        self.compiled_metrics = [metrics_module.get(m, self.loss) for m in metrics]
        self._metric_names = [
            m if isinstance(m, str) else metric.name
            for m, metric in zip(metrics, self.compiled_metrics, strict=True)
        ]
        self._metric_identifiers = metrics  # what save() writes, names as given
        self._loss_tracker = metrics_module.Mean("loss")
        self.jit = bool(jit)
        self._compiled_steps: dict = {}

    def _require_compiled(self, what: str) -> None:
        if self.loss is None:
            raise RuntimeError(
                f"{what}: compile the model first, e.g. model.compile(optimizer='adam', loss='mse')"
            )

    def _parameters(self) -> list:
        return self.trainable_weights + self.loss.trainable_weights

    def _bind_optimizer(self) -> None:
        params = self._parameters()
        bound = self.optimizer.params
        if not bound:
            self.optimizer.build(params)
        elif [id(p) for p in bound] != [id(p) for p in params]:
            raise RuntimeError(
                "the model's trainable weights changed since its optimizer was built (a layer "
                "was frozen, unfrozen or added): call compile() again"
            )

    def _prepare(self, x: Any) -> None:
        """Build the model on its first batch and bind the optimizer to its weights."""
        if not self.built:
            self(x[:1] if hasattr(x, "__getitem__") else x)
        self._bind_optimizer()

    def objective(self, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """−log-likelihood (the loss) + every regularisation penalty."""
        value = self.loss(y, y_pred, sample_weight)
        for penalty in self.losses:
            value = value + penalty
        return value

    @on_model_device
    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict:
        """Forward, objective, backward, update; returns the running logs."""
        self._prepare(x)
        evaluated: list = []

        def closure() -> Any:
            """The objective and its gradient at the current weights (L-BFGS calls it
            several times per step; the first evaluation is the one logged)."""
            if self.jit:
                y_pred, value = self._compiled_step("train")(x, y, sample_weight)
            else:
                self.optimizer.zero_grad()
                y_pred, value = self._forward_backward(x, y, sample_weight)
            evaluated.append((y_pred, value))
            return value

        if self.optimizer.needs_closure:
            self.optimizer.step(closure)
        else:
            closure()
            self.optimizer.step()
        y_pred, value = evaluated[0]
        self._update_metrics(y, y_pred, sample_weight, float(raw_data(value)))
        return self._logs()

    @on_model_device
    def test_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict:
        """Forward and objective, no update; returns the running logs."""
        if self.jit:
            y_pred, value = self._compiled_step("test")(x, y, sample_weight)
        else:
            y_pred, value = self._predict_and_objective(x, y, sample_weight)
        self._update_metrics(y, y_pred, sample_weight, float(raw_data(value)))
        return self._logs()

    def _forward_backward(self, x: Any, y: Any, sample_weight: Any, accumulate: bool = True):
        y_pred = self(x, training=True)
        value = self.objective(y, y_pred, sample_weight)
        backward(value, accumulate=accumulate)
        return y_pred, value

    def _predict_and_objective(self, x: Any, y: Any, sample_weight: Any) -> tuple:
        with no_grad():
            y_pred = self(x, training=False)
            return y_pred, self.objective(y, y_pred, sample_weight)

    def _compiled_step(self, kind: str) -> Any:
        """The compiled training ("train") or evaluation ("test") step."""
        if kind not in self._compiled_steps:
            if kind == "train":
                # accumulate=False: .grad is overwritten, which makes zero_grad unneeded
                # and lets the plan compute each gradient straight into the flat buffer.
                def step(x, y, sample_weight):
                    return self._forward_backward(x, y, sample_weight, accumulate=False)
            else:
                step = self._predict_and_objective
            self._compiled_steps[kind] = compile_function(step)
        return self._compiled_steps[kind]

    # ---- the running logs ---------------------------------------------------------------

    def _metrics(self) -> list:
        """The loss tracker and every compiled metric: the state behind the logs."""
        return [self._loss_tracker, *self.compiled_metrics]

    def _update_metrics(self, y, y_pred, sample_weight, loss_value) -> None:
        n = len(raw_data(y_pred))
        self._loss_tracker.update_state(np.full(n, loss_value))
        for metric in self.compiled_metrics:
            metric.update_state(_host(y), _host(raw_data(y_pred)), _host(sample_weight))

    def _reset_metrics(self) -> None:
        for metric in self._metrics():
            metric.reset_state()

    def _logs(self) -> dict:
        logs = {"loss": self._loss_tracker.result()}
        for name, metric in zip(self._metric_names, self.compiled_metrics, strict=True):
            logs[name] = metric.result()
        return logs

    # ---- one batch, called directly -----------------------------------------------------

    def train_on_batch(
        self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """One update on one batch; the loss and metrics on it (before the update)."""
        self._require_compiled("train_on_batch")
        self._reset_metrics()
        logs = self.train_step(self._cast(x), np.asarray(y), sample_weight)
        return logs if return_dict else as_list(logs)

    def test_on_batch(
        self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """The loss and metrics on one batch (no update)."""
        self._require_compiled("test_on_batch")
        self._reset_metrics()
        logs = self.test_step(self._cast(x), np.asarray(y), sample_weight)
        return logs if return_dict else as_list(logs)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """The model's outputs for one batch, as a NumPy array."""
        return to_numpy(raw_data(self._predict_batch(self._cast(x))))

    @on_model_device
    def _predict_batch(self, x: Any) -> Any:
        with no_grad():
            return self(x, training=False)


def as_list(logs: dict) -> Any:
    """Keras' return value without ``return_dict``: the loss alone, or every value in order.

    >>> as_list({"loss": 0.5}), as_list({"loss": 0.5, "accuracy": 1.0})
    (0.5, [0.5, 1.0])
    """
    values = list(logs.values())
    return values[0] if len(values) == 1 else values

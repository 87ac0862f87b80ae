"""``compile``, ``fit``, ``evaluate``, ``predict`` and friends: the Keras training API.

Mixed into ``Model``. One training step is the lecture's loop: forward, the objective
(negative log-likelihood + regularisation penalties), backward, update.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import distributed as distributed_module
from deepgrad import losses as losses_module
from deepgrad import metrics as metrics_module
from deepgrad import optimizers as optimizers_module
from deepgrad.autodiff.graph import backward
from deepgrad.autodiff.modes import no_grad
from deepgrad.compiler import compile as compile_function
from deepgrad.distributed.data_parallel import agree, reduce_metric
from deepgrad.tensor import raw_data
from deepgrad.training.callbacks import Callback, CallbackList, History
from deepgrad.training.data import ArrayData, make_data, resolve_batch_size
from deepgrad.training.progress import ProgbarLogger, resolve_verbose


class Trainer:
    """The training half of ``Model``."""

    optimizer: Any = None
    loss: Any = None
    compiled_metrics: tuple = ()
    stop_training: bool = False
    jit: bool = False

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

    # ---- one batch ----------------------------------------------------------------------

    def objective(self, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """−log-likelihood (the loss) + every regularisation penalty."""
        value = self.loss(y, y_pred, sample_weight)
        for penalty in self.losses:
            value = value + penalty
        return value

    def train_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict:
        """Forward, objective, backward, update; returns the running logs."""
        if not self.built:
            self(x[:1] if hasattr(x, "__getitem__") else x)
        self._bind_optimizer()
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

    def test_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict:
        if self.jit:
            y_pred, value = self._compiled_step("test")(x, y, sample_weight)
        else:
            y_pred, value = self._predict_and_objective(x, y, sample_weight)
        self._update_metrics(y, y_pred, sample_weight, float(raw_data(value)))
        return self._logs()

    def _update_metrics(self, y, y_pred, sample_weight, loss_value) -> None:
        n = len(raw_data(y_pred))
        self._loss_tracker.update_state(np.full(n, loss_value))
        for metric in self.compiled_metrics:
            metric.update_state(y, raw_data(y_pred), sample_weight)

    def _reset_metrics(self) -> None:
        self._loss_tracker.reset_state()
        for metric in self.compiled_metrics:
            metric.reset_state()

    def _logs(self) -> dict:
        logs = {"loss": self._loss_tracker.result()}
        for name, metric in zip(self._metric_names, self.compiled_metrics, strict=True):
            logs[name] = metric.result()
        return logs

    def train_on_batch(
        self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        self._require_compiled("train_on_batch")
        self._reset_metrics()
        logs = self.train_step(self._cast(x), np.asarray(y), sample_weight)
        return logs if return_dict else _as_list(logs)

    def test_on_batch(
        self, x: Any, y: Any, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        self._require_compiled("test_on_batch")
        self._reset_metrics()
        logs = self.test_step(self._cast(x), np.asarray(y), sample_weight)
        return logs if return_dict else _as_list(logs)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        with no_grad():
            return np.asarray(raw_data(self(self._cast(x), training=False)))

    # ---- loops --------------------------------------------------------------------------

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Any = 32,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list[Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        distributed: bool = False,
    ) -> History:
        """Train for ``epochs`` passes over the data; returns the ``History``.

        ``batch_size=None`` (or "full") is full-batch gradient descent, 1 is one-example
        SGD, anything else minibatch SGD; the samples are reshuffled every epoch.

        ``distributed=True`` (under ``mpiexec``) trains data-parallel: every process reads
        the same global batches (``batch_size`` is the global size), trains on its shard,
        and the gradients are combined before each update; metrics and validation are
        reduced across processes, and only rank 0 prints and writes files. See
        ``deepgrad.distributed``.
        """
        self._require_compiled("fit")
        data = make_data(x, y, sample_weight, "fit")
        validation = None
        if validation_data is not None:
            validation = ArrayData(*validation_data, what="fit: validation_data")
        elif validation_split:
            if not isinstance(data, ArrayData):
                raise ValueError("fit: validation_split needs array inputs; pass validation_data")
            data, validation = data.split(validation_split)
        size = resolve_batch_size(batch_size, data.size or 0) if data.size is not None else None
        verbose = resolve_verbose(verbose)
        if distributed:
            distributed_module.comm.ensure_initialized()
            if not distributed_module.is_main():
                verbose = 0
                callbacks = [c for c in callbacks or [] if not c.writes_files]
        history = History()
        progress = [ProgbarLogger(verbose)] if verbose else []
        params = {"epochs": epochs, "steps": data.steps(size or 1), "verbose": verbose}
        # As in Keras: History last, so it records what user callbacks add to the logs.
        callback_list = CallbackList([*progress, *(callbacks or []), history], self, params)
        self.history = history
        self.stop_training = False
        self._initial_epoch = initial_epoch
        callback_list.on_train_begin()
        if distributed:  # after rank 0's BackupAndRestore may have restored a run
            self._initial_epoch = distributed_module.broadcast_object(self._initial_epoch)
            distributed_module.broadcast_random_state()  # the same shuffles everywhere
        logs: dict = {}
        for epoch in range(self._initial_epoch, epochs):
            self._reset_metrics()
            callback_list.on_epoch_begin(epoch)
            step = -1
            for step, (xb, yb, wb) in enumerate(data.batches(size, shuffle)):
                callback_list.on_train_batch_begin(step)
                if distributed:
                    logs = self._train_shard(xb, yb, wb)
                    self.stop_training = agree(self.stop_training)
                else:
                    logs = self.train_step(self._cast(xb), yb, wb)
                callback_list.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError(
                    f"fit: the data gave no batches in epoch {epoch + 1}; a generator is used "
                    "up after one epoch, so pass a re-iterable (a list of batches, or an object "
                    "whose __iter__ starts over)"
                )
            if distributed:
                logs = self._reduced_logs()
                distributed_module.average_non_trainable_weights(self)
            epoch_logs = dict(logs)
            if validation is not None:
                with self.optimizer.averaged_weights():  # θ̄ when the optimizer keeps an EMA
                    val_logs = self._run_evaluation(validation, size or 32, sharded=distributed)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        self.optimizer.finalize_weights()  # with use_ema the model ends holding θ̄, as in Keras
        if _gaussian_with_one_sigma(self.loss) and isinstance(data, ArrayData):
            # (a user's batch iterator may be used up: then there is no data to read again)
            self.noise_variance_ = self._noise_variance(data, size or 32)
        callback_list.on_train_end(logs)
        return history

    def noise_variance(
        self, x: Any, y: Any = None, batch_size: Any = 32, sample_weight: Any = None
    ) -> float:
        """σ̂² = mean (y − f(x))²: the maximum-likelihood estimate of the noise variance of
        the Gaussian model y = f(x) + ε, ε ~ N(0, σ²), at the current weights.

        ``fit`` with a Gaussian loss (``MeanSquaredError``, or ``GaussianNLL`` with one σ)
        sets ``model.noise_variance_`` to this on the training data.
        """
        data = make_data(x, y, sample_weight, "noise_variance")
        size = resolve_batch_size(batch_size, data.size or 0) if data.size is not None else 32
        return self._noise_variance(data, size)

    def _noise_variance(self, data: Any, batch_size: int) -> float:
        squares = weights = 0.0
        for xb, yb, wb in data.batches(batch_size):
            prediction = self.predict_on_batch(xb)
            residual = np.asarray(raw_data(yb), np.float64).reshape(prediction.shape) - prediction
            per_sample = np.square(residual).reshape(len(residual), -1).mean(axis=1)
            w = np.ones(len(per_sample)) if wb is None else np.asarray(wb, np.float64).ravel()
            squares += float(per_sample @ w)
            weights += float(w.sum())
        if weights == 0:
            raise ValueError("noise_variance: no samples (or all sample weights are 0)")
        return squares / weights

    def _run_evaluation(
        self, data: Any, batch_size: int, callback_list: Any = None, sharded: bool = False
    ) -> dict:
        """The loss and metrics over ``data``; ``sharded``: each process takes its part of
        every batch and the results are merged (validation in distributed training)."""
        self._reset_metrics()
        logs: dict = {}
        for step, (xb, yb, wb) in enumerate(data.batches(batch_size)):
            if callback_list:
                callback_list.on_test_batch_begin(step)
            if sharded:
                xb, yb, wb = _take(self._local_part(len(xb)), xb, yb, wb)
            if len(xb):
                logs = self.test_step(self._cast(xb), yb, wb)
            if callback_list:
                callback_list.on_test_batch_end(step, logs)
        return self._reduced_logs() if sharded else logs

    # ---- data parallelism (fit(distributed=True)) -----------------------------------------

    def _train_shard(self, x: Any, y: Any, sample_weight: Any) -> dict:
        """One global batch: this process's shard forward and backward, the gradients
        combined across processes inside ``optimizer.step``."""
        if self.optimizer.data_parallel is None:
            if not self.built:
                self(self._cast(x[:1]))
            self._bind_optimizer()
            distributed_module.broadcast_weights(self)  # BatchNormalization statistics too
            distributed_module.DataParallel(self.optimizer)
            # Building draws initial weights on the processes that were not restored from
            # a backup: bring every generator back to rank 0's.
            distributed_module.broadcast_random_state()
        part = self.optimizer.data_parallel.shard(len(x))
        x, y, sample_weight = _take(part, x, y, sample_weight)
        if len(x):
            return self.train_step(self._cast(x), y, sample_weight)
        self._bind_optimizer()  # an empty shard still takes part in the Allreduce
        self.optimizer.zero_grad()
        self.optimizer.step()
        return self._logs()

    def _local_part(self, n: int) -> slice:
        return slice(
            *distributed_module.shard_bounds(
                n, distributed_module.rank(), distributed_module.size()
            )
        )

    def _reduced_logs(self) -> dict:
        """The logs of the whole data: every process's metric state merged."""
        for metric in (self._loss_tracker, *self.compiled_metrics):
            reduce_metric(metric)
        return self._logs()

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Any = 32,
        verbose: Any = "auto",
        sample_weight: Any = None,
        callbacks: list[Callback] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """The loss and metrics on the given data (no update)."""
        self._require_compiled("evaluate")
        data = make_data(x, y, sample_weight, "evaluate")
        size = resolve_batch_size(batch_size, data.size or 0) if data.size is not None else None
        callback_list = CallbackList(callbacks or [], self, {"verbose": verbose})
        callback_list.on_test_begin()
        logs = self._run_evaluation(data, size, callback_list)
        callback_list.on_test_end(logs)
        if resolve_verbose(verbose) and verbose != "auto":
            from deepgrad.training.progress import format_logs

            print(format_logs(logs))
        return logs if return_dict else _as_list(logs)

    def predict(self, x: Any, batch_size: Any = 32, verbose: Any = 0) -> np.ndarray:
        """The model's outputs for ``x``, as a NumPy array."""
        data = make_data(x, None, None, "predict")
        size = resolve_batch_size(batch_size, data.size or 0) if data.size is not None else None
        outputs = [self.predict_on_batch(xb) for xb, _, _ in data.batches(size)]
        if not outputs:
            raise ValueError("predict: no samples")
        return np.concatenate(outputs, axis=0)


def _take(part: slice, x: Any, y: Any, sample_weight: Any) -> tuple:
    def pick(a):
        return None if a is None else a[part]

    return x[part], pick(y), pick(sample_weight)


def _gaussian_with_one_sigma(loss: Any) -> bool:
    """Whether ``loss`` is the negative log-likelihood of y = f(x) + ε with one σ."""
    if isinstance(loss, losses_module.GaussianNLL):
        return loss.sigma_mode is not None
    return isinstance(loss, losses_module.MeanSquaredError)


def _as_list(logs: dict) -> Any:
    values = list(logs.values())
    return values[0] if len(values) == 1 else values

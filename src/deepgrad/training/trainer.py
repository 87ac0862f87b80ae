"""``fit``, ``evaluate`` and ``predict``: the loops of the Keras training API, mixed into
``Model``.

``fit`` reads top to bottom: set up (data, strategy, callbacks), then for each epoch the
batch steps, validation and the callbacks; it returns the ``History``. Where the work is
spread over processes the strategy (strategy.py) shards, reduces and broadcasts; on one
process it does nothing. One batch's step is in step.py, σ̂² in sigma.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.layers import structure
from deepgrad.training.callbacks import Callback, CallbackList, History
from deepgrad.training.checks import check_features
from deepgrad.training.data import batch_size_for, feed, fit_data, make_data, underlying
from deepgrad.training.hooks import listed
from deepgrad.training.kernel_start import KernelStart, without_starting_kernels
from deepgrad.training.progress import ProgbarLogger, pass_progress, resolve_verbose
from deepgrad.training.sigma import NoiseVarianceEstimate, noise_variance
from deepgrad.training.step import Steps, as_list, by_name, list_order
from deepgrad.training.strategy import SingleProcess, Strategy, get_strategy

ONE_PROCESS = SingleProcess()  # what evaluate() runs on (the identity holds no state)


class Trainer(Steps):
    """The training half of ``Model``: ``compile`` and the one-batch steps (``Steps``),
    and the loops over the data."""

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Any = 32,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list[Callback] | Callback | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool | str = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | list[int] = 1,
        distributed: bool | Strategy = False,
    ) -> History:
        """Train for ``epochs`` passes over the data; returns the ``History``.

        ``batch_size=None`` (or "full") is full-batch gradient descent, 1 is one-example
        SGD, anything else minibatch SGD; the samples are reshuffled every epoch
        (``shuffle="batch"``: each batch's samples, those of the unshuffled data, in a new
        order, as in Keras).
        ``distributed=True`` (under ``mpiexec``) trains data-parallel: see
        ``deepgrad.distributed``. ``x`` may also be a source of batches (a ``PyDataset``,
        a generator, a list of batches, a PyTorch ``DataLoader``), read ``steps_per_epoch``
        batches per epoch when given; ``class_weight`` maps class index to weight.
        Validation runs in batches of ``validation_batch_size`` (``batch_size`` unless
        given) after every ``validation_freq``-th epoch (an int), or after the epochs
        listed (counted from 1), as in Keras.
        With numba installed, ``fit`` starts its kernels once it has seen that it will run
        long enough to earn their start-up (``DEEPGRAD_FUSED``; the numbers are the same
        either way: ``training/kernel_start.py``).

        >>> import numpy as np, deepgrad as dg
        >>> dg.random.seed(0)
        >>> x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(-1, 1)
        >>> model = dg.Sequential([dg.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(x, 2 * x + 1, batch_size=4, epochs=3, verbose=0)
        >>> losses = history.history["loss"]
        >>> len(losses), losses[-1] < losses[0]
        (3, True)
        """
        self._require_compiled("fit")
        _check_validation_freq(validation_freq)
        data, validation = fit_data(x, y, sample_weight, validation_split, validation_data)
        check_features(self, getattr(data, "x", None), "fit")
        data = feed(data, steps_per_epoch, class_weight, "steps_per_epoch")
        if validation is not None:
            validation = feed(validation, validation_steps, None, "validation_steps", True)
        size = batch_size_for(data, batch_size)
        validation_size = size if validation_batch_size is None else validation_batch_size
        strategy = get_strategy(distributed)
        callbacks = listed(callbacks)  # one callback alone too, as Keras takes it
        self.history = _history_among(callbacks)
        callback_list = self._fit_callbacks(callbacks, verbose, epochs, data, size, strategy)
        self.stop_training = False
        self._initial_epoch = initial_epoch  # BackupAndRestore may move it on
        callback_list.on_train_begin()
        logs: dict = {}
        epoch_logs: dict = {}
        first = strategy.start(self._initial_epoch)
        with KernelStart(self, epochs - first, data.steps(size)) as kernel_start:
            for epoch in range(first, epochs):
                self._reset_metrics()
                callback_list.on_epoch_begin(epoch)
                batches = data.batches(size, shuffle)
                logs = self._train_epoch(epoch, batches, strategy, callback_list, kernel_start)
                epoch_logs = dict(logs)
                if validation is not None and _validates_after(epoch, validation_freq):
                    callback_list.on_test_begin()
                    with self.optimizer.validation_weights():  # θ, as Keras (ASGD: θ̄)
                        val_logs = self._run_evaluation(
                            validation,
                            validation_size or 32,
                            callback_list,
                            strategy=strategy,
                            what=f"fit: validation_data in epoch {epoch + 1}",
                        )
                    callback_list.on_test_end(val_logs)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    epoch_logs = by_name(epoch_logs)  # val_zz before zz, as in Keras
                kernel_start.epoch_done()
                callback_list.on_epoch_end(epoch, epoch_logs)
                self.stop_training = strategy.agree(self.stop_training)
                if self.stop_training:
                    break
        if epochs > 0:  # with use_ema the model ends holding θ̄, as in Keras (not for epochs=0)
            self.optimizer.finalize_weights()
        callback_list.on_train_end(epoch_logs)
        return self.history

    def _fit_callbacks(
        self,
        callbacks: list,
        verbose: Any,
        epochs: int,
        data: Any,
        size: int | None,
        strategy: Strategy,
    ) -> CallbackList:
        """The progress display, σ̂², the user's callbacks, and ``History`` last (as in Keras,
        so it records what they add to the logs). Only the main process displays and runs
        callbacks that write files. ``params`` are Keras 3's: ``verbose`` as given (``"auto"``
        too), then ``epochs`` and ``steps``."""
        params = {"verbose": verbose, "epochs": epochs, "steps": data.steps(size)}
        shown = resolve_verbose(verbose)
        if not strategy.is_main:
            shown = 0
            callbacks = [c for c in callbacks if not c.writes_files]
        progress = [ProgbarLogger(shown)] if shown else []
        everything = [*progress, NoiseVarianceEstimate(underlying(data), size or 32), *callbacks]
        if self.history not in callbacks:
            everything.append(self.history)
        return CallbackList(everything, self, params)

    def _train_epoch(
        self,
        epoch: int,
        batches: Any,
        strategy: Strategy,
        callback_list: Any,
        kernel_start: KernelStart,
    ) -> dict:
        """One pass over the batches; the logs of the epoch (over every process's part)."""
        direct = self._batches_go_straight_to_the_step(strategy, callback_list)
        progress = _progress_bar(callback_list)
        timing = kernel_start.choosing  # (training/kernel_start.py)
        step = -1
        for step, (x, y, sample_weight) in enumerate(batches):
            if direct and _plain(x) and _plain(y):
                # What _train_batch and the hooks below do, less what is a no-op here.
                self._train_batch_step(self._cast(x), y, sample_weight)
                if timing:
                    timing = kernel_start.batch_done(step)
                if progress is not None:
                    progress.advance(self._logs)
                if self.stop_training:  # set inside the step (a layer's or loss's code)
                    break
                continue
            callback_list.on_train_batch_begin(step)
            logs = self._train_batch(strategy, x, y, sample_weight)
            if timing:
                timing = kernel_start.batch_done(step)
            logs = self._running_logs(strategy, logs)
            callback_list.on_train_batch_end(step, logs)
            if progress is not None:
                progress.advance(lambda shown=logs: shown)  # what the hooks got
            self.stop_training = strategy.agree(self.stop_training)
            if self.stop_training:
                break
        if step < 0:
            raise ValueError(
                f"fit: the data gave no batches in epoch {epoch + 1}; a generator is used "
                "up after one epoch, so pass a re-iterable (a list of batches, or an object "
                "whose __iter__ starts over)"
            )
        strategy.reduce_metrics(self._metrics())
        strategy.end_epoch(self)
        return strategy.agree_logs(
            self._logs_here(self.train_step, Steps.train_step), self._metrics()
        )

    def _running_logs(self, strategy: Strategy, logs: dict) -> dict:
        """A batch's logs: the running ones of every process's samples so far. The metrics
        are merged for the reading, then each process's goes back to its own running state
        (the epoch's end merges them for good)."""
        if isinstance(strategy, SingleProcess):
            return logs
        metrics = self._metrics()
        own = [metric.get_state() for metric in metrics]
        strategy.reduce_metrics(metrics)
        logs = strategy.agree_logs(self._logs_here(self.train_step, Steps.train_step), metrics)
        for metric, state in zip(metrics, own, strict=True):
            metric.merge_states([state])
        return logs

    def _batches_go_straight_to_the_step(self, strategy: Strategy, callbacks: Any) -> bool:
        """Whether a batch may skip the per-batch hooks and the strategy, all of which would
        do nothing: one process, the default ``train_step``, the model on the CPU, and no
        callback with code in a batch hook. 10–15 µs a batch, 8% of a small MLP's
        (docs/benchmarks.md)."""
        return (
            type(strategy) is SingleProcess
            and getattr(self.train_step, "__func__", None) is Steps.train_step
            and not callbacks.runs("on_train_batch_begin")
            and not callbacks.runs("on_train_batch_end")
            and self.device.kind == "cpu"
        )

    def _train_batch(self, strategy: Strategy, x: Any, y: Any, sample_weight: Any) -> dict:
        """One (global) batch: this process's part forward and backward, then the update;
        with several processes the optimizer combines their gradients before it."""
        if not strategy.ready(self.optimizer):  # the first batch: the weights exist now
            self._prepare(x)
            strategy.replicate(self)
        part = strategy.shard(x, y, sample_weight)
        if part is None:  # no sample here, but the update still takes part in the reduction
            self._prepare(x)
            self.optimizer.step(self._no_objective)
            return self._logs()
        x, y, sample_weight = part
        with strategy.own_draws():
            return self.run_train_step(self._cast(x), y, sample_weight)

    def _no_objective(self) -> float:
        """The closure of a process without samples: a zero gradient and a zero loss."""
        self.optimizer.zero_grad()
        return 0.0

    def _run_evaluation(
        self,
        data: Any,
        batch_size: int | None,
        callback_list: Any = None,
        strategy: Strategy = ONE_PROCESS,
        progress: ProgbarLogger | None = None,
        what: str = "evaluate",
    ) -> dict:
        """The loss and metrics over ``data`` (each process evaluates its part of every
        batch and the strategy merges the results); ``evaluate`` shows its ``progress``.
        Data that gives no batch raises, as in Keras 3: no loss is not a loss of 0, and
        logs without it would drop ``val_loss`` from the history unseen."""
        self._reset_metrics()
        callback_list = callback_list or CallbackList([], self, {})
        logs: dict = {}
        step = -1
        for step, batch in enumerate(data.batches(batch_size)):
            callback_list.on_test_batch_begin(step)
            part = strategy.shard(*batch)
            if part is not None:
                logs = self.run_test_step(self._cast(part[0]), *part[1:])
            callback_list.on_test_batch_end(step, logs)
            if progress is not None:
                progress.advance(self._logs)
        strategy.reduce_metrics(self._metrics())
        if step < 0:
            raise ValueError(
                f"{what}: the data gave no batches; a generator is used up after one pass, "
                "so pass a re-iterable (arrays, a list of batches, a PyDataset, or an object "
                "whose __iter__ starts over), or an endless generator with steps "
                "(validation_steps in fit)"
            )
        return strategy.agree_logs(
            self._logs_here(self.test_step, Steps.test_step), self._metrics()
        )

    def _logs_here(self, step: Any, default: Any) -> dict:
        """This process's logs to agree on: none where a custom step has not run here yet
        (the process held no sample), so that the others' stand."""
        custom = getattr(step, "__func__", None) is not default
        return {} if custom and self._custom_logs is None else self._logs()

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: Any = 32,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list[Callback] | Callback | None = None,
        return_dict: bool = False,
    ) -> Any:
        """The loss and metrics on the given data (no update). ``verbose`` as in ``fit``:
        a bar with the running metrics (1), or one line at the end (2), as Keras shows."""
        self._require_compiled("evaluate")
        data = make_data(x, y, sample_weight, "evaluate")
        check_features(self, getattr(data, "x", None), "evaluate")
        data = feed(data, steps, None, "steps", True)
        size = batch_size_for(data, batch_size)
        callback_list = CallbackList(callbacks, self, _one_pass(verbose, data, size))
        progress = pass_progress(verbose, data.steps(size))
        callback_list.on_test_begin()
        with without_starting_kernels():  # (training/kernel_start.py)
            logs = self._run_evaluation(data, size, callback_list, progress=progress)
        if progress is not None:
            progress.end_pass(logs)
        callback_list.on_test_end(logs)
        return logs if return_dict else as_list(logs, self._listed_first())

    def predict(
        self,
        x: Any,
        batch_size: Any = 32,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: list[Callback] | Callback | None = None,
    ) -> Any:
        """The model's outputs for ``x``, as a NumPy array (a list or dict of them for a
        model with several outputs; callbacks get Keras' ``on_predict_*`` hooks, the
        batch's outputs in ``logs["outputs"]``). ``verbose`` as in ``fit`` (``"auto"`` by
        default, as in Keras): a bar (1) or one line (2)."""
        data = make_data(x, None, None, "predict")
        check_features(self, getattr(data, "x", None), "predict")
        data = feed(data, steps, None, "steps", True)
        size = batch_size_for(data, batch_size)
        callback_list = CallbackList(callbacks, self, _one_pass(verbose, data, size))
        progress = pass_progress(verbose, data.steps(size))
        callback_list.on_predict_begin()
        outputs = []
        with without_starting_kernels():  # (training/kernel_start.py)
            for step, (xb, _, _) in enumerate(data.batches(size)):
                callback_list.on_predict_batch_begin(step)
                outputs.append(self.predict_on_batch(xb))
                callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
                if progress is not None:
                    progress.advance(dict)
        if progress is not None:
            progress.end_pass()
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict: no samples")
        return _joined(outputs)

    @property
    def metrics_names(self) -> list[str]:
        """The names in the logs, in the order of the list ``evaluate`` returns without
        ``return_dict``: ``loss``, then a one-output model's metrics as compiled, or a
        multi-output model's loss per output and then its metrics by name, as Keras 3
        lists them."""
        if self.optimizer is None:
            return []
        return list_order(self._logs(), self._listed_first())

    def noise_variance(
        self, x: Any, y: Any = None, batch_size: Any = 32, sample_weight: Any = None
    ) -> float:
        """σ̂² = mean (y − f(x))²: the maximum-likelihood estimate of the noise variance of
        the Gaussian model y = f(x) + ε, ε ~ N(0, σ²), at the current weights.

        ``fit`` with a Gaussian loss (``MeanSquaredError``, or ``GaussianNLL`` with one σ)
        sets ``model.noise_variance_`` to this on the training data.
        """
        data = make_data(x, y, sample_weight, "noise_variance")
        return noise_variance(self, data, batch_size_for(data, batch_size) or 32)


def _joined(outputs: list) -> Any:
    """The batches' outputs joined along the batch axis: one array, or the list or dict of
    arrays of a model with several outputs."""
    columns = zip(*(structure.flatten(output) for output in outputs), strict=True)
    joined = iter([np.concatenate(column, axis=0) for column in columns])
    return structure.map_structure(lambda _: next(joined), outputs[0])


def _one_pass(verbose: Any, data: Any, size: int | None) -> dict:
    """The callbacks' ``params`` in ``evaluate`` and ``predict``, Keras 3's: one epoch of
    ``steps`` batches (None when a generator does not say)."""
    return {"verbose": verbose, "epochs": 1, "steps": data.steps(size)}


def _history_among(callbacks: list) -> History:
    """The ``History`` given among the callbacks (the last one), which Keras 3 fills, keeps
    where it is in the list and returns; a new one, to be called last, otherwise."""
    given = [c for c in callbacks if isinstance(c, History)]
    return given[-1] if given else History()


def _check_validation_freq(validation_freq: Any) -> None:
    """An int or a list of epoch numbers, as Keras takes it."""
    is_int = isinstance(validation_freq, int) and not isinstance(validation_freq, bool)
    if not (is_int and validation_freq > 0) and not isinstance(validation_freq, list):
        raise ValueError(
            "fit: validation_freq must be a positive int (validate every that many epochs) "
            f"or a list of epoch numbers counted from 1, got {validation_freq!r}"
        )


def _validates_after(epoch: int, validation_freq: int | list[int]) -> bool:
    """Whether the epoch (counted from 0) ends with validation: Keras counts from 1."""
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def _progress_bar(callback_list: CallbackList) -> ProgbarLogger | None:
    """The progress display, if any: it moves its bar (``verbose=1``), or counts the steps
    for its line (``verbose=2``), after each batch."""
    for callback in callback_list.callbacks:
        if isinstance(callback, ProgbarLogger):
            return callback
    return None


def _plain(value: Any) -> bool:
    """None or a NumPy array of numbers (not a record array packing several inputs, which
    ``train_step`` unpacks)."""
    return value is None or (type(value) is np.ndarray and value.dtype.names is None)

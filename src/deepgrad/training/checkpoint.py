"""The callbacks that watch one logged quantity and act on it: ``EarlyStopping`` and
``ModelCheckpoint`` (``ReduceLROnPlateau`` in callbacks.py shares ``Monitor``). Arguments,
defaults and messages follow Keras 3's."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np

from deepgrad.backend import get_default_dtype
from deepgrad.training.hooks import Callback


def _comparison(mode: str) -> Callable[[float, float, float], bool]:
    """Keras 3's test of an improvement: ``current + delta < best`` (min) or
    ``current - delta > best`` (max), the sum taken in Python floats and then both sides
    rounded to the default float dtype, as ``keras.ops.less``/``greater`` round them."""
    if mode == "min":
        return lambda current, best, delta: bool(_rounded(current + delta) < _rounded(best))
    return lambda current, best, delta: bool(_rounded(current - delta) > _rounded(best))


def _rounded(value: float) -> np.floating:
    """``value`` in the default float dtype (float32: Keras' floatx), where 0.4999999999
    does not beat 0.5, nor 0.7 + 0.1 beat 0.8 (both are 0.8 in float32)."""
    with np.errstate(over="ignore"):  # a float64 beyond float32's range is inf there too
        return get_default_dtype().type(value)


class Monitor(Callback):
    """Shared by the callbacks that watch one logged quantity. ``mode="auto"`` reads the
    direction as Keras 3 does: down for a loss, else the monitored metric's own
    (``Metric.direction``: up for accuracies, AUC, R², cosine similarity; down for
    errors); a quantity with neither raises and asks for ``mode``."""

    def __init__(self, monitor: str, mode: str, min_delta: float, verbose: int = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.min_delta, self.verbose = (
            monitor,
            mode,
            abs(min_delta),
            verbose,
        )
        self._improved = None if mode == "auto" else _comparison(mode)
        self.best: float | None = None  # None until the first value is seen

    def decide_mode(self) -> None:
        """Settle ``mode="auto"`` now, as Keras 3 does at each epoch's end before it reads
        the monitored value: a quantity of no known direction raises even in an epoch
        that does not log it (a misspelt ``monitor`` is caught at the first epoch)."""
        _ = self.improved

    @property
    def improved(self) -> Callable[[float, float, float], bool]:
        """Whether ``current`` beats ``best`` by more than ``delta``, the mode decided at
        the first use (the model's metrics are known by then)."""
        if self._improved is None:
            self._improved = _comparison(self._auto_mode())
        return self._improved

    def _auto_mode(self) -> str:
        name = self.monitor.removeprefix("val_")
        if name == "loss" or name.endswith("_loss"):
            return "min"
        model = getattr(self, "model", None)
        names = getattr(model, "_metric_names", [])
        logged = zip(names, getattr(model, "_metric_slots", []), strict=True)
        for logged_name, slot in logged:
            if logged_name == name and slot.metric.direction is not None:
                return "max" if slot.metric.direction == "up" else "min"
        raise ValueError(
            f"{type(self).__name__}: mode='auto' cannot tell whether {self.monitor!r} should "
            "go up or down (it is neither a loss nor a metric that says so); pass mode='max' "
            "or mode='min'"
        )

    def _current(self, logs: dict | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            known = ", ".join(sorted(logs or {}))
            warnings.warn(
                f"{type(self).__name__}: {self.monitor!r} is not logged (logged: {known})",
                stacklevel=3,
            )
        elif np.ndim(value) > 0:  # Keras fails on it too, in NumPy's words
            raise ValueError(
                f"{type(self).__name__}: {self.monitor!r} is {np.size(value)} values (shape "
                f"{np.shape(value)}), not one number, so it has no best; monitor one number "
                "(a per-class metric averaged: average='macro')"
            )
        return value

    def _is_improvement(self, current: float) -> bool:
        # A NaN seen first becomes the best, and nothing beats it afterwards: Keras 3's
        # comparison with NaN, which is never true (checkpoints stop, the waiting counts)
        return self.best is None or self.improved(current, self.best, self.min_delta)


class EarlyStopping(Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs in a
    row (Keras 3's count: ``patience=2`` stops at the second epoch without improvement);
    ``baseline``: keep the count running until ``monitor`` also beats it;
    ``start_from_epoch``: epochs of warm-up not watched; ``restore_best_weights``: go back
    to the best epoch's weights when stopping. ``verbose=1`` prints Keras' messages.

    >>> EarlyStopping(patience=3, verbose=1).patience
    3
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta, verbose)
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.baseline, self.start_from_epoch = baseline, start_from_epoch
        self.stopped_epoch = 0
        self.best_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.best, self.best_weights, self.stopped_epoch = 0, None, None, 0
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.decide_mode()
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._is_improvement(current):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the count restarts only when the baseline is beaten too
            if self.baseline is None or self.improved(current, self.baseline, self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        """Keras 3 restores the best weights here, however training ended (by this
        callback, by another, or at the last epoch): the callbacks after this one still
        see the last epoch's weights at the epoch it stops."""
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                epoch = self.best_epoch + 1
                print(f"Restoring model weights from the end of the best epoch: {epoch}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Monitor):
    """Save the model (or only its weights) after each epoch (``save_freq="epoch"``) or
    every ``save_freq`` batches (an int), or only when ``monitor`` improves with
    ``save_best_only``. ``filepath`` may use ``{epoch}``, ``{batch}`` (with an int
    ``save_freq``) and logged names (``{val_loss:.2f}``).

    >>> ModelCheckpoint("model-{epoch:02d}.dg", save_freq=100).save_freq
    100
    """

    writes_files = True

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, 0.0, verbose)
        if initial_value_threshold is not None:  # with save_best_only: only saves beating it
            self.best = float(initial_value_threshold)
        if save_freq != "epoch" and not (
            isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0
        ):
            raise ValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, "
                f"got {save_freq!r}"
            )
        self.filepath = str(filepath)
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.save_freq = save_freq
        self.epoch = 0
        self.batches_since_save = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self.batches_since_save += 1
        if self.batches_since_save >= int(self.save_freq):
            self.batches_since_save = 0
            self._save(self.epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.decide_mode()  # as Keras 3, with or without save_best_only
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if not self._should_save(epoch, path, logs):
            return
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)
        self._say(f"Epoch {epoch + 1}: finished saving model to {path}")

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        """``filepath`` filled in with the epoch (from 1), the batch (from 1) and the logs;
        a name that is none of these raises a KeyError naming it, as Keras' does."""
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f'ModelCheckpoint: failed to format the filepath "{self.filepath}": {error} '
                f"is none of {', '.join(sorted(fields))}"
            ) from None

    def _say(self, message: str) -> None:
        if self.verbose:  # Keras' messages, each on a line of its own
            print(f"\n{message}")

    def _should_save(self, epoch: int, path: str, logs: dict) -> bool:
        """Always, unless ``save_best_only`` and the monitored value, logged, did not
        improve. Where it is not logged, or is several numbers (a per-class metric), Keras 3
        warns and saves, and so does this."""
        if not self.save_best_only:
            self._say(f"Epoch {epoch + 1}: saving model to {path}")
            return True
        value = logs.get(self.monitor)
        if value is not None and np.ndim(value) > 0:
            warnings.warn(  # Keras' fallback (and message)
                f"ModelCheckpoint: can save the best model only when {self.monitor!r} is one "
                f"number, got {value}; saving as with save_best_only=False",
                stacklevel=4,
            )
            return True
        current = self._current(logs)
        if current is None:
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if not self._is_improvement(current):
            self._say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
            return False
        self._say(
            f"Epoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
            f"saving model to {path}"
        )
        self.best = current
        return True

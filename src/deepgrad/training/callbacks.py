"""Callbacks, with Keras' hook names. ``History`` and the progress display are added to
``fit`` automatically; ``model.stop_training = True`` is the one way out of ``fit``."""

from __future__ import annotations

import csv
import inspect
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from deepgrad.backend import get_default_dtype
from deepgrad.optimizers import schedules
from deepgrad.saving.backup import restore_backup, write_backup
from deepgrad.training.checkpoint import EarlyStopping, ModelCheckpoint, Monitor
from deepgrad.training.hooks import Callback, CallbackList
from deepgrad.training.tensorboard import TensorBoard
from deepgrad.viz import plot_history

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]


class History(Callback):
    """``history.history`` maps each metric to its list of per-epoch values. ``fit`` makes
    one and returns it; a ``History`` passed among the callbacks is the one ``fit`` fills
    and returns instead, as in Keras 3 (its ``epoch`` lists the epochs of the latest fit).

    >>> History().history
    {}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []  # the epochs of this fit; ``history`` goes on, as in Keras 3

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def plot(self, keys: list[str] | None = None, ax: Any = None) -> Any:
        """Draw the learning curves (needs matplotlib: the ``plot`` extra)."""
        return plot_history(self, keys, ax)


class CSVLogger(Callback):
    """Append each epoch's logs to a CSV file. The columns are fixed at the first epoch of
    each ``fit``, as Keras 3 fixes them: the logged names sorted, then, when none is a
    validation one, the ``val_`` name of each (so a later ``fit`` with validation, appending
    to the same file, still matches the header); a value not logged is written ``NA``."""

    writes_files = True

    def __init__(
        self, filename: str | os.PathLike, separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        self.filename, self.separator, self.append = Path(filename), separator, append

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the file afresh (an empty file, as Keras opens it for writing), or with
        ``append`` go on after it: the header is written then only if it was empty."""
        self.keys: list[str] | None = None
        if self.append and self.filename.exists():
            self.write_header = self.filename.stat().st_size == 0
        else:
            self.filename.write_text("")
            self.write_header = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        with self.filename.open("a", newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator)
            if self.write_header:
                writer.writerow(["epoch", *self.keys])
                self.write_header = False
            writer.writerow([epoch, *(_csv_value(logs.get(k, "NA")) for k in self.keys)])


def _csv_value(value: Any) -> Any:
    """A logged value as Keras 3's ``CSVLogger`` writes it: a list or an array of values
    (a per-class ``F1Score``) as ``"[a, b]"``, quotes included, each value by ``str``;
    a string or a number as it is."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, current_rate)``, or
    to ``schedule(epoch)`` for a function that cannot take two arguments or a
    ``schedules`` object (then counted in epochs rather than steps), as Keras 3 tries the
    two-argument call first: ``def f(epoch, lr=0.1)`` and ``def f(*args)`` get the current
    rate. The schedule must return a float (Python's, ``np.float32`` or ``np.float64``);
    anything else raises, as in Keras, and so does an optimizer made with a schedule
    (a ``TypeError``: its rate is not to be set).

    >>> LearningRateScheduler(lambda epoch, rate: rate * 0.9).takes_rate
    True
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose
        self.takes_rate = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        _check_settable(optimizer)
        if self.takes_rate:
            rate = self.schedule(epoch, rate_as_kept(optimizer))
        else:
            rate = self.schedule(epoch)
        if not _is_keras_float(rate):
            raise ValueError(
                "LearningRateScheduler: the schedule must return a float (Python's, "
                f"np.float32 or np.float64), got {rate!r} ({type(rate).__name__}) at epoch "
                f"{epoch}"
            )
        rate = float(rate)
        optimizer.learning_rate = rate
        if self.verbose:  # Keras' message, on a line of its own
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = rate_as_kept(self.model.optimizer)


def _check_settable(optimizer: Any) -> None:
    """Refuse, as Keras 3 does, to set the rate of an optimizer made with a schedule: the
    callback's rate would replace the schedule for the rest of training."""
    rate = optimizer.learning_rate
    if callable(rate):  # a schedule object, or a function of the step count
        raise TypeError(
            f"LearningRateScheduler: the optimizer's learning_rate is a schedule "
            f"({type(rate).__name__}), which setting a rate at each epoch would replace; make "
            "the optimizer with a float learning_rate (as Keras requires), or pass the "
            "schedule itself to LearningRateScheduler"
        )


def rate_as_kept(optimizer: Any) -> float:
    """The learning rate as Keras reads it back for its callbacks: a Python float of the
    rate rounded to the default float dtype, since Keras keeps the rate in a variable of
    that dtype (``SGD(0.01)`` logs 0.009999999776482582, and a schedule given the current
    rate gets that value too). The update multiplies float32 gradients by this same
    rounded rate, so it is the rate in use."""
    return float(get_default_dtype().type(optimizer.current_learning_rate()))


def _is_keras_float(value: Any) -> bool:
    """Whether Keras' ``LearningRateScheduler`` takes ``value``: float, float32, float64."""
    if isinstance(value, np.floating):
        return value.dtype in (np.float32, np.float64)
    return isinstance(value, float)


def _accepts_two_arguments(function: Callable) -> bool:
    """Whether ``function(epoch, rate)`` is a valid call (defaults and ``*args`` count)."""
    try:
        inspect.signature(function).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): try the two-argument call
        return True
    return True


class ReduceLROnPlateau(Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience``
    epochs, then wait ``cooldown`` epochs; never below ``min_lr`` (``factor=0`` drops it to
    ``min_lr`` at once, as Keras 3 allows). A schedule is scaled (``schedules.Scaled``), not
    replaced, so it keeps its shape. Once the rate is down to ``min_lr`` nothing happens
    any more: no message, and no cooldown, as in Keras.

    >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
    0.5
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        super().__init__(monitor, mode, min_delta, verbose)
        self.factor, self.patience, self.cooldown, self.min_lr = factor, patience, cooldown, min_lr

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait, self.cooldown_left, self.best = 0, 0, None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.decide_mode()
        if logs is not None:  # Keras 3 logs the epoch's rate, before any reduction
            logs["learning_rate"] = rate_as_kept(self.model.optimizer)
        current = self._current(logs)
        if current is None:
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._is_improvement(current):
            self.best, self.wait = current, 0
            return
        if self.cooldown_left > 0:  # Keras counts no wait while cooling down
            return
        self.wait += 1
        if self.wait >= self.patience and self._reduce(self.model.optimizer):
            if self.verbose:  # Keras' message, on a line of its own
                rate = self.model.optimizer.current_learning_rate()
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {rate}.")
            self.cooldown_left, self.wait = self.cooldown, 0

    def _reduce(self, optimizer: Any) -> bool:
        """max(rate × factor, min_lr), from the rate as Keras reads it (``rate_as_kept``),
        and only while it is above ``min_lr`` in that dtype, as Keras compares them;
        whether it was reduced."""
        current = rate_as_kept(optimizer)
        if current <= get_default_dtype().type(self.min_lr):
            return False
        rate = optimizer.learning_rate
        if isinstance(rate, schedules.Schedule):
            factor = max(self.factor, self.min_lr / current)
            if isinstance(rate, schedules.Scaled):
                optimizer.learning_rate = schedules.Scaled(rate.schedule, rate.factor * factor)
            else:
                optimizer.learning_rate = schedules.Scaled(rate, factor)
        else:
            optimizer.learning_rate = max(current * self.factor, self.min_lr)
        return True


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss is NaN or infinite: at the batch's end, as
    ``model.stop_training`` does (the callbacks' ``on_train_end`` still run), or with
    ``raise_error=True`` by raising a ``RuntimeError`` at once, as Keras 3 offers."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training")  # Keras' message
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.
    The first six hooks may also come by position, in Keras' order; any other hook by
    name (a name that is no hook raises)."""

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **hooks: Callable,
    ) -> None:
        super().__init__()
        positional = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        hooks = {**{k: fn for k, fn in positional.items() if fn is not None}, **hooks}
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class BackupAndRestore(Callback):
    """Save everything needed to resume (weights, optimizer state, epoch, random state)
    at each epoch's end; a restarted ``fit`` resumes after the last saved epoch and ends
    with the same weights as an uninterrupted run. The backup, and ``backup_dir`` when
    nothing else is in it, are deleted when ``fit`` finishes (unless
    ``delete_checkpoint=False``).

    The arguments are Keras 3's, in its order. Backups are made once an epoch
    (``save_freq="epoch"``); a number of batches is refused, since a backup taken mid-epoch
    would need to resume mid-epoch too. ``double_checkpoint`` is accepted and changes
    nothing: Keras keeps a second backup in case the first is cut short while it is
    written, and deepgrad writes the backup to a temporary file and renames it, so the
    one it keeps is always whole.
    """

    writes_files = True

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        if save_freq != "epoch":
            raise ValueError(
                f"BackupAndRestore: save_freq={save_freq!r} (a backup every so many batches) "
                "is not supported; deepgrad backs up at the end of each epoch "
                "(save_freq='epoch'). delete_checkpoint is the fourth argument, as in Keras"
            )
        super().__init__()
        self.backup_dir, self.delete_checkpoint = Path(backup_dir), delete_checkpoint
        self.path = self.backup_dir / "latest.dg"

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.path.exists():
            self.model._initial_epoch = restore_backup(self.model, self.path) + 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        write_backup(self.model, self.path, epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Delete the backup and, as Keras 3 deletes ``backup_dir``, the folder too when
        nothing else is in it (files of your own there are kept)."""
        if not self.delete_checkpoint:
            return
        if self.path.exists():
            self.path.unlink()
        if self.backup_dir.is_dir() and not any(self.backup_dir.iterdir()):
            self.backup_dir.rmdir()

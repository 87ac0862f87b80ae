"""The data-parallel distribute strategy: what ``fit(distributed=True)`` does at each point
of its loop, on MPI.

It has the shape of ``deepgrad.training.strategy.Strategy`` (which fit calls) without
importing it: ``distributed`` sits below ``training`` and imports nothing above it. The
model and its metrics are used only through their public methods (``get_weights``,
``non_trainable_weights``, ``get_state``, ...).
"""

from __future__ import annotations

import contextlib
from typing import Any

from deepgrad.distributed import comm
from deepgrad.distributed.data_parallel import (
    DataParallel,
    agree,
    agree_logs,
    average_non_trainable_weights,
    broadcast_random_state,
    broadcast_weights,
    reduce_metrics,
    shard_bounds,
)


class DataParallelStrategy:
    """Every process reads the same global batches and trains on its shard of each; the
    gradients are combined inside ``optimizer.step`` (one Allreduce of the flat buffer),
    the metrics merged at the end of each epoch, and rank 0 alone prints and writes files.

    >>> strategy = DataParallelStrategy()  # outside mpiexec: one process, rank 0 of 1
    >>> strategy.is_main, strategy.agree(True)
    (True, True)
    """

    def __init__(self) -> None:
        comm.ensure_initialized()
        self.is_main = comm.is_main()
        self.data_parallel: DataParallel | None = None

    def start(self, initial_epoch: int) -> int:
        epoch = comm.broadcast_object(initial_epoch)  # rank 0's BackupAndRestore may resume
        broadcast_random_state()  # the same shuffles everywhere
        return epoch

    def ready(self, optimizer: Any) -> bool:
        self.data_parallel = optimizer.data_parallel
        return self.data_parallel is not None

    def replicate(self, model: Any) -> None:
        _check_loss_splits(getattr(model, "loss", None))
        broadcast_weights(model)  # BatchNormalization's statistics too
        self.data_parallel = DataParallel(model.optimizer)  # the optimizer's state, too
        # Building drew initial weights on the processes that were not restored from a
        # backup: bring every generator back to rank 0's.
        broadcast_random_state()

    def shard(self, x: Any, y: Any, sample_weight: Any) -> tuple | None:
        n = len(x)
        if self.data_parallel is not None:  # it weights this process's gradient by its share
            part = self.data_parallel.shard(n)
        else:
            part = slice(*shard_bounds(n, comm.rank(), comm.size()))
        if part.start == part.stop:
            return None
        return x[part], _pick(y, part), _pick(sample_weight, part)

    def own_draws(self) -> contextlib.AbstractContextManager:
        if self.data_parallel is None:
            return contextlib.nullcontext()
        return self.data_parallel.own_draws()

    def agree(self, flag: bool) -> bool:
        return agree(flag)

    def reduce_metrics(self, metrics: list) -> None:
        reduce_metrics(metrics)

    def agree_logs(self, logs: dict, metrics: list) -> dict:
        return agree_logs(logs, metrics)

    def end_epoch(self, model: Any) -> None:
        average_non_trainable_weights(model)


def _check_loss_splits(loss: Any) -> None:
    """Refuse a loss whose batch value is not the mean of per-sample losses over the batch's
    n samples: each process's gradient is weighted by its share of the samples, which adds
    up to the whole batch's gradient only for such a loss (every process raises alike)."""
    if loss is None or getattr(loss, "per_sample_mean", True):
        return
    parts = getattr(loss, "losses", None) or (loss,)  # one per output, for several outputs
    named = ", ".join(_describe(part) for part in parts if not part.per_sample_mean)
    raise ValueError(
        f"fit(distributed=True): the loss {named} is not a mean of per-sample losses over the "
        "batch (sum_i w_i l_i / n, each l_i from its own sample); data-parallel training "
        "weighs each process's gradient by its share of the batch's samples, which gives "
        "the whole batch's gradient only for such a loss. Use reduction="
        "'sum_over_batch_size', no ignore_class, and a Dice or Tversky axis without the "
        "batch axis 0 (Circle compares the samples of a batch: it cannot be split), or "
        "train on one process"
    )


def _describe(loss: Any) -> str:
    """A loss's class and the settings that decide how it reduces a batch."""
    settings = [f"reduction={loss.reduction!r}"]
    if getattr(loss, "ignore_class", None) is not None:
        settings.append(f"ignore_class={loss.ignore_class!r}")
    axis = getattr(loss, "axis", -1)
    if axis is None or (isinstance(axis, tuple) and 0 in axis):  # Dice's sum over the batch
        settings.append(f"axis={axis!r}")
    return f"{type(loss).__name__}({', '.join(settings)})"


def _pick(array: Any, part: slice) -> Any:
    return None if array is None else array[part]

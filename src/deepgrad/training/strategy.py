"""Distribute strategies: how ``fit`` runs on one process or on several.

``fit`` always calls a strategy, at the same few points of its loop; the strategy decides
what each call means. On one process (``SingleProcess``) every call is the identity. Data
parallel on MPI (``deepgrad.distributed.DataParallelStrategy``, for
``fit(distributed=True)``) each call is a collective: shard the global batch, combine the
gradients before each update, merge the metrics, agree on ``stop_training``, broadcast
rank 0's state.

The MPI strategy lives in ``deepgrad.distributed``, which may not import ``training``: it
implements ``Strategy`` by its shape (a ``Protocol``), not by inheritance, and a test checks
that it has every method.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol, runtime_checkable

from deepgrad.distributed.strategy import DataParallelStrategy


@runtime_checkable
class Strategy(Protocol):
    """What ``fit`` asks of a distribute strategy, in the order it asks."""

    is_main: bool  # this process prints the progress and runs callbacks that write files

    def start(self, initial_epoch: int) -> int:
        """After ``on_train_begin`` (which may have restored a backup): the epoch every
        process starts from, and the same random state everywhere (the same shuffles)."""
        ...

    def ready(self, optimizer: Any) -> bool:
        """Whether ``replicate`` has been done for this optimizer."""
        ...

    def replicate(self, model: Any) -> None:
        """Before the first update (the model built, its optimizer bound): the same weights
        and optimizer state on every process, and the optimizer combining the gradients."""
        ...

    def shard(self, x: Any, y: Any, sample_weight: Any) -> tuple | None:
        """This process's part of a global batch, or None when it holds no sample of it."""
        ...

    def own_draws(self) -> contextlib.AbstractContextManager:
        """Around the step on this process's part: where its random draws (Dropout's
        masks) come from, so that they differ between processes and leave the generator
        that shuffles the data alike on every process."""
        ...

    def agree(self, flag: bool) -> bool:
        """True on every process if it is True on any (``stop_training``)."""
        ...

    def reduce_metrics(self, metrics: list) -> None:
        """Merge every process's running metric states: the logs of the whole data."""
        ...

    def agree_logs(self, logs: dict, metrics: list) -> dict:
        """The logs made from the merged ``metrics``, the same on every process: a value a
        custom step returned from its own part is replaced by its metric's merged result
        (and refused where no metric has its name)."""
        ...

    def end_epoch(self, model: Any) -> None:
        """Bring weights that no gradient updates (moving statistics) back into agreement."""
        ...


class SingleProcess:
    """The identity strategy: one process, which holds every sample.

    >>> strategy = SingleProcess()
    >>> strategy.start(3), strategy.agree(False), strategy.shard([1, 2], None, None)
    (3, False, ([1, 2], None, None))
    """

    is_main = True

    def start(self, initial_epoch: int) -> int:
        return initial_epoch

    def ready(self, optimizer: Any) -> bool:
        return True

    def replicate(self, model: Any) -> None:
        pass

    def shard(self, x: Any, y: Any, sample_weight: Any) -> tuple | None:
        return x, y, sample_weight

    def own_draws(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext()

    def agree(self, flag: bool) -> bool:
        return flag

    def reduce_metrics(self, metrics: list) -> None:
        pass

    def agree_logs(self, logs: dict, metrics: list) -> dict:
        return logs

    def end_epoch(self, model: Any) -> None:
        pass


def get_strategy(distributed: bool | Strategy) -> Strategy:
    """The strategy for ``fit(distributed=...)``: False is one process, True data-parallel
    on MPI; a ``Strategy`` object is used as it is.

    >>> type(get_strategy(False)).__name__
    'SingleProcess'
    """
    if isinstance(distributed, Strategy):
        return distributed
    return DataParallelStrategy() if distributed else SingleProcess()

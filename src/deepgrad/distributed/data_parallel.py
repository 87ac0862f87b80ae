"""Synchronous data parallelism: every process takes its shard of each global batch, and
the gradients are combined, before every update, with one Allreduce of the optimizer's
flat gradient buffer (one per dtype).

Each process's gradient is weighted by its share of the global batch, n_p / n, and the
weighted gradients are summed: the result is the gradient of the mean loss over the whole
global batch, exactly what one process would compute on it, also when the batch does
not split evenly. Parameters and optimizer state start identical on every process
(broadcast from rank 0), every process applies the same update to the same numbers, and
so they stay bit-identical.

Random draws on each process's own samples (Dropout's masks) come from a stream of that
process's own (``DataParallel.own_draws``), so that the processes neither draw the same
masks for different samples nor move the shared generator apart: the shared one, which
shuffles the data, stays rank 0's on every process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from deepgrad import random
from deepgrad.backend import to_numpy
from deepgrad.device import device_of, to_device
from deepgrad.distributed import comm
from deepgrad.tensor import raw_data


def shard_bounds(n: int, rank: int, size: int) -> tuple[int, int]:
    """Process ``rank``'s part [start, stop) of n samples: n // size each, and one more
    for the first n % size processes.

    >>> [shard_bounds(10, r, 3) for r in range(3)]
    [(0, 4), (4, 7), (7, 10)]
    """
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


class DataParallel:
    """Make ``optimizer`` average gradients across the processes of the MPI job.

    Creating it broadcasts the optimizer's parameters and state from rank 0, so every
    process starts identical. Then, in a plain loop over the same global batches on
    every process::

        data_parallel = distributed.DataParallel(opt)
        for x, y in batches:
            part = data_parallel.shard(len(x))     # this process's slice of the batch
            with data_parallel.own_draws():         # its own Dropout masks
                loss = loss_fn(y[part], model(x[part], training=True))
            loss.backward()
            opt.step()                              # averages the gradients first
            opt.zero_grad()

    ``fit(..., distributed=True)`` does all of this itself. ``allreduce_seconds`` adds up
    the time spent combining gradients.
    """

    def __init__(self, optimizer: Any) -> None:
        comm.ensure_initialized()
        if not optimizer.params:
            raise ValueError(
                "DataParallel: the optimizer has no parameters yet; pass them to it "
                "(or compile and build the model) first"
            )
        self.optimizer = optimizer
        self.share = 1.0 / comm.size()
        self.allreduce_seconds = 0.0
        broadcast_optimizer(optimizer)
        self.streams = process_streams()
        optimizer.data_parallel = self

    @contextlib.contextmanager
    def own_draws(self) -> Iterator[None]:
        """Draw the random numbers of this process's shard (Dropout's masks) from a
        stream of this process's own inside the block, so the processes draw independent
        masks and the shared generator, which shuffles the data, moves alike everywhere
        (shards of unequal size draw unequal amounts). One process draws from the shared
        one, as without ``DataParallel``."""
        if self.streams is None:
            yield
            return
        with random.using(self.streams), random.as_process(comm.rank()):
            yield  # as_process: a layer with a seed of its own draws this process's masks

    def shard(self, n: int) -> slice:
        """This process's slice of a global batch of ``n`` samples; its gradient will be
        weighted by its share of them. When n < size() some slices are empty: those
        processes still call ``opt.step()`` (it takes part in the Allreduce), and their
        gradient counts as zero."""
        start, stop = shard_bounds(n, comm.rank(), comm.size())
        self.share = (stop - start) / n if n else 0.0
        return slice(start, stop)

    def reduce_gradients(self, flat: Any) -> None:
        """Σ_p share_p · g_p over the processes, in place in each flat gradient buffer."""
        if comm.size() == 1:
            return
        start = time.perf_counter()
        for group in flat.groups:
            if self.share:
                group.grads *= group.grads.dtype.type(self.share)
            else:  # an empty shard: whatever its backward gave (NaN from a mean over none)
                group.grads.fill(0)
            comm.allreduce_in_place(group.grads)
        self.allreduce_seconds += time.perf_counter() - start

    def reduce_value(self, value: float) -> float:
        """Σ_p share_p · v_p: a mean loss over the global batch, from each shard's mean."""
        return float(comm.allreduce(np.array([value * self.share]), "sum")[0])


def broadcast_optimizer(optimizer: Any) -> None:
    """Rank 0's parameter values, optimizer state and step count on every process."""
    if comm.size() == 1:
        return
    for group in optimizer.flat.groups:
        group.values[...] = comm.broadcast(group.values)
    arrays = optimizer.state_arrays()
    received = {name: comm.broadcast(array) for name, array in sorted(arrays.items())}
    if not comm.is_main():
        optimizer.load_state_arrays(received)


def broadcast_weights(model: Any) -> None:
    """Rank 0's weights (trainable or not, e.g. BatchNormalization's moving statistics)
    on every process."""
    if comm.size() == 1:
        return
    model.set_weights([comm.broadcast(w) for w in model.get_weights()])


def average_non_trainable_weights(model: Any) -> None:
    """Replace weights that no gradient updates (BatchNormalization's moving statistics,
    computed on each process's own shards) by their mean over the processes, where they
    differ. Where they agree (a frozen layer's weights, Normalization's statistics) they
    are left as they are: the mean of three equal float32 numbers is not always that
    number, and a frozen weight must not move."""
    if comm.size() == 1:
        return
    for weight in model.non_trainable_weights:
        here = to_numpy(weight.data)
        first = to_numpy(comm.broadcast(weight))  # rank 0's
        differs = comm.allreduce((here != first).astype(np.float64), "sum") > 0
        if not differs.any():
            continue
        if not np.issubdtype(here.dtype, np.floating):  # no mean of integers: rank 0's
            weight.data[...] = to_device(first, device_of(weight.data))
            continue
        mean = to_numpy(comm.allreduce(weight, "mean"))
        weight.data[...] = to_device(np.where(differs, mean, here), device_of(weight.data))


def broadcast_random_state() -> None:
    """Rank 0's random generator state everywhere, so every process shuffles alike."""
    if comm.size() == 1:
        return
    state = comm.broadcast_object(json.dumps(random.get_state()) if comm.is_main() else None)
    random.set_state(json.loads(state))


def process_streams() -> random.Streams | None:
    """Generators of this process's own, seeded from rank 0's random state and the rank
    (None on one process). The shared generator does not move."""
    if comm.size() == 1:
        return None
    state = comm.broadcast_object(json.dumps(random.get_state()) if comm.is_main() else None)
    digest = hashlib.sha256(f"{state}/process {comm.rank()}".encode()).digest()
    return random.Streams.seeded(int.from_bytes(digest[:16], "little"))


def reduce_metrics(metrics: list) -> None:
    """Merge every process's running states of ``metrics`` into each (same order
    everywhere, so every process gets the same result), in one collective."""
    if comm.size() == 1 or not metrics:
        return
    everyone = comm.allgather_object([metric.get_state() for metric in metrics])
    for i, metric in enumerate(metrics):
        metric.merge_states([states[i] for states in everyone])


def agree_logs(logs: dict, metrics: list) -> dict:
    """``logs`` (made from ``metrics`` already merged) the same on every process; ``{}``
    from a process with nothing to say (its custom step has not run). A value
    that differs between processes (what a custom ``train_step`` returned from its own
    part of the batch) is replaced by the merged result of the metric of that name, and
    refused where there is none: no mean of such values is right in general."""
    if comm.size() == 1:
        return logs
    everyone = comm.allgather_object(logs)
    results = {metric.name: metric.result() for metric in metrics}
    agreed = {}
    # Every process's keys, in the same order everywhere: a process whose custom step has
    # not run yet (it held no sample) gives none, and the others' stand.
    for key in dict.fromkeys(key for other in everyone for key in other):
        values = [other[key] for other in everyone if key in other]
        if all(_same(values[0], value) for value in values):
            agreed[key] = values[0]
        elif key in results:
            agreed[key] = _plain(results[key])
        else:
            raise ValueError(
                f"fit(distributed=True): the log {key!r} differs between the processes "
                f"({values}) and no metric of the model has that name; a custom train_step "
                "or test_step must return metrics' results (model.metrics), which are merged "
                "across the processes, or values equal on every process"
            )
    return agreed


def _same(a: Any, b: Any) -> bool:
    return np.array_equal(np.asarray(a), np.asarray(b))


def _plain(value: Any) -> Any:
    """A metric's result as fit logs it: a float for one number."""
    array = to_numpy(raw_data(value))
    return float(array) if np.ndim(array) == 0 else array


def agree(flag: bool) -> bool:
    """True on every process if it is True on any (e.g. ``stop_training``)."""
    if comm.size() == 1:
        return flag
    return bool(comm.allreduce(np.array([float(flag)]), "sum")[0] > 0)

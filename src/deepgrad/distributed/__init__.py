"""``deepgrad.distributed``: data-parallel training across processes and machines on MPI.

Launch the same program once per process with ``mpiexec`` (``pip install
"deepgrad[distributed]"`` brings mpi4py and Open MPI; a cluster's own MPI works too)::

    mpiexec -n 4 deepgrad train --data digits
    mpiexec -n 4 python my_script.py           # model.fit(..., distributed=True)
    mpiexec -n 8 --hostfile hosts python my_script.py

Without mpiexec there is one process (rank 0 of 1), and everything here still works.

``fit(distributed=True)`` calls ``DataParallelStrategy`` (strategy.py) at fixed points of
its loop; a plain loop uses ``DataParallel`` (data_parallel.py) directly. Everything here
rests on the collectives of comm.py and imports nothing from ``training`` or ``models``.

>>> from deepgrad import distributed
>>> distributed.rank(), distributed.size(), distributed.is_main()
(0, 1, True)
>>> distributed.shard_bounds(10, rank=2, size=3)
(7, 10)
"""

from deepgrad.distributed.comm import (
    abort,
    allgather,
    allgather_object,
    allreduce,
    barrier,
    broadcast,
    broadcast_object,
    init,
    is_main,
    launched,
    rank,
    size,
)
from deepgrad.distributed.data_parallel import (
    DataParallel,
    average_non_trainable_weights,
    broadcast_optimizer,
    broadcast_random_state,
    broadcast_weights,
    shard_bounds,
)
from deepgrad.distributed.strategy import DataParallelStrategy

__all__ = [
    "DataParallel",
    "DataParallelStrategy",
    "abort",
    "allgather",
    "allgather_object",
    "allreduce",
    "average_non_trainable_weights",
    "barrier",
    "broadcast",
    "broadcast_object",
    "broadcast_optimizer",
    "broadcast_random_state",
    "broadcast_weights",
    "init",
    "is_main",
    "launched",
    "rank",
    "shard_bounds",
    "size",
]

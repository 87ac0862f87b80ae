"""Processes and collectives on MPI, through mpi4py.

Every process of an ``mpiexec -n N ...`` job runs the same program; ``rank()`` tells them
apart. Outside MPI (a plain ``python script.py``) there is one process, rank 0 of 1, and
every collective returns its input: the same code runs either way.

Collectives wait with a timeout (``init(timeout=...)``, 600 s by default): if a process
died or hangs, the others abort the job with a message instead of waiting forever. An
uncaught exception in any process aborts the whole job too (Open MPI would otherwise
leave the other processes blocked in their next collective).

Arrays on a device (a GPU through CuPy) go through the host: each collective copies its
input to host memory, calls MPI there and copies the result back to the input's device
(CUDA-aware MPI is not required, and not used). The results keep the input's device.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

from deepgrad.backend import to_numpy
from deepgrad.device import device_of, to_device
from deepgrad.tensor import Tensor, raw_data

_comm: Any = None
_timeout: float | None = 600.0
# Set by mpiexec/mpirun (Open MPI, MPICH, Intel MPI, PMIx) in every process it starts.
_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def _mpi() -> Any:
    try:  # mpi4py is optional (the ``distributed`` extra): imported on first use
        from mpi4py import MPI
    except ImportError:
        raise ImportError(
            "deepgrad.distributed needs mpi4py and an MPI library: "
            'pip install "deepgrad[distributed]" (mpi4py with Open MPI from PyPI), '
            "or mpi4py built against your cluster's MPI"
        ) from None
    return MPI


def launched() -> bool:
    """Whether this process was started by mpiexec as one of several."""
    return any(int(os.environ.get(name, "1") or 1) > 1 for name in _SIZE_VARIABLES)


def init(timeout: float | None = 600.0) -> None:
    """Join the MPI job (again: nothing happens). ``timeout`` (seconds, or None for no
    limit) bounds every collective's wait."""
    global _comm, _timeout
    _timeout = timeout
    if _comm is not None:
        return
    _comm = _mpi().COMM_WORLD
    if _comm.size > 1:
        _abort_on_uncaught_exceptions()


def ensure_initialized() -> None:
    """Join the MPI job if this process has not yet (keeping the timeout already set)."""
    if _comm is None:
        init(_timeout)


def _world() -> Any:
    """The communicator, joining the job on first use when launched by mpiexec."""
    if _comm is None and launched():
        init(_timeout)
    return _comm


def rank() -> int:
    """This process's number, 0 to size() − 1 (0 outside MPI)."""
    world = _world()
    return 0 if world is None else world.rank


def size() -> int:
    """The number of processes (1 outside MPI)."""
    world = _world()
    return 1 if world is None else world.size


def is_main() -> bool:
    """Rank 0: the process that prints and writes files."""
    return rank() == 0


def abort(message: str, code: int = 1) -> None:
    """Print ``message`` and stop every process of the job."""
    sys.stderr.write(f"deepgrad.distributed (process {rank()} of {size()}): {message}\n")
    sys.stderr.flush()
    world = _world()
    if world is not None and world.size > 1:
        world.Abort(code)
    raise SystemExit(code)


def _abort_on_uncaught_exceptions() -> None:
    previous = sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        abort(f"uncaught {kind.__name__}; stopping the other processes")

    sys.excepthook = hook


def _wait(request: Any, what: str) -> None:
    """Wait for a non-blocking collective, aborting the job after the timeout."""
    if _timeout is None:
        request.Wait()
        return
    start = time.monotonic()
    pause = 0.0
    while not request.Test():
        waited = time.monotonic() - start
        if waited > _timeout:
            abort(
                f"{what}: no answer from every process after {_timeout:g} s (one died or "
                "is stuck); aborting the job. Raise the limit with distributed.init(timeout=...)"
            )
        # Spin for the first millisecond (a step's collective is usually done by then),
        # then poll at most every millisecond.
        if waited > 1e-3:
            pause = min(1e-3, pause + 1e-5)
            time.sleep(pause)


def _single() -> bool:
    """One process: every collective returns its input."""
    world = _world()
    return world is None or world.size == 1


def _array(x: Any) -> Any:
    """The array of a Tensor, an array (on its device) or a number."""
    return raw_data(x) if isinstance(x, Tensor) else x


def _on_host(array: Any) -> np.ndarray:
    """A contiguous host copy-or-view of ``array`` (a device array is copied)."""
    return np.ascontiguousarray(to_numpy(array))


def allreduce(x: Any, op: str = "mean") -> Any:
    """The element-wise sum or mean of ``x`` over all processes, on every process, on
    ``x``'s device."""
    if op not in ("mean", "sum"):
        raise ValueError(f"allreduce: op must be 'mean' or 'sum', got {op!r}")
    array = _array(x)
    result = _on_host(array).copy()
    if not _single():
        allreduce_in_place(result)
        if op == "mean":
            result /= size()
    return to_device(result, device_of(array))


def allreduce_in_place(buffer: Any) -> None:
    """Sum a contiguous array over all processes, in place (one MPI call). A device
    buffer is copied to the host for the call and the sum copied back into it."""
    if _single():
        return
    if not buffer.flags.c_contiguous:
        raise ValueError("allreduce_in_place: the buffer must be contiguous")
    MPI = _mpi()
    if isinstance(buffer, np.ndarray):
        _wait(_world().Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM), "allreduce")
        return
    host = to_numpy(buffer)
    _wait(_world().Iallreduce(MPI.IN_PLACE, host, op=MPI.SUM), "allreduce")
    buffer[...] = to_device(host, device_of(buffer))


def broadcast(x: Any, root: int = 0) -> Any:
    """Rank ``root``'s array on every process (shape and dtype from ``root``), on ``x``'s
    device."""
    array = _array(x)
    if not hasattr(array, "shape"):
        array = np.asarray(array)
    if _single():
        return to_device(_on_host(array).copy(), device_of(array))
    world = _world()
    shape, dtype = world.bcast((array.shape, array.dtype.str) if world.rank == root else None, root)
    result = _on_host(array).copy() if world.rank == root else np.empty(shape, dtype)
    _wait(world.Ibcast(result, root=root), "broadcast")
    return to_device(result, device_of(array))


def broadcast_object(value: Any, root: int = 0) -> Any:
    """Rank ``root``'s small Python value (numbers, strings, dicts of them) everywhere."""
    if _single():
        return value
    return _world().bcast(value, root)


def allgather(x: Any) -> np.ndarray:
    """Every process's array, concatenated along the first axis in rank order (the first
    axes may differ in length: a sample axis of shards)."""
    array = _on_host(_array(x))
    if _single():
        return np.array(array)
    parts = allgather_object(array)
    return np.concatenate(parts, axis=0)


def allgather_object(value: Any) -> list:
    """Every process's small Python value, as a list in rank order."""
    if _single():
        return [value]
    return _world().allgather(value)


def barrier() -> None:
    """Wait until every process gets here."""
    if not _single():
        _wait(_world().Ibarrier(), "barrier")

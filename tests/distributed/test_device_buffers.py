"""The collectives on device arrays go through the host: the input is copied to host
memory, MPI is called there, and the result comes back on the input's device. Checked
with a stand-in world of two processes (each Allreduce doubles the buffer, as two equal
contributions would) and the guard device, whose arrays refuse implicit conversion to
NumPy as CuPy's do: MPI handed a device array would raise."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import device as device_module
from deepgrad.device import device_of, to_device
from deepgrad.distributed import comm
from tests.backend.guard import GuardArray


class TwoEqualProcesses:
    """mpi4py's interface as comm uses it: every process holds the same array."""

    size, rank = 2, 0

    def Iallreduce(self, _in_place, buffer, op):
        assert type(buffer) is np.ndarray, "MPI was handed a device array"
        buffer *= 2
        return None

    def Ibcast(self, buffer, root):
        assert type(buffer) is np.ndarray, "MPI was handed a device array"
        return None

    def bcast(self, value, root):
        return value


class FakeMPI:
    IN_PLACE, SUM = object(), object()


@pytest.fixture
def two_processes(monkeypatch):
    monkeypatch.setattr(comm, "_world", lambda: TwoEqualProcesses())
    monkeypatch.setattr(comm, "_mpi", lambda: FakeMPI)
    monkeypatch.setattr(comm, "_wait", lambda request, what: None)
    yield
    device_module.set_device("cpu")


def test_allreduce_in_place_of_a_device_buffer_sums_through_the_host(two_processes):
    buffer = to_device(np.arange(4.0), "guard:0")
    comm.allreduce_in_place(buffer)
    assert type(buffer) is GuardArray and device_of(buffer) == "guard:0"
    np.testing.assert_array_equal(buffer.get(), [0.0, 2.0, 4.0, 6.0])


def test_allreduce_and_broadcast_keep_the_device_of_their_input(two_processes):
    array = to_device(np.array([1.0, 3.0]), "guard:0")
    mean = comm.allreduce(array, "mean")
    assert device_of(mean) == "guard:0"
    np.testing.assert_array_equal(mean.get(), [1.0, 3.0])
    total = comm.allreduce(array, "sum")
    np.testing.assert_array_equal(total.get(), [2.0, 6.0])
    received = comm.broadcast(array)
    assert device_of(received) == "guard:0"
    np.testing.assert_array_equal(received.get(), [1.0, 3.0])


def test_host_arrays_stay_host_arrays(two_processes):
    host = np.arange(3.0)
    comm.allreduce_in_place(host)
    np.testing.assert_array_equal(host, [0.0, 2.0, 4.0])
    assert type(comm.allreduce(np.ones(2), "sum")) is np.ndarray
    assert type(comm.broadcast(np.ones(2))) is np.ndarray

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from deepgrad import native

# CI: a fixed seed and a modest number of examples, so runs are reproducible and quick.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("nightly", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The tests that compare with Keras 3 run it on JAX (its default, TensorFlow, is not a
# dependency); set before any test imports keras.
os.environ.setdefault("KERAS_BACKEND", "jax")

# The kernels from the first step, in every fit: by default ("auto") a fit holds them back
# until it has timed its first batches, and not at all once a kernel has started, so which
# rules a test's fit ran would depend on the clock and on the tests before it. The choice
# itself is tested on its own (tests/training/test_kernel_start.py).
os.environ.setdefault("DEEPGRAD_FUSED", "1")


# The C loops built before the call that needs them returns, in every test: built in the
# background (the default), a test's first call would run another executor (the same bits,
# but not the one the test means). The background build has a test of its own
# (tests/test_native_loops.py).
native.BUILD_IN_BACKGROUND = False


@pytest.fixture
def without_c_loops(monkeypatch):
    """The plans' fused calls on numba's kernels (or NumPy's calls), not on their C loops
    (``deepgrad.native_loops``, which run them wherever a compiler and Python's headers are
    found): for the tests of numba's executors, and of when ``fit`` starts numba."""
    from deepgrad import native_loops

    monkeypatch.setattr(native_loops.LOOPS, "tried", True)
    monkeypatch.setattr(native_loops.LOOPS, "module", None)


@pytest.fixture(params=["C loops", "numba"])
def loop_executor(request, monkeypatch):
    """Each executor of the plans' fused calls in turn: the C loops (skipped where they
    cannot be built), then numba's kernels (skipped without numba)."""
    from deepgrad import native_loops

    if request.param == "C loops":
        if native_loops.module() is None:
            pytest.skip("the C loops cannot be built here")
    else:
        pytest.importorskip("numba")
        monkeypatch.setattr(native_loops.LOOPS, "tried", True)
        monkeypatch.setattr(native_loops.LOOPS, "module", None)
    return request.param


@pytest.fixture(params=["C tape", "Python tape"])
def tape_engine(request, monkeypatch):
    """Each form of the tape's hot loops in turn: in C (``autodiff/native_tape.c``, skipped
    where it cannot be built), then the Python functions that define them."""
    from deepgrad.autodiff import graph, primitive

    tape = graph.NATIVE_TAPE.get()
    if request.param == "C tape":
        if tape is None:
            pytest.skip("the native tape cannot be built here")
    else:
        monkeypatch.setattr(graph.NATIVE_TAPE, "tried", True)
        monkeypatch.setattr(graph.NATIVE_TAPE, "module", None)
        primitive.use_binds(primitive.bind, primitive.bind_pair, primitive.bind_one)
    yield request.param
    if tape is not None:
        primitive.use_binds(tape.bind, tape.bind_pair, tape.bind_one)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with np.errstate(all="ignore"):
        yield


@pytest.fixture(autouse=True)
def _restore_jax_x64():
    """JAX's 64-bit mode back as it was after every test: a test that compares in float64
    turns it on for the whole process, and Keras on JAX then compares Python floats in
    float64 too, so a later test's live Keras reference (the callbacks' float32 monitor
    comparisons) changed with the order the tests ran in."""
    jax = sys.modules.get("jax")
    before = bool(jax.config.jax_enable_x64) if jax is not None else None
    yield
    jax = sys.modules.get("jax")
    if jax is None:
        return
    if before is None:  # imported during the test: JAX's default, as the environment sets it
        before = os.environ.get("JAX_ENABLE_X64", "").lower() in ("1", "true", "yes")
    if bool(jax.config.jax_enable_x64) != before:
        jax.config.update("jax_enable_x64", before)

"""The C loops of a plan's fused calls (deepgrad/native_loops.py and native_loops.c): when
they load, and that a wrong call raises instead of reading or writing outside an array.
Their bits against NumPy's are tested with each executor's own tests
(tests/compiler/test_fusion.py, test_column_sums.py, tests/ops/test_outer_products.py,
test_cross_entropy_kernels.py run every test on the C loops and on numba's kernels)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from deepgrad import kernels, native, native_loops

pytestmark = pytest.mark.skipif(
    not native.available() or native.python_headers() is None,
    reason="no C compiler or no Python headers here",
)


@pytest.fixture
def loops():
    module = native_loops.module()
    assert module is not None
    return module


@pytest.fixture
def fresh(monkeypatch):
    """A process that has not tried to load the loops yet (the load is kept once tried)."""
    monkeypatch.setattr(native_loops.LOOPS, "tried", False)
    monkeypatch.setattr(native_loops.LOOPS, "module", None)
    monkeypatch.setattr(native_loops.LOOPS, "build", None)
    monkeypatch.setattr(kernels, "_c_failure", None)


def test_turned_off_by_the_switches(fresh, monkeypatch):
    with kernels.disabled():
        assert native_loops.module() is None
    monkeypatch.setenv("DEEPGRAD_NATIVE", "0")
    assert native_loops.module() is None
    monkeypatch.setenv("DEEPGRAD_NATIVE", "1")  # not tried while off: tried now
    assert native_loops.module() is not None


def test_without_python_headers_numba_runs_them_and_nothing_is_said(fresh, monkeypatch):
    monkeypatch.setattr(native, "python_headers", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert native_loops.module() is None
    assert kernels.c_enabled() == native.available()  # the optimizers' C loops still run


def test_a_compiler_that_fails_is_said_once_and_the_numpy_bits_stay(fresh, monkeypatch, tmp_path):
    failing = tmp_path / "cc"
    failing.write_text("#!/bin/sh\necho 'broken compiler' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("CC", str(failing))
    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(tmp_path / "cache"))
    native.compiler.cache_clear()
    native.cache_folder.cache_clear()
    try:
        from deepgrad.compiler.fusion import bias_relu

        x, b = np.array([[-1.0, 2.0]]), np.array([0.5, -3.0])
        with pytest.warns(RuntimeWarning, match="broken compiler"):
            assert native_loops.module() is None
        assert bias_relu(x, b).tolist() == [[0.0, 0.0]]
    finally:
        native.compiler.cache_clear()
        native.cache_folder.cache_clear()


def test_an_empty_cache_builds_the_module_while_the_caller_goes_on(fresh, monkeypatch, tmp_path):
    """The first call starts the compiler in a background thread and returns None: the
    fused calls run NumPy's form of their rule meanwhile (same bits), and a plan made now
    takes them (``coming``); once built, the module runs them."""
    from deepgrad.compiler.fusion import bias_relu

    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(native, "BUILD_IN_BACKGROUND", True)
    native.cache_folder.cache_clear()
    try:
        x, b = np.array([[-1.0, 2.0]]), np.array([0.5, -3.0])
        assert native_loops.module() is None and native_loops.coming()
        assert bias_relu(x, b).tolist() == [[0.0, 0.0]]
        native_loops.LOOPS.build.wait()
        assert native_loops.module() is not None and native_loops.coming()
        assert bias_relu(x, b).tolist() == [[0.0, 0.0]]
        built = [p.name for p in (tmp_path / "kernels").iterdir()]
        assert len(built) == 1 and built[0].startswith(native_loops.NAME + "-")
    finally:
        native.cache_folder.cache_clear()


def float_arrays(shape=(3, 4), dtype=np.float32):
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape) - 5


@pytest.mark.parametrize("name", ["relu_of_sum", "positive_part_of"])
def test_the_elementwise_loops_refuse_what_they_cannot_take(loops, name):
    run = getattr(loops, name)
    a, b, out = float_arrays(), float_arrays((4,)), np.empty((3, 4), np.float32)
    readonly = np.zeros((3, 4), np.float32)
    readonly.setflags(write=False)
    cases = [
        ((a, b.astype(np.float64), out), "two dtypes"),
        ((a.astype(np.int64), b.astype(np.int64), out.astype(np.int64)), "float32 or float64"),
        ((a, b, np.empty((3, 5), np.float32)), "shape"),
        ((a, float_arrays((5,)), out), "one row"),
        ((a, float_arrays((2, 4)), out), "one row"),
        ((a.T.copy().T, b, out), "C-contiguous"),
        ((a, b, np.empty((3, 8), np.float32)[:, :4]), "C-contiguous"),
        ((a, b, readonly), "writable"),
    ]
    for arguments, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            run(*arguments)
    with pytest.raises(TypeError, match="takes 3 arrays"):
        run(a, b)


def test_an_output_that_overlaps_an_input_without_being_it_is_refused(loops):
    memory = np.zeros(16, np.float32)
    a, out = memory[:12].reshape(3, 4), memory[4:].reshape(3, 4)
    with pytest.raises(ValueError, match="overlaps"):
        loops.relu_of_sum(a, np.zeros(4, np.float32), out)
    with pytest.raises(ValueError, match="overlaps"):
        loops.column_sum(memory[:12].reshape(3, 4), memory[8:12])
    x, y = memory[:3].reshape(3, 1), memory[3:7].reshape(1, 4)
    with pytest.raises(ValueError, match="overlaps"):
        loops.outer(x, y, memory[4:16].reshape(3, 4))


def test_in_place_over_either_input_and_over_one_array(loops):
    a, b = float_arrays(dtype=np.float64), float_arrays(dtype=np.float64)[::-1].copy()
    expected = np.maximum(a + b, 0) + 0.0
    first, second = a.copy(), b.copy()
    loops.relu_of_sum(first, b, first)
    loops.relu_of_sum(a, second, second)
    same = a.copy()
    loops.relu_of_sum(same, same, same)
    assert first.tobytes() == second.tobytes() == expected.tobytes()
    assert same.tobytes() == (np.maximum(a + a, 0) + 0.0).tobytes()


def test_the_cross_entropy_passes_check_their_labels(loops):
    logits = float_arrays((2, 3))
    shifted, tops, totals = np.empty_like(logits), np.empty(2, np.float32), np.empty(2, np.float32)
    assert loops.cross_entropy_shift(logits, np.array([0, 3]), shifted, tops) == -1
    with pytest.raises(ValueError, match="out of range"):
        loops.cross_entropy_finish(logits, np.array([0, -1]), shifted, tops, totals, False)
    with pytest.raises(ValueError, match="int64 labels"):
        loops.cross_entropy_shift(logits, np.array([0, 1], np.int32), shifted, tops)
    with pytest.raises(ValueError, match="overlap"):
        loops.cross_entropy_shift(logits, np.array([0, 1]), logits, tops)


def test_any_c_contiguous_float_buffer_is_taken(loops):
    """The loops take arrays through the buffer protocol, NumPy's or not."""
    a = memoryview(float_arrays((2, 2))).cast("B").cast("f", (2, 2))
    out = np.empty((2, 2), np.float32)
    loops.relu_of_sum(a, np.zeros(2, np.float32), out)
    assert out.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_a_strided_output_of_the_column_sums_goes_another_way(loops):
    """The C loop takes a C-contiguous output only; a strided one is summed by numba's loop
    or NumPy, with the same bits, not refused."""
    from deepgrad.compiler.column_sums import column_sum

    a = float_arrays((5, 4), np.float64)
    out = np.zeros(8)[::2]
    column_sum(a, out)
    assert out.tobytes() == np.sum(a, axis=(0,)).tobytes()

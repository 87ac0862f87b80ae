"""The C executor of the elementwise rules (optimizers/c_kernels.py, built by native.py):
bit for bit the NumPy plan for every rule, every combination of its flags, float32 and
float64, on the awkward values too (NaN, ±inf, signed zeros); the arguments it does not
take run the NumPy plan; a compiler that fails is said once, and the update still runs."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels, native
from deepgrad.optimizers import c_kernels
from deepgrad.optimizers.elementwise import Rule
from tests.optimizers.test_elementwise import CONFIGS, RULES, _inputs

needs_compiler = pytest.mark.skipif(not native.available(), reason="no C compiler here")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """A cache folder of this test session's own (the libraries are built once per run)."""
    folder = tmp_path_factory.getbasetemp() / "native-cache"
    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(folder))
    native.cache_folder.cache_clear()
    yield
    native.cache_folder.cache_clear()


@pytest.fixture(autouse=True, params=["module", "ctypes"])
def loop_form(request, monkeypatch):
    """Every test on both forms of the loop: a Python extension module (where Python's
    headers are installed) and a plain library called through ctypes (where they are not)."""
    if request.param == "module" and native.python_headers() is None:
        pytest.skip("this Python's headers are not installed")
    if request.param == "ctypes":
        monkeypatch.setattr(native, "python_headers", lambda: None)
    for rule in RULES.values():  # nothing built in the other form
        monkeypatch.setattr(rule, "_c_kernels", {})
    return request.param


def _by_c(rule: Rule, arrays: list, scalars: list) -> list:
    updated = [a.copy() for a in arrays]
    assert rule._c_kernel_fits(updated[0], (*updated[1:], *scalars))
    assert rule.c(*updated, *scalars)
    return updated


def _by_numpy(rule: Rule, arrays: list, scalars: list) -> list:
    updated = [a.copy() for a in arrays]
    rule.numpy(*updated, *scalars, scratch={})
    return updated


@needs_compiler
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_the_c_loop_is_bit_identical_to_the_numpy_plan(name, dtype):
    rule = RULES[name]
    for seed in range(3):
        for arrays, scalars in _inputs(rule, dtype, 10_007, seed):
            for ours, theirs in zip(
                _by_c(rule, arrays, scalars), _by_numpy(rule, arrays, scalars), strict=True
            ):
                np.testing.assert_array_equal(ours, theirs)
                assert ours.tobytes() == theirs.tobytes()  # -0.0 and NaN payloads too


@needs_compiler
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_awkward_values_give_the_numpy_plans_bits(name, dtype):
    rule = RULES[name]
    awkward = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-310, 3.0], dtype)
    rng = np.random.default_rng(1)
    for arrays, scalars in _inputs(rule, dtype, c_kernels.MIN_SIZE, seed=2):
        arrays = [a.copy() for a in arrays]
        for a in arrays:  # each array gets the awkward values at other places
            a[rng.choice(a.size, 64, replace=False)] = np.resize(awkward, 64)
        with np.errstate(all="ignore"):
            ours, theirs = _by_c(rule, arrays, scalars), _by_numpy(rule, arrays, scalars)
        for a, b in zip(ours, theirs, strict=True):
            assert a.tobytes() == b.tobytes()


@needs_compiler
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_training_with_the_c_loops_is_bit_identical(name, dtype, monkeypatch):
    def train():
        rng = np.random.default_rng(0)
        shapes = [(100, 100), (100,), (100, 13)]  # one flat buffer of 11,400: over MIN_SIZE
        params = [
            dg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes
        ]
        opt = CONFIGS[name](params)
        for _ in range(20):
            for p in params:
                p.grad.data[...] = rng.standard_normal(p.shape)
            opt.step()
        return opt

    def no_numpy_plan(*args, **kwargs):
        raise AssertionError("the NumPy plan ran where the C loop should have")

    with kernels.numba_held(), monkeypatch.context() as patch:  # the C loops, nothing else
        patch.setattr(Rule, "numpy", no_numpy_plan)
        fast = train()
    with kernels.disabled():
        slow = train()
    np.testing.assert_array_equal(fast.flat.groups[0].values, slow.flat.groups[0].values)
    for key in fast.state[0]:
        np.testing.assert_array_equal(fast.state[0][key], slow.state[0][key])


@needs_compiler
def test_what_the_loop_cannot_take_runs_the_numpy_plan(monkeypatch):
    rule = RULES["adam"]
    arrays, scalars = next(_inputs(rule, np.float32, c_kernels.MIN_SIZE, seed=0))
    gradient, *updated = arrays
    assert rule._c_kernel_fits(gradient, (*updated, *scalars))
    mixed = [updated[0], updated[1].astype(np.float64), updated[2]]
    assert not rule._c_kernel_fits(gradient, (*mixed, *scalars))  # another dtype
    strided = np.zeros(2 * gradient.size, np.float32)[::2]
    assert not rule._c_kernel_fits(gradient, (strided, *updated[1:], *scalars))
    assert not rule._c_kernel_fits(gradient[:-1], (*updated, *scalars))  # another shape
    an_array = [np.float32(2.0) * np.ones(gradient.size, np.float32), *scalars[1:]]
    assert not rule._c_kernel_fits(gradient, (*updated, *an_array))  # not a number
    small = [a[: c_kernels.min_size() - 1] for a in arrays]
    assert not rule._c_kernel_fits(small[0], (*small[1:], *scalars))  # too small to pay
    frozen = updated[0].copy()
    frozen.flags.writeable = False
    assert not rule._c_kernel_fits(gradient, (frozen, *updated[1:], *scalars))
    with pytest.raises(ValueError, match="read-only"), kernels.numba_held():
        rule(gradient, frozen, *updated[1:], *scalars)  # NumPy's plan says so
    if kernels.enabled():  # and so does numba's kernel, once built
        rule.compiled(gradient, *[a.copy() for a in updated], *scalars)
        monkeypatch.setenv("DEEPGRAD_NATIVE", "0")
        with pytest.raises(ValueError, match="read-only"):
            rule(gradient, frozen, *updated[1:], *scalars)
    swapped = updated[0].astype(updated[0].dtype.newbyteorder())
    assert not rule._c_kernel_fits(gradient, (swapped, *updated[1:], *scalars))
    halves = [a.astype(np.float16) for a in arrays]
    assert not rule._c_kernel_fits(halves[0], (*halves[1:], *scalars))  # no C loop for it
    with kernels.disabled():
        assert not rule._c_kernel_fits(gradient, (*updated, *scalars))


def test_native_zero_turns_the_c_loops_off(monkeypatch):
    monkeypatch.setenv("DEEPGRAD_NATIVE", "0")
    assert not kernels.c_enabled()
    with pytest.raises(native.NativeUnavailable, match="DEEPGRAD_NATIVE=0"):
        native.load("void f(void) {}", "f", [])
    monkeypatch.setenv("DEEPGRAD_NATIVE", "yes")
    with pytest.raises(ValueError, match="DEEPGRAD_NATIVE='yes'"):
        native.available()


@needs_compiler
def test_a_failing_compiler_is_said_once_and_the_update_still_runs(monkeypatch):
    monkeypatch.setattr(native, "FLAGS", (*native.FLAGS, "-fno-such-option-for-deepgrad"))
    monkeypatch.setattr(kernels, "_c_failure", None)
    rule = Rule(RULES["adam"].function, updates=3)  # a fresh rule: nothing built yet
    arrays, scalars = next(_inputs(rule, np.float32, c_kernels.MIN_SIZE, seed=0))
    ours = [a.copy() for a in arrays]
    with pytest.warns(RuntimeWarning, match="could not build a C kernel"):
        with kernels.numba_held():
            rule(*ours, *scalars)
    assert kernels._c_failure is not None and not kernels.c_enabled()
    for a, b in zip(ours, _by_numpy(rule, arrays, scalars), strict=True):
        np.testing.assert_array_equal(a, b)


@needs_compiler
def test_a_library_is_built_once_and_loaded_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(tmp_path))
    native.cache_folder.cache_clear()
    source = "void deepgrad_test_double(double *x) { *x = 2 * *x; }"
    native.load(source, "deepgrad_test_double", [])
    built = sorted(p.name for p in (tmp_path / "kernels").iterdir())
    assert len(built) == 1 and built[0].startswith("deepgrad_test_double-")
    assert built[0].endswith(".so")  # no temporary file left behind
    calls = []
    monkeypatch.setattr(native, "_build", lambda *args: calls.append(args))
    native.load(source, "deepgrad_test_double", [])
    assert calls == []  # found in the cache: not built again


def test_a_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "kernels").mkdir(parents=True)
    (shared / "kernels").chmod(0o777)
    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(shared))
    native.cache_folder.cache_clear()
    assert native.cache_folder() != str(shared / "kernels")


def test_the_generated_source_is_c_of_the_rule():
    source = RULES["adam"].cuda_source((None, None, None, 0.1, 0.1, 0.9, 0.1, 1.0, 1e-7))
    text, name = c_kernels.c_source(source, np.dtype(np.float64))
    assert name == "deepgrad_adam_float64"
    assert "typedef double T;" in text and "sqrt(a)" in text
    text32, _ = c_kernels.c_source(source, np.dtype(np.float32))
    assert "typedef float T;" in text32 and "sqrtf(a)" in text32


@needs_compiler
def test_a_library_that_cannot_be_loaded_is_said_not_raised_from_the_step(tmp_path, monkeypatch):
    """A cache folder on a file system that runs no code (noexec), or a full disk: the
    update runs another way; the error is the compiler's kind, not an OSError mid-fit."""
    monkeypatch.setenv("DEEPGRAD_CACHE_DIR", str(tmp_path))
    native.cache_folder.cache_clear()

    def refuse(path):
        raise OSError(f"{path}: failed to map segment from shared object")

    monkeypatch.setattr(native.ctypes, "CDLL", refuse)
    with pytest.raises(native.NativeUnavailable, match="failed to map segment"):
        native.load("void deepgrad_test_noexec(void) {}", "deepgrad_test_noexec", [])


@pytest.mark.parametrize("aliased", ["m is v", "gradient is the parameter", "overlapping views"])
def test_overlapping_arrays_are_refused_by_every_executor(aliased):
    """Adam with one array as both m and v: its C loop and its NumPy plan gave different
    numbers (the loop reads both old values first, the plan writes m before reading v)."""
    rule = RULES["adam"]
    arrays, scalars = next(_inputs(rule, np.float32, c_kernels.MIN_SIZE, seed=0))
    gradient, parameter, m, v = (a.copy() for a in arrays)
    if aliased == "m is v":
        v = m
    elif aliased == "gradient is the parameter":
        parameter = gradient
    else:
        buffer = np.zeros(gradient.size + 1, np.float32)
        m, v = buffer[:-1], buffer[1:]
    for executor in (kernels.numba_held, kernels.disabled):
        with executor(), pytest.raises(ValueError, match=r"adam: .* must not overlap in memory"):
            rule(gradient, parameter, m, v, *scalars)


@needs_compiler
def test_the_module_checks_what_it_is_given(loop_form):
    """The module form checks the arrays again itself: called directly with what the rule
    would not give it, it raises instead of reading or writing outside an array."""
    if loop_form != "module":
        pytest.skip("the ctypes form takes pointers: the rule checks for it")
    rule = RULES["adam"]
    arrays, scalars = next(_inputs(rule, np.float32, 100, seed=0))
    _by_c(rule, arrays, scalars)
    (kernel,) = rule._c_kernels.values()
    gradient, parameter, m, v = (a.copy() for a in arrays)
    cases = [
        ((gradient, parameter, m, v[:-1]), scalars, "of one size"),
        ((gradient, parameter, m, v.astype(np.float64)), scalars, "float32 arrays"),
        ((gradient, parameter, m, m), scalars, "must not overlap"),
        ((gradient, parameter, m[::-1], v), scalars, "C-contiguous"),
        ((gradient, parameter, m, v), ["a rate", *scalars[1:]], "must be real number"),
    ]
    for (g, *updated), numbers, message in cases:
        with pytest.raises((ValueError, TypeError), match=message):
            kernel(g, tuple(updated), numbers)
    with pytest.raises(TypeError, match="adam takes"):
        kernel(gradient, (parameter, m), scalars)

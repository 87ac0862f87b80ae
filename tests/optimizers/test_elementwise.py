"""The elementwise rules and their two executors: the NumPy plan is the function itself,
bit for bit; the numba kernel equals the NumPy plan bit for bit (0 ulp, the documented
bound), for every rule that has a kernel, in float32 and float64."""

import importlib
import inspect
import itertools
import math
import pkgutil

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.optimizers
from deepgrad import kernels
from deepgrad import optimizers as O
from deepgrad.optimizers import elementwise as elementwise_module
from deepgrad.optimizers.elementwise import Rule, _digest, elementwise


def all_rules() -> dict[str, Rule]:
    found = {}
    for module in pkgutil.iter_modules(deepgrad.optimizers.__path__):
        namespace = importlib.import_module(f"deepgrad.optimizers.{module.name}")
        for name, value in vars(namespace).items():
            if isinstance(value, Rule) and value.function.__module__ == namespace.__name__:
                found[name] = value
    return found


RULES = all_rules()
KERNELS = {name: rule for name, rule in RULES.items() if rule.kernel}


def test_the_rules_are_found():
    assert {"sgd", "sgd_momentum", "adam", "amsgrad", "yogi", "nadam"} <= set(RULES)
    assert set(KERNELS) == {
        "sgd",
        "sgd_momentum",
        "adam",
        "amsgrad",
        "schedule_free_sgd",
        "schedule_free_adamw",
    }


def _inputs(rule: Rule, dtype, size: int, seed: int):
    """Random arrays (state arrays positive, as second moments are) and scalars in the
    ranges the optimizers pass, one set per combination of the rule's flags."""
    rng = np.random.default_rng(seed)
    names = list(inspect.signature(rule.function).parameters)
    arrays = [rng.standard_normal(size).astype(dtype) for _ in range(2)]
    arrays += [
        np.abs(rng.standard_normal(size)).astype(dtype) * dtype(rng.uniform(0.01, 2))
        for _ in range(rule.updates - 1)
    ]
    flag_names = [n for n in names[rule.updates + 1 :] if n in ("nesterov", "first", "rectified")]
    scalars = [float(rng.uniform(1e-4, 1.0)) for _ in names[rule.updates + 1 :]]
    for flags in itertools.product([False, True], repeat=len(flag_names)):
        values = iter(flags)
        yield (
            arrays,
            [
                next(values) if n in flag_names else s
                for n, s in zip(names[rule.updates + 1 :], scalars, strict=True)
            ],
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_the_numpy_plan_is_the_function_applied_to_arrays(name, dtype):
    rule = RULES[name]
    for seed in range(3):
        for arrays, scalars in _inputs(rule, dtype, 1000, seed):
            cast = [s if isinstance(s, bool) else dtype(s) for s in scalars]
            expected = rule.function(*arrays, *cast)
            expected = expected if rule.updates > 1 else (expected,)
            updated = [a.copy() for a in arrays]
            rule.numpy(*updated, *scalars, scratch={})
            for ours, theirs in zip(updated[1:], expected, strict=True):
                assert ours.dtype == dtype
                np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_the_kernel_is_bit_identical_to_the_numpy_plan(name, dtype):
    pytest.importorskip("numba")
    rule = KERNELS[name]
    for seed in range(5):
        for arrays, scalars in _inputs(rule, dtype, 10_007, seed):
            by_numpy = [a.copy() for a in arrays]
            by_numba = [a.copy() for a in arrays]
            rule.numpy(*by_numpy, *scalars, scratch={})
            rule.compiled(*by_numba, *scalars)
            for ours, theirs in zip(by_numba, by_numpy, strict=True):
                np.testing.assert_array_equal(ours, theirs)


CONFIGS = {
    "sgd": lambda p: O.SGD(p, 0.05),
    "momentum": lambda p: O.SGD(p, 0.05, momentum=0.9, dampening=0.5),
    "nesterov": lambda p: O.SGD(p, 0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: O.Adam(p, 0.01),
    "amsgrad": lambda p: O.Adam(p, 0.01, amsgrad=True),
    "adamw": lambda p: O.AdamW(p, 0.01, weight_decay=0.1),
    "schedule-free sgd": lambda p: O.ScheduleFreeSGD(p, 0.05, warmup_steps=5),
    "schedule-free adamw": lambda p: O.ScheduleFreeAdamW(p, 0.01, warmup_steps=5),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_training_with_and_without_kernels_is_bit_identical(name, dtype, monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setenv("DEEPGRAD_NATIVE", "0")  # numba's kernels, not the C loops

    def train():
        rng = np.random.default_rng(0)
        shapes = [(50, 100), (100,), (100, 13)]  # 6,400 elements: above kernels.MIN_SIZE
        params = [
            dg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes
        ]
        opt = CONFIGS[name](params)
        for _ in range(20):
            for p in params:
                assert p.grad is not None  # the optimizer made it a view of its buffer
                p.grad.data[...] = rng.standard_normal(p.shape)
            opt.step()
        return opt

    fast = train()
    assert kernels.available(fast.flat.groups[0].values)
    with kernels.disabled():
        slow = train()
    np.testing.assert_array_equal(fast.flat.groups[0].values, slow.flat.groups[0].values)
    for key in fast.state[0]:
        np.testing.assert_array_equal(fast.state[0][key], slow.state[0][key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_the_numpy_plan_chunk_by_chunk_gives_the_whole_buffers_bits(name, dtype, monkeypatch):
    """A buffer of CHUNKED_MIN_SIZE elements and a part is updated a chunk at a time (the
    scratch buffers say so), flat or shaped, to the bits of the plan run on the whole
    buffer at once and of the function applied to the arrays."""
    rule = RULES[name]
    size = elementwise_module.CHUNKED_MIN_SIZE + 123
    for shape in [(size,), (7, size // 7)]:
        for arrays, scalars in _inputs(rule, dtype, math.prod(shape), 0):
            arrays = [a.reshape(shape) for a in arrays]
            chunked, whole = [a.copy() for a in arrays], [a.copy() for a in arrays]
            scratch: dict = {}
            rule.numpy(*chunked, *scalars, scratch=scratch)
            assert all(key[0] == (elementwise_module.CHUNK,) for key in scratch)
            with monkeypatch.context() as patch:
                patch.setattr(elementwise_module, "CHUNKED_MIN_SIZE", 10 * size)  # whole
                rule.numpy(*whole, *scalars, scratch={})
            cast = [s if isinstance(s, bool) else dtype(s) for s in scalars]
            expected = rule.function(*arrays, *cast)
            expected = expected if rule.updates > 1 else (expected,)
            for ours, theirs, applied in zip(chunked[1:], whole[1:], expected, strict=True):
                np.testing.assert_array_equal(ours, theirs)
                np.testing.assert_array_equal(ours, applied)


def test_arrays_that_do_not_line_up_are_updated_whole():
    """A strided updated array (or a Fortran-ordered one) has no flat view that lines up
    with the gradient's: the plan runs on the whole arrays, to the function's bits."""
    rule = RULES["adam"]
    size = elementwise_module.CHUNKED_MIN_SIZE + 5
    rng = np.random.default_rng(1)
    gradient = rng.standard_normal(size).astype(np.float32)
    parameter = rng.standard_normal(2 * size).astype(np.float32)[::2]  # strided
    m, v = np.zeros(size, np.float32), np.ones(size, np.float32)
    scalars = (0.01, 0.1, 0.999, 0.001, 1.0, 1e-7)
    expected = rule.function(gradient, parameter, m, v, *map(np.float32, scalars))
    scratch: dict = {}
    rule.numpy(gradient, parameter, m, v, *scalars, scratch=scratch)
    assert list(scratch) == [((size,), np.dtype(np.float32))]
    for ours, theirs in zip((parameter, m, v), expected, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_the_numpy_plan_allocates_one_scratch_buffer_for_adam():
    """One buffer, the buffer's length: below CHUNKED_MIN_SIZE the plan runs whole."""
    scratch = {}
    arrays = [np.ones(100, np.float32) for _ in range(4)]
    RULES["adam"].numpy(*arrays, 0.1, 0.1, 0.999, 0.001, 1.0, 1e-8, scratch=scratch)
    assert [len(buffers) for buffers in scratch.values()] == [1]
    assert list(scratch) == [((100,), np.dtype(np.float32))]


def test_a_literal_in_a_rule_is_refused():
    @elementwise(updates=1)
    def halve(gradient, parameter):
        return parameter - 0.5 * gradient

    with pytest.raises(TypeError, match=r"literal 0\.5"):
        halve.numpy(np.ones(3), np.ones(3))


def test_branching_on_a_value_is_refused():
    @elementwise(updates=1)
    def clipped(gradient, parameter, rate):
        return parameter - rate * gradient if gradient > rate else parameter

    with pytest.raises(TypeError, match="only on a bool argument"):
        clipped.numpy(np.ones(3), np.ones(3), 0.1)


def test_an_old_value_kept_alive_is_copied_last():
    """A rule that still reads an array's old value after computing its new one gets the
    new value through scratch, not written over the old one too early."""

    @elementwise(updates=2)
    def swap_sum(gradient, a, b):
        return a + b, a - gradient

    a, b, g = np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([0.5, 0.5])
    swap_sum.numpy(g, a, b)
    np.testing.assert_array_equal(a, [11.0, 22.0])
    np.testing.assert_array_equal(b, [0.5, 1.5])


def test_a_scalar_result_fills_its_array():
    @elementwise(updates=2)
    def reset(gradient, parameter, state, rate, value):
        return parameter - rate * gradient, value * rate

    theta, state = np.ones(3), np.zeros(3)
    reset.numpy(np.ones(3), theta, state, 0.5, 4.0)
    np.testing.assert_array_equal(theta, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(state, [2.0, 2.0, 2.0])


def product(x, y):
    return x * y


def step_with_product(gradient, parameter, rate):
    return parameter - product(rate, gradient)


def test_a_kernel_is_cached_under_a_digest_of_its_rule_and_helpers(monkeypatch):
    """Editing a rule, or a helper it calls, changes the name numba caches its kernel under."""

    def plain(gradient, parameter, rate):
        return parameter - rate * gradient

    def other(gradient, parameter, rate):
        return parameter + rate * gradient

    assert _digest(plain) == _digest(plain) != _digest(other)
    before = _digest(step_with_product)
    monkeypatch.setitem(globals(), "product", lambda x, y: x + y)
    assert _digest(step_with_product) != before


def test_arrays_of_another_shape_are_refused_by_the_kernel():
    pytest.importorskip("numba")
    big = kernels.MIN_SIZE
    gradient, theta = np.ones(big, np.float32), np.ones(big + 1, np.float32)
    with pytest.raises(ValueError, match="shapes"):
        RULES["sgd"](gradient, theta, 0.1)
    RULES["sgd"](gradient, np.ones(big, np.float32), 0.1)  # compiled now: the fast path
    with pytest.raises(ValueError, match="shapes"):
        RULES["sgd"](gradient, theta, 0.1)

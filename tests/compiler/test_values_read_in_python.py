"""A value taken out of a compiled function's data into Python is refused while it records.

A plan replays array calls and no Python, so ``if dnp.sum(x) > 0:`` took the first call's
branch at every later call. The second recording caught it only when the first two calls
took different branches; when they agreed (two batches of positive data), the replay went
on taking that branch for data that asked for the other: a silent wrong answer. JAX's
``jit`` refuses such a read (``ConcretizationTypeError``); so does ``compile`` now.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import CompileError


def _branching(x):
    if dnp.sum(x) > 0:
        return x * 2.0
    return x * 3.0


def test_a_branch_on_the_data_is_refused_even_when_the_first_calls_agree():
    compiled = dg.compile(_branching)
    with pytest.raises(CompileError, match=r"bool\(\) of a bool array .* arguments"):
        compiled(np.ones(2))  # (replayed x * 2.0 for -np.ones(2) before: -2, not -3)
    assert np.array_equal(dg.compile(_branching, check=False).fn(-np.ones(2)), [-3.0, -3.0])


@pytest.mark.parametrize(
    ("conversion", "read"),
    [
        ("float()", lambda x: float(x[0])),
        ("int()", lambda x: int(x[0])),
        ("bool()", lambda x: bool(x[0] > 0)),
        ("item()", lambda x: x[0].item()),
        ("tolist()", lambda x: x.tolist()[0]),
        ("numpy()", lambda x: x.numpy()[0]),
        ("np.asarray()", lambda x: np.asarray(x)[0]),
        ("an index", lambda x: len(range(dnp.astype(x[0], int)))),
        ("an index", lambda x: x[: dnp.astype(x[0], int)].shape[0]),
    ],
)
def test_every_way_out_to_python_is_refused(conversion, read):
    compiled = dg.compile(lambda x: x * read(x))
    message = re.escape(conversion) + r" of a .*\(at .*test_values_read_in_python"
    with pytest.raises(CompileError, match=message):
        compiled(np.array([2.0, 1.0]))


def test_what_is_computed_from_constants_alone_may_be_read():
    scale = dg.tensor([1.0, 2.0])
    compiled = dg.compile(lambda x: x * float(dnp.sum(scale)))
    for value in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        assert np.array_equal(compiled(np.array(value)), 3.0 * np.array(value))


def test_a_weight_read_into_python_is_refused():
    weight = dg.tensor([0.5, -1.0], requires_grad=True)

    def step(x):
        return x * float(weight[0])  # the optimizer changes it between calls

    with pytest.raises(CompileError, match=r"float\(\)"):
        dg.compile(step)(np.ones(2))
    with pytest.raises(CompileError, match=r"numpy\(\)"):
        dg.compile(lambda x: x * weight.numpy())(np.ones(2))


def test_a_data_dependent_length_is_refused():
    def counted(x):
        return dnp.arange(dnp.astype(dnp.sum(x > 0), int)) * 1.0

    with pytest.raises(CompileError, match="arange's bound"):
        dg.compile(counted)(np.array([1.0, -1.0, 2.0]))
    with pytest.raises(CompileError, match="one_hot's labels"):
        dg.compile(lambda y: dg.ops.one_hot(y, 3))(np.array([0, 2]))


def test_interp_on_traced_knots_is_computed_again_at_every_call():
    """The segment found in the knots picked fp's values by NumPy's own indexing of an
    array, frozen into the plan (4 of 6 replays wrong)."""
    rng = np.random.default_rng(1)

    def f(x):
        return dnp.interp(0.5, dnp.sort(x), np.arange(4.0))

    compiled = dg.compile(f)
    for _ in range(6):
        x = rng.standard_normal(4)
        assert np.isclose(compiled(x), np.interp(0.5, np.sort(x), np.arange(4.0)))


@pytest.mark.parametrize(
    ("function", "count", "expected"),
    [
        (dnp.split, 2, np.split(np.arange(4.0), 2)),
        (dnp.roll, 1, np.roll(np.arange(4.0), 1)),
        (dnp.tile, 2, np.tile(np.arange(4.0), 2)),
        (dnp.repeat, [1, 0, 2, 1], np.repeat(np.arange(4.0), [1, 0, 2, 1])),
    ],
)
def test_counts_given_as_tensors_are_read_as_numpy_reads_arrays(function, count, expected):
    """(split recursed without end, roll and tile raised a TypeError)"""
    result = function(dg.tensor(np.arange(4.0)), dg.tensor(count))
    parts = result if isinstance(result, list) else [result]
    wanted = expected if isinstance(expected, list) else [expected]
    assert len(parts) == len(wanted)
    for part, want in zip(parts, wanted, strict=True):
        assert np.array_equal(part.numpy(), want)


def test_two_answers_that_are_the_same_numpy_boolean_stay_two_values():
    """NumPy answers a comparison of 0-d arrays with np.False_, one object for every False:
    a recording that knew values by identity took the second comparison's answer for the
    first's, and the replay gave 10.0 for [-1, 1] as for [1, -1] (11.0 for both)."""

    def f(x):
        first, second = dnp.greater(x[0], 0.0), dnp.greater(x[1], 0.0)
        return dnp.where(first, 1.0, 0.0) + dnp.where(second, 10.0, 0.0)

    compiled = dg.compile(f)
    compiled(np.array([-1.0, -1.0]))
    compiled(np.array([-2.0, -2.0]))
    for value, expected in (([1.0, -1.0], 1.0), ([-1.0, 1.0], 10.0), ([1.0, 1.0], 11.0)):
        assert float(compiled(np.array(value))) == expected


def test_a_constant_read_into_python_records_again_when_it_is_written():
    """``float(scale)`` is a number in the plan: a write to ``scale`` must record again, as
    a write to a constant an op folded does (the plan went on multiplying by 2.0)."""
    scale = dg.tensor(2.0)
    compiled = dg.compile(lambda x: x * float(scale))
    for _ in range(3):
        assert np.array_equal(compiled(np.ones(2)), [2.0, 2.0])
    scale += 1.0
    for _ in range(3):
        assert np.array_equal(compiled(np.ones(2)), [3.0, 3.0])
    scale.data = np.asarray(5.0, np.float32)
    for _ in range(3):
        assert np.array_equal(compiled(np.ones(2)), [5.0, 5.0])


@pytest.mark.parametrize(
    "draw",
    [
        lambda x: x + dnp.random.normal(size=x.shape),
        lambda x: x + dnp.random.uniform(-1.0, 1.0, size=x.shape),
        lambda x: x[dnp.random.permutation(4)] * dnp.random.normal(1.0, 0.5, size=4),
        lambda x: x[dnp.random.choice(4, 3)] + dnp.random.normal(size=3),
    ],
)
def test_numpy_random_draws_are_drawn_again_at_every_call(draw):
    """deepgrad.numpy.random's draws without a Tensor argument were NumPy's own, frozen
    into the plan and refused by the second recording (CompileError); they are impure
    calls now, as the ones with a Tensor argument were."""
    compiled = dg.compile(draw)
    outputs = [compiled(np.arange(4.0)).tobytes() for _ in range(6)]
    assert len(set(outputs)) >= 5  # drawn again (two equal draws of 4 floats: never)

"""A Tensor written in place by its operator is refused while a compiled function records.

``x += y`` and ``x[i] = y`` write into the array under a Tensor, and that write is no
call of the plan: it happened in the two recordings and never again. A value of the step
replayed unwritten (``y = x * 2; y += 1`` gave ``2x``), and a weight updated by hand inside
the function was updated twice in five calls. JAX's arrays refuse item assignment
(``x.at[i].set(y)``); ``compile`` refuses both writes, naming the operator and the line.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import CompileError
from deepgrad.compiler import record_call
from deepgrad.layers import Variable

DATA = [np.arange(3.0) + i for i in range(5)]


def _shifted(x):
    y = x * 2.0
    y += 1.0  # the replay gave x * 2.0: [4, 6, 8] for [2, 3, 4], eager [5, 7, 9]
    return y


def _first_zeroed(x):
    x[0] = 0.0  # into the argument: the replay summed it unwritten, 9 for [2, 3, 4], eager 7
    return dnp.sum(x)


@pytest.mark.parametrize(
    ("fn", "operation"),
    [
        (_shifted, r"in-place add \(x \+= y\)"),
        (_first_zeroed, r"item assignment \(x\[index\] = y\)"),
    ],
)
def test_a_write_into_a_value_of_the_step_is_refused(fn, operation):
    compiled = dg.compile(fn)
    with pytest.raises(CompileError, match=operation + r" into a float64 .*\(at .*in_place"):
        compiled(DATA[0].copy())
    assert np.array_equal(fn(dg.tensor(DATA[2])), [5.0, 7.0, 9.0] if fn is _shifted else 7.0)


def test_a_weight_updated_by_hand_is_refused():
    """Eager SGD on x = 1, 2, 3, 4, 5 (times ones) takes the weights from 1 to -0.5; the
    replays made only the two recordings' updates, and left them at 0.7."""
    weight = dg.tensor(np.ones(3), requires_grad=True)

    def step(x):
        nonlocal weight
        gradient = dg.grad(lambda w: dnp.sum(w * x))(weight)
        with dg.no_grad():
            weight -= 0.1 * gradient
        return gradient

    with pytest.raises(CompileError, match=r"in-place subtract \(x -= y\)"):
        dg.compile(step)(np.ones(3))


def test_a_counter_closed_over_is_refused_and_a_variable_counts_every_call():
    count = dg.tensor(0.0)

    def counted(x):
        nonlocal count
        count += 1.0  # 2 after four calls: the two recordings'
        return x * 1.0

    with pytest.raises(CompileError, match=r"in-place add .* float32 array of shape \(\)"):
        dg.compile(counted)(DATA[0])
    calls = Variable(np.zeros(()))
    compiled = dg.compile(lambda x: (calls.assign_add(1.0), x * 1.0)[1])
    for x in DATA:
        compiled(x)
    assert calls.numpy() == len(DATA) and compiled._plans


def test_a_constant_made_in_the_step_and_written_with_constants_replays():
    """Nothing of the data in it: the plan keeps it as written, as eager makes it."""
    scale = dg.tensor(np.array([1.0, 2.0, 3.0]))

    def masked(x):
        mask = scale * 0.0 + 2.0  # a Tensor the plan computes from constants alone
        mask[0] = 0.0
        mask += 1.0
        return x * mask

    compiled = dg.compile(masked)
    for x in DATA:
        assert np.array_equal(compiled(x), x * [1.0, 3.0, 3.0])
    assert compiled._plans


def test_a_constant_made_in_the_step_written_with_the_data_is_refused():
    scale = dg.tensor(np.array([1.0, 2.0, 3.0]))

    def written(x):
        mask = scale * 0.0 + 2.0
        mask[0] = x[1]
        return x * mask

    with pytest.raises(CompileError, match="item assignment"):
        dg.compile(written)(DATA[0])


def test_jax_refuses_item_assignment_too():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match="immutable"):
        jnp.zeros(3)[0] = 1.0


def test_a_write_inside_a_recorded_call_is_made_at_every_call():
    """record_call's function is one call of the plan, made again at each replay, writes
    included."""
    count = dg.tensor(0.0)

    def bump(counter):
        counter += 1.0

    compiled = dg.compile(lambda x: (record_call(bump, count, effect=True), x * 1.0)[1])
    for x in DATA:
        compiled(x)
    assert count.numpy() == len(DATA) and compiled._plans


def test_the_functional_update_replays():
    def shifted(x):
        return x.at[0].set(x[1] * 2.0) + 1.0

    compiled = dg.compile(shifted)
    for x in DATA:
        expected = x.copy()
        expected[0] = x[1] * 2.0
        assert np.array_equal(compiled(x), expected + 1.0)
    assert compiled._plans

"""``deepgrad.numpy.random``'s traced ``normal(loc, scale)`` and ``uniform(low, high)``
check their parameters as NumPy does, on every call: a compiled function checks the
scale (or the bounds) it is given at each replay, not once while recording, and a traced
parameter is checked as a plain one is."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


def test_a_negative_scale_is_refused_on_replay():
    # Before: the plan drew loc + scale · z with scale = -1, where NumPy (and the same
    # call with a plain array, outside compile) raises "scale < 0".
    compiled = dg.compile(lambda scale: dnp.random.normal(0.0, scale, size=3))
    compiled(np.array(1.0))
    compiled(np.array(2.0))
    with pytest.raises(ValueError, match=r"normal: scale < 0.*-1"):
        compiled(np.array(-1.0))
    with pytest.raises(ValueError, match="scale < 0"):
        np.random.default_rng(0).normal(0.0, -1.0, size=3)


def test_bounds_the_wrong_way_round_are_refused_on_replay():
    compiled = dg.compile(lambda low: dnp.random.uniform(low, 1.0, size=3))
    compiled(np.array(0.0))
    compiled(np.array(0.5))
    with pytest.raises(ValueError, match=r"uniform: high - low < 0.*low=2\., high=1\."):
        compiled(np.array(2.0))
    with pytest.raises(ValueError, match="high - low < 0"):
        np.random.default_rng(0).uniform(2.0, 1.0, size=3)


def test_a_traced_scale_is_checked_and_still_differentiated():
    with pytest.raises(ValueError, match="normal: scale < 0"):
        dg.grad(lambda s: dnp.random.normal(0.0, s, size=(4,)).sum())(-0.5)
    assert float(dg.grad(lambda m: dnp.random.normal(m, 2.0, size=(4,)).sum())(0.5)) == 4.0
    slope = dg.grad(lambda a: dnp.random.uniform(a, 3.0, size=(2,)).sum())(1.0)
    assert 0.0 < float(slope) < 2.0


@pytest.mark.parametrize("keyword", [True, False])
def test_a_traced_loc_with_a_plain_scale_draws_again_at_every_replay(keyword):
    # With a plain scale, scale · z was NumPy's own product, frozen into the plan and then
    # refused by the second recording (CompileError "got different arguments").
    def f(x):
        if keyword:
            return dnp.random.normal(loc=x, size=3)
        return dnp.random.normal(x, 1.0, size=3)

    compiled = dg.compile(f)
    first, second = compiled(np.zeros(3)), compiled(np.zeros(3))
    third = compiled(np.full(3, 100.0))
    assert not np.allclose(first, second)  # a new draw at each call
    assert np.all(np.abs(third - 100.0) < 10.0)

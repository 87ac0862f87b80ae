"""Regression tests for parameters the namespace test found cut from the graph: a traced
fill value of ``pad`` and traced bounds of ``clip`` (both gave a gradient of zero)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import deepgrad as dg
import deepgrad.numpy as dnp


@settings(max_examples=20, deadline=None)
@given(
    shape=st.sampled_from([(3,), (2, 3), (1, 2, 2)]),
    width=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_pad_with_a_traced_constant_value(shape, width, seed):
    rng = np.random.default_rng(seed)
    x, value = rng.standard_normal(shape), rng.standard_normal(())
    pad_width = [(width, 1)] * len(shape)
    got = dnp.pad(x, pad_width, constant_values=dg.tensor(value))
    np.testing.assert_array_equal(got.numpy(), np.pad(x, pad_width, constant_values=value))
    dg.check_grads(lambda x, v: dnp.pad(x, pad_width, constant_values=v), (x, value), order=2)
    border = np.pad(np.zeros(shape), pad_width, constant_values=1.0).sum()
    assert float(dg.grad(lambda v: dnp.sum(dnp.pad(x, pad_width, constant_values=v)))(value)) == (
        border
    )


def test_pad_refuses_a_traced_per_axis_value():
    with pytest.raises(NotImplementedError, match="pad: constant_values"):
        dg.grad(lambda v: dnp.sum(dnp.pad(np.ones(2), 1, constant_values=v)))(np.ones(2))


def test_clip_bounds_get_the_slope_where_they_are_the_result():
    x = np.array([-2.0, 0.0, 0.5, 3.0])
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    low, high = dg.grad(lambda lo, hi: dnp.sum(dnp.clip(x, lo, hi) * weights), argnums=(0, 1))(
        -1.0, 1.0
    )
    assert (float(low), float(high)) == (1.0, 4.0)
    # low above high: NumPy's result is high everywhere, so only high has a slope
    low, high = dg.grad(lambda lo, hi: dnp.sum(dnp.clip(x, lo, hi)), argnums=(0, 1))(1.0, 0.5)
    assert (float(low), float(high)) == (0.0, 4.0)
    dg.check_grads(dnp.clip, (x + 0.01, np.array([-1.0, 0.2, 0.1, -0.5]), 1.0), order=2)

"""A plan writes a ufunc call of two scalars as NumPy's scalar operator: the same bits and
type as the ufunc, at a tenth of its cost (compiler/plan.py, ``_scalar_operator``)."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


def _loss_arithmetic(x, w):
    """A loss's scalar tail: a mean, a penalty scaled by a small float, their sum."""
    data = dnp.sum(dnp.tanh(x * w)) / x.shape[0]
    penalty = 2.5e-07 * dnp.sum(x * x)
    return data + penalty - 0.125 * data


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_arithmetic_replays_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    w = dg.tensor(rng.standard_normal(7).astype(dtype))
    compiled = dg.compile(lambda x: _loss_arithmetic(x, w))
    batches = [rng.standard_normal((5, 7)).astype(dtype) for _ in range(5)]
    for x in batches:
        got = compiled(x)
        expected = _loss_arithmetic(dg.tensor(x), w).numpy()
        assert got.dtype == expected.dtype == dtype
        assert got.tobytes() == np.asarray(expected).tobytes()
    source = compiled.plan(batches[0]).source
    assert " / 5  # divide" in source
    assert "2.5e-07 * t" in source and "# multiply" in source
    assert "# add" in source and "# subtract" in source


def test_array_arithmetic_keeps_the_ufunc():
    compiled = dg.compile(lambda x: x * 2.0 + 1.0)
    source = compiled.plan(np.ones(3)).source
    assert "multiply(" in source and "add(" in source and "# multiply" not in source


def test_a_scalar_division_by_zero_warns_as_the_ufunc_does():
    compiled = dg.compile(lambda x: dnp.sum(x) / dnp.sum(x * 0.0))
    x = np.ones(3, np.float32)
    for _ in range(3):
        with np.errstate(divide="warn"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compiled(x)
        assert np.isinf(result) and result.dtype == np.float32
        assert any("divide by zero" in str(w.message) for w in caught)
    assert "# divide" in compiled.plan(x).source

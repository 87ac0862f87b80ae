"""Calls whose arguments are all NumPy arrays or None find their plan by a short key; it
must select exactly the plan the full signature selects."""

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp


def _counted(fn):
    calls = []

    def run(*args):
        calls.append(1)
        return fn(*args)

    return run, calls


def test_shapes_dtypes_none_and_grad_mode_each_select_their_own_plan():
    w = dg.tensor(np.linspace(-1.0, 1.0, 3), requires_grad=True)

    def f(x, scale):
        loss = dnp.sum(dnp.tanh(x * w))
        return loss if scale is None else loss * dnp.sum(scale)

    compiled = dg.compile(f)
    rng = np.random.default_rng(0)
    cases = [
        (rng.standard_normal((4, 3)), None),
        (rng.standard_normal((5, 3)), None),
        (rng.standard_normal((4, 3)).astype(np.float32), None),
        (rng.standard_normal((4, 3)), rng.standard_normal(2)),
    ]
    for _ in range(4):  # recorded, checked, then replayed through the short key
        for x, scale in cases:
            expected = float(f(x, scale))
            assert float(compiled(x, scale)) == expected
            with dg.no_grad():
                assert float(compiled(x, scale)) == expected
    assert len(compiled._plans) == 2 * len(cases)
    assert len(compiled._plans_of_arrays) == 2 * len(cases)


def test_a_replay_through_the_short_key_returns_fresh_arrays():
    compiled = dg.compile(lambda x: dnp.exp(x) * 2.0)
    x = np.arange(3.0)
    results = [compiled(x) for _ in range(4)]
    assert results[2] is not results[3]  # the plan's buffer is copied out each call
    for r in results:
        np.testing.assert_array_equal(r, np.exp(x) * 2.0)


def test_tensors_and_lists_take_the_full_signature():
    compiled = dg.compile(lambda xs: dnp.sum(xs[0] * xs[1]))
    a, b = np.ones(3), np.arange(3.0)
    for _ in range(4):
        assert float(compiled([a, b])) == 3.0
        assert float(compiled([dg.tensor(a), b])) == 3.0
    assert compiled._plans_of_arrays == {}

"""Quantiles under ``deepgrad.compile``: what a quantile reads from the data or from q on
the host (the positions, the fractions) is computed again on every replay, never frozen
from the calls that recorded the plan."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("name", ["quantile", "percentile"])
def test_q_passed_as_an_array_is_read_again_on_every_replay(name, dtype):
    def f(x, q):
        return getattr(dnp, name)(x, q, axis=-1)

    compiled = dg.compile(f)
    scale = 1 if name == "quantile" else 100
    x = np.arange(5.0)[None]
    q = np.array(0.3 * scale, dtype=dtype)
    compiled(x, q)
    compiled(x + 1, q)  # the same q twice: the plan is made from these two calls
    for new_q in (0, 1):  # then new quantiles
        q = np.array(new_q * scale, dtype=dtype)
        np.testing.assert_allclose(compiled(x + 3, q), f(x + 3, q), rtol=1e-12)


def test_gradient_from_minus_infinity_follows_the_replayed_fraction():
    # The lower end is −∞, so the line is drawn back from the upper end with 1 − fraction;
    # the recordings have 5 numbers per row (fraction 0), the replay 3 (fraction ½).
    def loss(x):
        return dnp.sum(dnp.nanquantile(x, 0.25, axis=-1))

    gradient = dg.grad(loss)
    compiled = dg.compile(gradient)
    compiled(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]))
    compiled(np.array([[1.5, 2.5, 3.5, 4.5, 5.5]]))
    x = np.array([[-np.inf, 2.0, 3.0, np.nan, np.nan]])
    np.testing.assert_array_equal(compiled(x), gradient(x))
    np.testing.assert_array_equal(gradient(x), [[0.5, 0.5, 0.0, 0.0, 0.0]])


@pytest.mark.parametrize("method", ["nearest", "midpoint"])
def test_q_reached_by_closure_is_read_as_it_is_now(method):
    q = dg.tensor(np.array([0.3, 0.6], dtype=np.float32))

    def f(x):
        return dnp.quantile(x, q, axis=-1, method=method)

    compiled = dg.compile(f)
    rng = np.random.default_rng(0)
    for step in range(5):
        if step == 3:
            q += 0.25  # written in place after the plan was made
        x = rng.standard_normal((3, 7))
        np.testing.assert_allclose(compiled(x), f(x), rtol=1e-12)


def test_nanmedian_replays_data_whose_nan_count_changes():
    # 1 − fraction was computed by NumPy on the recorded fraction: the second recording
    # found it changed (3 numbers, then 2) and refused the function
    def f(x):
        return dnp.nanmedian(x, axis=0)

    compiled = dg.compile(f)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal((3, 5))
        x[0, 1] = np.nan if step % 2 else x[0, 1]
        np.testing.assert_array_equal(compiled(x), f(x))


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [("quantile", 0.5, 1.5), ("percentile", 50.0, 150.0), ("nanquantile", 0.5, -0.1)],
)
def test_q_out_of_range_is_refused_on_replay_as_numpy_refuses_it(name, good, bad):
    # The range was checked once, while recording: the plan then read the last element
    # for q = 1.5 (9.0 for arange(10)) where NumPy raises.
    compiled = dg.compile(lambda x, q: getattr(dnp, name)(x, q))
    x = np.arange(10.0)
    compiled(x, np.array(good))
    compiled(x + 1, np.array(good))
    with pytest.raises(ValueError, match=rf"{name}: quantiles must be in \[0, 1\].*got"):
        compiled(x, np.array(bad))
    with pytest.raises(ValueError):
        getattr(np, name)(x, bad)

"""A result whose shape depends on the data is refused while a compiled function records.

``dnp.nonzero(x > 0)`` has as many indices as the data has positive elements. A plan
replays the first call's shapes: ``len`` of it, a mean over what it selects (whose count
``mean`` reads from the shape) or ``dnp.zeros(n)`` kept the recorded count, and a call
whose data had another count got a wrong number without an error (2.5 for 5 / 3 below).
JAX's ``jit`` refuses these calls (``ConcretizationTypeError``); so does ``compile``.
"""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import CompileError

# Two positive elements each, then three: the first two calls agree on the count.
SAME_COUNT = (np.array([1.0, -1.0, 2.0, -3.0]), np.array([2.0, -2.0, 3.0, -1.0]))
OTHER_COUNT = np.array([1.0, 2.0, 3.0, -1.0])


def _mean_of_positives_by_len(x):
    return dnp.sum(dnp.maximum(x, 0.0)) / len(dnp.nonzero(x > 0)[0])


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        # eager 6 / 3 = 2.0 on OTHER_COUNT; the replay gave 6 / 2 = 3.0 before
        ("nonzero", _mean_of_positives_by_len),
        ("nonzero", lambda x: dnp.sum(x) / dnp.nonzero(x > 0)[0].shape[0]),  # 2.5, not 5/3
        ("nonzero", lambda x: dnp.mean(x[dnp.nonzero(x > 0)])),  # 3.0, not 2.0
        ("nonzero", lambda x: dnp.zeros(dnp.nonzero(x > 0)[0].size) + 1.0),  # 2 ones, not 3
        ("nonzero", lambda x: dnp.mean(x[dnp.where(x > 0)])),  # where with one argument
        ("argwhere", lambda x: dnp.sum(x) / dnp.argwhere(x > 0).shape[0]),  # 2.5, not 5/3
        ("nonzero", lambda x: sum(x[i] for i in dnp.nonzero(x > 0)[0])),  # 3.0, not 6.0
    ],
)
def test_an_index_count_of_the_data_is_refused_even_when_the_first_calls_agree(name, fn):
    compiled = dg.compile(fn)
    message = rf"{name} of a bool array of shape \(4,\) .*\(at .*test_shapes_from_data"
    with pytest.raises(CompileError, match=message):
        compiled(SAME_COUNT[0])
    assert not compiled._plans and not compiled._first_recordings


def test_the_eager_answers_the_replays_froze():
    assert [float(_mean_of_positives_by_len(x)) for x in (*SAME_COUNT, OTHER_COUNT)] == [
        1.5,
        2.5,
        2.0,
    ]


def test_jax_refuses_them_too():
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")

    def f(x):
        return jnp.sum(x) / len(jnp.nonzero(x > 0)[0])

    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jit(f)(jnp.asarray(OTHER_COUNT))


def test_a_gradient_through_the_indices_is_refused_not_failed_at_a_replay():
    """It raised NumPy's broadcast error from the plan at the first call with another count."""
    weight = dg.tensor(np.ones(4), requires_grad=True)

    def step(x):
        loss = dnp.mean((weight * x)[dnp.nonzero(x > 0)[0]])
        loss.backward()
        return loss

    with pytest.raises(CompileError, match="nonzero"):
        dg.compile(step)(SAME_COUNT[0])


def test_the_indices_of_a_constant_replay():
    """Fixed at every call: the plan computes them again and they do not change."""
    mask = dg.tensor([True, False, True, False])
    compiled = dg.compile(lambda x: dnp.sum(x[dnp.nonzero(mask)]) / len(dnp.nonzero(mask)[0]))
    for x in (*SAME_COUNT, OTHER_COUNT, OTHER_COUNT):
        assert compiled(x) == np.mean(x[[0, 2]])
    assert compiled._plans


def test_counting_with_ops_replays():
    """The way the message points to: the count as an array, computed again at every call."""

    def mean_of_positives(x):
        return dnp.sum(dnp.where(x > 0, x, 0.0)) / dnp.count_nonzero(x > 0)

    compiled = dg.compile(mean_of_positives)
    for x in (*SAME_COUNT, OTHER_COUNT, OTHER_COUNT):
        assert compiled(x) == np.mean(x[x > 0])
    assert compiled._plans


def test_lstsq_of_the_data_is_refused():
    """Its rank is read in Python and decides the residuals' shape: a replay on a matrix of
    rank 1 after two of rank 2 gave rank 2 and residuals [5.9e-31] (NumPy: 1 and [])."""
    b = np.ones(3)
    compiled = dg.compile(lambda a: dnp.linalg.lstsq(a, b)[1])
    with pytest.raises(CompileError, match=r"lstsq's rank .*\(at .*test_shapes_from_data"):
        compiled(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    rank_one = np.ones((3, 2))
    assert np.linalg.lstsq(rank_one, b)[1].shape == (0,)  # the shape the replay missed


def test_lstsq_of_a_constant_matrix_and_pinv_of_the_data_replay():
    a = dg.tensor(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))  # float64
    by_lstsq = dg.compile(lambda b: dnp.linalg.lstsq(a, b)[0])
    by_pinv = dg.compile(lambda m, b: dnp.linalg.pinv(m) @ b)
    rng = np.random.default_rng(0)
    for _ in range(4):
        b = rng.standard_normal(3)
        expected = np.linalg.lstsq(a.numpy(), b)[0]
        np.testing.assert_allclose(by_lstsq(b), expected, rtol=1e-12)
        np.testing.assert_allclose(by_pinv(a.numpy(), b), expected, rtol=1e-12)
    assert by_lstsq._plans and by_pinv._plans

"""vmap records one example and replays it on the batch unless the function turned one
of the example's values into a Python number. ``float(a[0])`` read a NumPy scalar, which
went unnoticed, so the first example's branch was replayed for every example whenever the
first and last agreed; ``dnp.where(cond)`` (one argument) took NumPy's ``nonzero`` past
the recording, so the first example's indices were used for all."""

import math

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.array([[1.0, 2.0], [-1.0, 5.0], [1.5, 0.2]])  # the middle example takes the other branch


@pytest.mark.parametrize(
    "f",
    [
        lambda a: a * 2 if float(a[0]) > 0 else a * 3,
        lambda a: a * 2 if a[0].item() > 0 else a * 3,
        lambda a: a * 2 if a[0].tolist() > 0 else a * 3,
        lambda a: a * math.copysign(1.0, a[0]),
        lambda a: a * 2 if int(a[0] > 0) else a * 3,
    ],
)
def test_a_python_number_read_from_an_element_runs_the_loop(f):
    np.testing.assert_array_equal(dg.vmap(f)(X), np.stack([f(x) for x in X]))


def test_where_with_one_argument_is_not_replayed_with_the_first_examples_indices():
    rows = np.array([[1.0, 2.0, 3.0], [-1.0, 5.0, 0.5], [1.5, 0.2, 0.3]])
    with pytest.raises(ValueError, match=r"different shapes \(\(3,\), \(2,\), \(3,\)\)"):
        dg.vmap(lambda a: dnp.sum(a[dnp.where(a > 0)]))(rows)
    assert dnp.where(np.array([0, 1, 1]))[0].tolist() == [1, 2]

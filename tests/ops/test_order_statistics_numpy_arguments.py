"""``median``, ``quantile``, ``percentile`` and their NaN versions take NumPy's arguments
in NumPy's order, ``(a, [q,] axis, out, overwrite_input, [method,] keepdims)``. The third
argument of ``median`` was ``keepdims``: ``np.median(tensor, None, out)`` (NumPy: 2.5,
written into out) returned [[2.5]] of shape (1, 1) and left out as it was; a fourth
argument of ``percentile`` was read as ``method``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.array([[3.0, 0.0, 1.0], [2.0, 5.0, 4.0]])


@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
@pytest.mark.parametrize(
    ("name", "q"), [("median", None), ("nanmedian", None), ("quantile", 0.5), ("nanpercentile", 50)]
)
def test_out_is_refused(name, q, wrap):
    out = np.ones(())
    front = (wrap(X),) if q is None else (wrap(X), q)
    with pytest.raises(TypeError, match=rf"{name}: out= is not supported \(got ndarray of shape"):
        getattr(dnp, name)(*front, None, out)
    if wrap is dg.tensor:  # through NumPy's dispatch to deepgrad
        with pytest.raises(TypeError, match=f"{name}: out= is not supported"):
            getattr(np, name)(*front, None, out)
    np.testing.assert_array_equal(out, 1.0)


def test_keepdims_and_method_in_numpys_positions():
    # np.median(X, 0, None, False, True): [[2.5, 2.5, 2.5]];
    # np.quantile(X, 0.3, 1, None, True, "higher", True): [[1.0], [4.0]]
    expected_median = np.median(X, 0, None, False, True)
    np.testing.assert_array_equal(dnp.median(X, 0, None, False, True), expected_median)
    assert np.shape(expected_median) == (1, 3)
    for wrap in (np.asarray, dg.tensor):
        got = np.asarray(dnp.quantile(wrap(X), 0.3, 1, None, True, "higher", True))
        np.testing.assert_array_equal(got, [[1.0], [4.0]])
    np.testing.assert_array_equal(
        np.quantile(X, 0.3, 1, None, True, "higher", True), [[1.0], [4.0]]
    )
    got = dnp.nanpercentile(X, 30, 1, None, False, "lower")
    np.testing.assert_array_equal(got, np.nanpercentile(X, 30, 1, None, False, "lower"))


def test_overwrite_input_leaves_the_input_as_it_was():
    data = X.copy()
    assert float(dnp.median(data, None, None, True)) == 2.5
    np.testing.assert_array_equal(data, X)

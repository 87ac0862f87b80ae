"""``cov(m, aweights=[1, 2, 0.5, 1])`` raised "TypeError: '<' not supported between
instances of 'list' and 'int'" where NumPy takes a list, as it does for ``fweights``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

M = [[1.0, 2.0, 4.0, 3.0], [0.0, 3.0, 1.0, 1.0]]
# np.cov(M, **weights) with NumPy 2.4
CASES = [
    (
        {"aweights": [1, 2, 0.5, 1]},
        [[1.2142857142857142, 0.10714285714285711], [0.10714285714285711, 2.25]],
    ),
    (
        {"fweights": [1, 2, 0, 1], "aweights": [1, 2, 0.5, 1]},
        [[0.4615384615384615, 0.23076923076923075], [0.23076923076923075, 2.0384615384615383]],
    ),
]


@pytest.mark.parametrize(("weights", "expected"), CASES)
@pytest.mark.parametrize("wrap", [np.asarray, dg.tensor], ids=["array", "tensor"])
def test_weights_given_as_lists(weights, expected, wrap):
    np.testing.assert_allclose(np.asarray(dnp.cov(wrap(M), **weights)), expected, rtol=1e-14)
    np.testing.assert_allclose(np.cov(M, **weights), expected, rtol=1e-14)


def test_a_negative_weight_in_a_list_is_still_refused():
    with pytest.raises(ValueError, match="cov: aweights must be 4 non-negative numbers"):
        dnp.cov(M, aweights=[1, -2, 0.5, 1])

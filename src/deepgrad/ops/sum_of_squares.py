"""Σ x², the L2 penalty, as one primitive.

Written as ``sum(x * x)`` the penalty is two passes over the weight (the product, then
the sum) and its gradient three more (ḡ·x twice, added), five calls per weight in a
compiled training step. As one primitive it is a dot product of the weight with itself
(one pass, no temporary) and its gradient ``(2ḡ)·x`` (one pass). The rules are written
with deepgrad ops, so it differentiates to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Primitive
from deepgrad.ops.elementwise import multiply
from deepgrad.ops.reductions import sum as dnp_sum


def _sum_of_squares_impl(x: Any) -> Any:
    if np.result_type(x).kind not in "fc":
        # Booleans and integers: NumPy's sum(x * x), whose result types the dot product
        # does not share (a bool dot product is a logical or; an int8 one stays int8).
        return np.sum(np.multiply(x, x))
    flat = x.reshape(-1)  # a view of a contiguous array
    return flat @ flat


_sum_of_squares = Primitive(_sum_of_squares_impl, "sum_of_squares", "Σ {0}²")
_sum_of_squares.defvjp(lambda g, ans, x: multiply(multiply(2.0, g), x))
_sum_of_squares.defjvp(lambda t, ans, x: multiply(2.0, dnp_sum(multiply(x, t))))


def sum_of_squares(x: Any) -> Any:
    """Σ x² over every element of ``x`` (a scalar): the L2 penalty's sum.

    >>> import numpy as np
    >>> float(sum_of_squares(np.array([[1.0, 2.0], [3.0, 4.0]])))
    30.0
    """
    return _sum_of_squares(x)

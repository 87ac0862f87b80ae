"""JAX's names for the Jacobian transforms: ``jacfwd`` and ``jacrev``.

Both are :func:`deepgrad.ops.jacobian.jacobian` with its ``mode`` fixed, with JAX's
signatures (``argnums``, ``has_aux``). Complex inputs are out of scope, so there is no
``holomorphic``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from deepgrad.ops.jacobian import jacobian, with_aux


def jacfwd(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode, one JVP per input element (JAX's ``jacfwd``).

    With ``has_aux=True``, ``f`` returns ``(value, aux)`` and the result is
    ``(jacobian, aux)``.

    >>> import numpy as np, deepgrad.numpy as dnp
    >>> jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _with_aux(f, argnums, has_aux, "fwd")


def jacrev(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode, one VJP per output element (JAX's ``jacrev``).

    >>> import numpy as np, deepgrad.numpy as dnp
    >>> jacrev(lambda x: (dnp.sum(x ** 2), "aux"), has_aux=True)(np.array([1.0, 2.0]))
    (array([2., 4.]), 'aux')
    """
    return _with_aux(f, argnums, has_aux, "rev")


def _with_aux(f: Callable, argnums: int | Sequence[int], has_aux: bool, mode: str) -> Callable:
    if not has_aux:
        return jacobian(f, argnums, mode=mode)
    return with_aux(f, lambda g: jacobian(g, argnums, mode=mode), f"jac{mode}")

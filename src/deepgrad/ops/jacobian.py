"""Jacobians and Hessians: transforms that assemble derivative blocks with ops.

They build on the engine's ``vjp`` and ``jvp`` and stack the blocks with ``stack`` and
``reshape`` (differentiable, so ``hessian`` is a Jacobian of a Jacobian); needing ops,
they sit here, above the engine, rather than in ``autodiff/transforms.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepgrad.autodiff.transforms import _check_argnums, _partial, _split_aux, jvp, names_one, vjp
from deepgrad.autodiff.tree import tree_flatten, tree_unflatten
from deepgrad.backend import is_floating
from deepgrad.ops.shape import reshape, stack
from deepgrad.tensor import raw_data


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, mode: str = "rev") -> Callable:
    """The Jacobian, shaped ``out.shape + in.shape``; ``mode`` "rev" (one vjp per output
    element) or "fwd" (one jvp per input element).

    >>> import deepgrad.numpy as dnp
    >>> jacobian(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    if mode not in ("rev", "fwd"):
        raise ValueError(f"jacobian: mode must be 'rev' or 'fwd', got {mode!r}")

    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        positions = _check_argnums(argnums, len(args), "jacobian")
        selected = tuple(args[i] for i in positions)
        in_flat, in_def = tree_flatten(selected)
        f_selected = _partial(f, args, kwargs, positions)

        out_structure = []

        def f_flat(*leaves):
            out_flat, out_def = tree_flatten(f_selected(*tree_unflatten(in_def, list(leaves))))
            out_structure[:] = [out_def]
            return out_flat

        blocks = _jacobian_blocks(f_flat, in_flat, mode)
        out_def = out_structure[0]
        rows = []
        for row in blocks:
            per_arg = tree_unflatten(in_def, row)
            rows.append(per_arg[0] if names_one(argnums) else per_arg)
        return tree_unflatten(out_def, rows)

    return jacobian_f


def _jacobian_blocks(f_flat: Callable, in_flat: list, mode: str) -> list[list]:
    """J[k][j] = ∂ out_k / ∂ in_j for flat lists of inputs and outputs."""
    in_shapes = [np.shape(raw_data(x)) for x in in_flat]
    if mode == "rev":
        out_values, vjp_fn = vjp(lambda *xs: f_flat(*xs), *in_flat)
        blocks = []
        for k, value in enumerate(out_values):
            shape = np.shape(raw_data(value))
            per_input = [[] for _ in in_flat]
            for e in _basis(value):
                cotangent = [np.zeros_like(raw_data(v)) for v in out_values]
                cotangent[k] = e
                for j, g in enumerate(vjp_fn(cotangent)):
                    per_input[j].append(g)
            blocks.append(
                [
                    _assemble(rows, shape + in_shapes[j], 0, _dtype(in_flat[j]))
                    for j, rows in enumerate(per_input)
                ]
            )
        return blocks
    columns = None
    for j, x in enumerate(in_flat):
        for e in _basis(x):
            tangents = [np.zeros_like(raw_data(v)) for v in in_flat]
            tangents[j] = e
            out_values, out_tangents = jvp(lambda *xs: f_flat(*xs), tuple(in_flat), tuple(tangents))
            if columns is None:
                columns = [[[] for _ in in_flat] for _ in out_values]
            for k, t in enumerate(out_tangents):
                columns[k][j].append(t)
    if columns is None:  # no input has an element: one push of zeros gives the outputs
        zeros = tuple(np.zeros_like(raw_data(v)) for v in in_flat)
        out_values, out_tangents = jvp(lambda *xs: f_flat(*xs), tuple(in_flat), zeros)
        columns = [[[] for _ in in_flat] for _ in out_values]
    return [
        [
            _assemble(
                cols,
                np.shape(raw_data(out_values[k])) + in_shapes[j],
                -1,
                _dtype(out_tangents[k]),
            )
            for j, cols in enumerate(per_input)
        ]
        for k, per_input in enumerate(columns)
    ]


def _basis(value: Any):
    data = np.asarray(raw_data(value))
    for i in range(data.size):
        e = np.zeros(data.size, dtype=data.dtype if is_floating(data.dtype) else float)
        e[i] = 1
        yield e.reshape(data.shape)


def _assemble(parts: list, shape: tuple, axis: int, dtype: np.dtype) -> Any:
    """The blocks ``parts`` stacked along ``axis`` into ``shape``; with no part (an input
    or an output without elements), zeros of ``dtype``: the input's in reverse mode, the
    output's in forward mode, as JAX's jacrev and jacfwd give."""
    if not parts:
        return np.zeros(shape, dtype=dtype)
    return reshape(stack(parts, axis=axis), shape)


def _dtype(value: Any) -> np.dtype:
    data = raw_data(value)
    return data.dtype if hasattr(data, "dtype") else np.result_type(data)


def hessian(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The Hessian, as the forward-mode Jacobian of the reverse-mode gradient. With
    ``has_aux=True``, ``f`` returns ``(value, aux)`` and the result is ``(hessian, aux)``, as
    JAX's ``hessian``.

    >>> import deepgrad.numpy as dnp
    >>> hessian(lambda x: dnp.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> hessian(lambda x: (dnp.sum(x ** 3), "aux"), has_aux=True)(np.array([1.0]))
    (array([[6.]]), 'aux')
    """

    def of_value(g: Callable) -> Callable:
        return jacobian(jacobian(g, argnums, mode="rev"), argnums, mode="fwd")

    return with_aux(f, of_value, "hessian") if has_aux else of_value(f)


def with_aux(f: Callable, derivative: Callable[[Callable], Callable], name: str) -> Callable:
    """``derivative`` of an ``f`` that returns ``(value, aux)``: a function giving
    ``(derivative(value)(*args), aux)``, as JAX's transforms do with ``has_aux=True``."""

    def value_of(*args: Any, **kwargs: Any) -> Any:
        return _split_aux(f(*args, **kwargs), name)[0]

    def derivative_and_aux(*args: Any, **kwargs: Any) -> tuple:
        # aux is f's second output at the point itself: one more call of f, outside the
        # derivative's own levels, so aux is traced by any enclosing transform as f leaves it.
        aux = _split_aux(f(*args, **kwargs), name)[1]
        return derivative(value_of)(*args, **kwargs), aux

    return derivative_and_aux

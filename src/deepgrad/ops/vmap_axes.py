"""``vmap``'s arguments: the axis each argument's leaves are mapped over (``in_axes`` by
JAX's prefix rule, keyword arguments over their first axis), where each output's batch
axis goes (``out_axes``), and the batch size, with errors that name the argument."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.tree import tree_flatten
from deepgrad.tensor import Tensor, raw_data

Axes = int | None | tuple | list | dict


def check_axis_size(axis_size: Any) -> None:
    if axis_size is None:
        return
    if isinstance(axis_size, bool) or not isinstance(axis_size, int | np.integer):
        raise TypeError(f"vmap: axis_size must be an int or None, got {axis_size!r}")
    if axis_size < 1:
        raise ValueError(
            f"vmap: axis_size is {axis_size}; it must be at least 1 (there must be an example "
            "to record the function on)"
        )


def leaf_axes(in_axes: Axes, args: tuple, f: Callable, axis_size: int | None) -> list:
    if in_axes is None and axis_size is None:
        raise ValueError(
            "vmap: in_axes is None, so no argument is mapped; give axis_size to say how many "
            "times to broadcast the result"
        )
    if in_axes is None or isinstance(in_axes, int):
        return [in_axes] * len(tree_flatten(args)[0])
    in_axes = check_entries(in_axes, args, f)
    axes: list = []
    for position, (spec, arg) in enumerate(zip(in_axes, args, strict=True)):
        axes.extend(broadcast_prefix(spec, arg, f"in_axes[{position}] ({_arg_name(f, position)})"))
    if all(a is None for a in axes) and axis_size is None:
        raise ValueError(
            "vmap: every in_axes entry is None; map at least one argument, or give axis_size"
        )
    return axes


def check_entries(in_axes: Any, args: tuple, f: Callable) -> tuple | list:
    """``in_axes`` as a tuple or list with one entry per positional argument, or an error."""
    if not isinstance(in_axes, tuple | list):
        raise TypeError(
            f"vmap: in_axes must be an int, None, or a tuple with one entry per positional "
            f"argument, got {type(in_axes).__name__}"
        )
    if len(in_axes) != len(args):
        raise ValueError(
            f"vmap: in_axes has {len(in_axes)} entries but {function_name(f)} got {len(args)} "
            "positional arguments"
        )
    return in_axes


def output_axes(out_axes: Axes, structure: Any) -> list:
    if out_axes is None or isinstance(out_axes, int):
        return [out_axes] * len(tree_flatten(structure)[0])
    return broadcast_prefix(out_axes, structure, "out_axes")


def broadcast_prefix(spec: Any, tree: Any, where: str) -> list:
    """One axis per leaf of ``tree``: ``spec`` is an int or None for a whole subtree, or a
    tree of the same structure (JAX's prefix rule)."""
    if spec is None or isinstance(spec, int):
        return [spec] * len(tree_flatten(tree)[0])
    if type(spec) in (tuple, list) and type(tree) in (tuple, list) and len(spec) == len(tree):
        return [a for s, t in zip(spec, tree, strict=True) for a in broadcast_prefix(s, t, where)]
    if isinstance(spec, dict) and isinstance(tree, dict) and spec.keys() == tree.keys():
        return [a for k in sorted(tree) for a in broadcast_prefix(spec[k], tree[k], where)]
    raise ValueError(
        f"vmap: {where} is {spec!r}, which does not match the structure of its value "
        f"({type(tree).__name__}); give an int, None, or a tree of the same structure"
    )


def batch_size(leaves: list, axes: list, args: tuple, f: Callable, axis_size: int | None) -> int:
    owners = _leaf_owners(args, f)
    sizes: list[tuple[Any, str, Any]] = []
    if axis_size is not None:
        sizes.append((axis_size, "axis_size", None))
    for leaf, axis, owner in zip(leaves, axes, owners, strict=True):
        if axis is None:
            continue
        shape = np.shape(raw_data(leaf)) if is_array(leaf) else ()
        if not -len(shape) <= axis < len(shape):
            raise ValueError(
                f"vmap: {owner} has shape {tuple(shape)}, which has no axis {axis} to map over"
            )
        sizes.append((shape[axis], owner, axis))
    if len({s for s, _, _ in sizes}) > 1:
        listed = "; ".join(
            f"axis_size is {s}" if a is None else f"{owner} has size {s} along axis {a}"
            for s, owner, a in sizes
        )
        raise ValueError(f"vmap: the mapped axes have different sizes: {listed}")
    if sizes[0][0] == 0:
        raise ValueError(
            f"vmap: {sizes[0][1]} has size 0 along its mapped axis {sizes[0][2]}: there is no "
            "example to record the function on"
        )
    return sizes[0][0]


def _leaf_owners(args: tuple, f: Callable) -> list[str]:
    owners = []
    for position, arg in enumerate(args):
        count = len(tree_flatten(arg)[0])
        name = f"argument {position} ({_arg_name(f, position)})"
        owners.extend([name] if count == 1 else [f"{name}, leaf {i}" for i in range(count)])
    return owners


def _arg_name(f: Callable, position: int) -> str:
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return "?"
    if position < len(parameters) and parameters[position].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        return repr(parameters[position].name)
    return "*args"


def function_name(f: Callable) -> str:
    return getattr(f, "__qualname__", repr(f))


def keywords_signature(f: Callable, count: int, keywords: tuple) -> inspect.Signature | None:
    """``f``'s first ``count`` positional parameter names, then the keywords'."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    names = [f"arg{i}" for i in range(count)]
    try:
        parameters = [p.name for p in inspect.signature(f).parameters.values() if p.kind in kinds]
    except (TypeError, ValueError):
        parameters = []
    names[: min(count, len(parameters))] = parameters[:count]
    try:
        return inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY) for n in [*names, *keywords]]
        )
    except ValueError:  # a repeated name, or a keyword that is not an identifier
        return None


def is_array(value: Any) -> bool:
    return isinstance(value, Tensor) or hasattr(value, "shape")

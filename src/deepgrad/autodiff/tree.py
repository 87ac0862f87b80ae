"""Pytrees: nested tuples, lists and dicts of arrays, flattened to a list of leaves and back.

Dicts are flattened in sorted key order, as in JAX; None is an empty subtree.

>>> leaves, treedef = tree_flatten({"b": 2.0, "a": (1.0, [3.0])})
>>> leaves
[1.0, 3.0, 2.0]
>>> tree_unflatten(treedef, [10.0, 30.0, 20.0])
{'a': (10.0, [30.0]), 'b': 20.0}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_LEAF = "leaf"
# (a tuple of types: ``isinstance(x, tuple | list)`` would build a union at each call)
_SEQUENCES = (tuple, list)
_NODES = (tuple, list, dict)
_LEAF_DEF = (_LEAF,)


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """The leaves of ``tree`` in order, and a description of its structure."""
    if tree is not None and not isinstance(tree, _NODES):  # one leaf: the common case
        return [tree], _LEAF_DEF
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> Any:
    if tree is None:
        return ("none",)
    if isinstance(tree, _SEQUENCES):
        return (type(tree), [_flatten(item, leaves) for item in tree])
    if isinstance(tree, dict):
        keys = sorted(tree)
        return (dict, keys, [_flatten(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return _LEAF_DEF


def tree_unflatten(treedef: Any, leaves: list) -> Any:
    """Rebuild a tree of ``treedef``'s structure from ``leaves``."""
    iterator = iter(leaves)
    return _unflatten(treedef, iterator)


def _unflatten(treedef: Any, leaves: Any) -> Any:
    kind = treedef[0]
    if kind == _LEAF:
        return next(leaves)
    if kind == "none":
        return None
    if kind is dict:
        return {k: _unflatten(sub, leaves) for k, sub in zip(treedef[1], treedef[2], strict=True)}
    return kind([_unflatten(sub, leaves) for sub in treedef[1]])


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply ``fn`` to each leaf (and the matching leaves of ``rest``)."""
    leaves, treedef = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others, strict=True)])


def describe_structure(treedef: Any) -> str:
    """A structure in words, for errors: ``*`` for each leaf, nodes as Python writes them.

    >>> describe_structure(tree_flatten(({"w": 1.0, "b": None}, [2.0]))[1])
    "({'b': None, 'w': *}, [*])"
    >>> describe_structure(tree_flatten(1.0)[1])
    'a leaf'
    """
    if treedef[0] == _LEAF:
        return "a leaf"
    return _describe(treedef)


def _describe(node: Any) -> str:
    kind = node[0]
    if kind == _LEAF:
        return "*"
    if kind == "none":
        return "None"
    if kind is dict:
        items = zip(node[1], node[2], strict=True)
        return "{" + ", ".join(f"{key!r}: {_describe(sub)}" for key, sub in items) + "}"
    items = ", ".join(_describe(sub) for sub in node[1])
    if kind is tuple:
        return f"({items},)" if len(node[1]) == 1 else f"({items})"
    return f"[{items}]"

"""Every primitive deepgrad defines has its rules and at least one row in the op table."""

import importlib
import pkgutil

import numpy as np
import pytest

import deepgrad.ops
from deepgrad.autodiff.primitive import Primitive, new_level, node_of
from deepgrad.autodiff.tree import tree_flatten
from deepgrad.tensor import Tensor
from tests.ops.op_table import OP_TABLE

# Primitives whose checks live elsewhere, with the reason.
CHECKED_ELSEWHERE = {
    "astype": "tests/ops/test_dtypes.py: a float64 -> float32 cast cannot meet float64 tolerances",
}


def _all_primitives() -> dict[str, Primitive]:
    found = {}
    for info in pkgutil.iter_modules(deepgrad.ops.__path__):
        module = importlib.import_module(f"deepgrad.ops.{info.name}")
        for value in vars(module).values():
            # Impure primitives (masks, random draws) have no derivative by design.
            if isinstance(value, Primitive) and value.pure:
                found[value.name] = value
    return found


PRIMITIVES = _all_primitives()


def _primitives_used(spec) -> set[str]:
    rng = np.random.default_rng(0)
    shapes = spec.shapes.examples[0]
    args = spec.arguments(rng, shapes)
    level = new_level()
    boxes = [
        Tensor._make(a, level) if np.issubdtype(np.asarray(a).dtype, np.floating) else a
        for a in args
    ]
    out = spec.fn(*boxes, **spec.kwargs[0])
    used, stack = set(), [o for o in tree_flatten(out)[0] if isinstance(o, Tensor)]
    while stack:
        node = node_of(stack.pop())
        if node is not None:
            used.add(node.prim.name)
            stack.extend(parent for _, parent in node.parents)
    return used


def test_there_are_primitives_to_check():
    assert len(PRIMITIVES) > 60


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_has_rules(name):
    prim = PRIMITIVES[name]
    assert (prim.vjps and prim.vjps[0] is not None) or any(r is not None for r in prim.vjps[:4])
    for position in range(4 if len(prim.vjps) > 4 else len(prim.vjps)):
        if prim.vjps[position] is not None:
            assert position < len(prim.jvps) and prim.jvps[position] is not None, (
                f"{name}: argument {position} has a VJP rule but no JVP rule"
            )


def test_every_primitive_has_a_row():
    covered = set().union(*(_primitives_used(spec) for spec in OP_TABLE))
    missing = sorted(set(PRIMITIVES) - covered - set(CHECKED_ELSEWHERE))
    assert not missing, f"primitives with no row in tests/ops/op_table.py: {missing}"

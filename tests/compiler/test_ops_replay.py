"""Every row of the op table under ``deepgrad.compile``: the value and the gradient that a
replayed plan computes on new inputs equal eager mode's. A rule that does array work
outside deepgrad ops would be frozen into the plan (or refused with CompileError); this
finds it, op by op."""

import numpy as np
import pytest
from tests.ops.op_table import OP_TABLE

import deepgrad as dg
import deepgrad.numpy as dnp

# Ops whose result's shape follows the data (piecewise indexes x by each condition, lstsq
# reads the rank in Python, which decides the residuals' shape): a plan of fixed buffers
# cannot replay them, so compile refuses them at the first call, with these words.
SHAPES_FROM_DATA = {
    "piecewise": "boolean mask computed in the step",
    "lstsq": "lstsq's rank",
}


@pytest.mark.parametrize("spec", OP_TABLE, ids=lambda s: s.name)
def test_replayed_value_and_gradient_equal_eager(spec):
    shapes = spec.shapes.examples[0]
    kwargs = spec.kwargs[0]
    rng = np.random.default_rng(0)

    def objective(*args):
        leaves = dg.tree_flatten(spec.fn(*args, **kwargs))[0]
        return sum(dnp.sum(dnp.sin(leaf)) for leaf in leaves)  # a cotangent that varies

    if spec.name in SHAPES_FROM_DATA:
        with pytest.raises(dg.CompileError, match=SHAPES_FROM_DATA[spec.name]):
            dg.compile(objective)(*spec.arguments(rng, shapes))
        return

    # Differentiate with respect to the floating-point arguments only.
    sample = spec.arguments(rng, shapes)
    floating = [i for i, a in enumerate(sample) if np.issubdtype(np.asarray(a).dtype, np.floating)]
    if not floating:
        pytest.skip("no differentiable argument")
    eager = dg.value_and_grad(objective, argnums=tuple(floating))
    compiled = dg.compile(eager)
    for _ in range(5):  # two recordings, then three replays, each on new inputs
        args = spec.arguments(rng, shapes)
        value, grads = compiled(*args)
        expected_value, expected_grads = eager(*args)
        np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
        for g, e in zip(grads, expected_grads, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    assert compiled._plans, "never replayed"


@pytest.mark.parametrize("spec", [s for s in OP_TABLE if s.order >= 2], ids=lambda s: s.name)
def test_replayed_second_derivatives_equal_eager(spec):
    """Second order under ``compile``, both ways: reverse over reverse (the gradient of
    ⟨∇f, v⟩) and forward over reverse (a Hessian-vector product), on new inputs each call."""
    if spec.name in SHAPES_FROM_DATA:
        pytest.skip("refused by compile (test_replayed_value_and_gradient_equal_eager)")
    shapes = spec.shapes.examples[0]
    kwargs = spec.kwargs[0]
    rng = np.random.default_rng(1)
    sample = spec.arguments(rng, shapes)
    floating = [i for i, a in enumerate(sample) if np.issubdtype(np.asarray(a).dtype, np.floating)]
    if not floating:
        pytest.skip("no differentiable argument")
    directions = [rng.standard_normal(np.shape(sample[i])) for i in floating]

    def objective(*args):
        leaves = dg.tree_flatten(spec.fn(*args, **kwargs))[0]
        return sum(dnp.sum(dnp.sin(leaf)) for leaf in leaves)

    first = dg.grad(objective, argnums=tuple(floating))

    def reverse_over_reverse(*args):
        def along(*args):
            return sum(dnp.sum(g * v) for g, v in zip(first(*args), directions, strict=True))

        return dg.grad(along, argnums=tuple(floating))(*args)

    def forward_over_reverse(*args):
        def gradient_of_selected(*selected):
            full = list(args)
            for i, value in zip(floating, selected, strict=True):
                full[i] = value
            return first(*full)

        selected = tuple(args[i] for i in floating)
        return dg.jvp(gradient_of_selected, selected, tuple(directions))[1]

    for eager in (reverse_over_reverse, forward_over_reverse):
        compiled = dg.compile(eager)
        for _ in range(4):  # two recordings, then replays, each on new inputs
            args = spec.arguments(rng, shapes)
            for g, e in zip(compiled(*args), eager(*args), strict=True):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
        assert compiled._plans, "never replayed"

"""Every public function of deepgrad.numpy, deepgrad.numpy.linalg, deepgrad.numpy.random
and deepgrad.special, called with a traced float argument in every position that takes a
float array (the sample calls are in ``namespace_table.py``).

A call passes if its result is connected to the graph with a gradient equal to central
differences (in reverse and in forward mode), or if it raises an error that names the
function. It fails if the result is
cut from the graph without a word: a gradient of zero (a plain array, a constant) where
the finite difference is not zero. A public name with no sample call fails too, so a new
function cannot be added untested.
"""

from __future__ import annotations

import inspect
import zlib
from typing import Any

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
import deepgrad.special as dsp
from deepgrad.tensor import Tensor, raw_data
from tests.numpy.namespace_table import CASES, NO_FLOAT_ARGUMENT, NOT_DIFFERENTIABLE, F

NAMESPACES = {"": dnp, "linalg.": dnp.linalg, "random.": dnp.random, "special.": dsp}


def public_functions() -> dict[str, Any]:
    """Qualified name → function, for every public callable (classes, dtypes and modules
    are not functions)."""
    found = {}
    for prefix, module in NAMESPACES.items():
        names = getattr(module, "__all__", None) or [n for n in dir(module) if n[0] != "_"]
        for name in names:
            value = getattr(module, name)
            if inspect.ismodule(value) or isinstance(value, type) or not callable(value):
                continue
            found[prefix + name] = value
    return found


FUNCTIONS = public_functions()


def test_every_public_function_has_a_sample_call_or_a_reason():
    missing = sorted(set(FUNCTIONS) - set(CASES) - set(NO_FLOAT_ARGUMENT))
    assert not missing, (
        f"public functions with no entry in tests/numpy/namespace_table.py: {missing}; add a "
        "sample call (float-array arguments as F), or a reason in NO_FLOAT_ARGUMENT"
    )
    stale = sorted(set(CASES) - set(FUNCTIONS))
    assert not stale, f"namespace_table.py has entries for names that do not exist: {stale}"


def _traced_positions(args: tuple, kwargs: dict) -> list:
    """Where the F markers are: ("arg", i), ("arg", i, j) inside a list, ("kw", name)."""
    found = []
    for i, value in enumerate(args):
        if isinstance(value, F):
            found.append(("arg", i))
        elif isinstance(value, list):
            found += [("arg", i, j) for j, v in enumerate(value) if isinstance(v, F)]
    found += [("kw", k) for k, v in kwargs.items() if isinstance(v, F)]
    return found


def _materialize(value: Any, rng: np.random.Generator) -> Any:
    if isinstance(value, F):
        return value.domain(rng, value.shape).astype(np.float64)
    if isinstance(value, list):
        return [_materialize(v, rng) for v in value]
    return value


def _marker(args: tuple, kwargs: dict, position: tuple) -> F:
    if position[0] == "kw":
        return kwargs[position[1]]
    value = args[position[1]]
    return value[position[2]] if len(position) == 3 else value


def _substitute(args: list, kwargs: dict, position: tuple, x: Any) -> tuple:
    args, kwargs = list(args), dict(kwargs)
    if position[0] == "kw":
        kwargs[position[1]] = x
    elif len(position) == 3:
        inner = list(args[position[1]])
        inner[position[2]] = x
        args[position[1]] = inner
    else:
        args[position[1]] = x
    return args, kwargs


CALLS = [
    pytest.param(name, k, position, id=f"{name}[{k}]{position[1:]}")
    for name in sorted(CASES)
    if name in FUNCTIONS
    for k, (args, kwargs) in enumerate(CASES[name])
    for position in _traced_positions(args, kwargs)
]


def _floating_leaves(result: Any) -> list:
    leaves = dg.tree_flatten(result)[0]
    return [leaf for leaf in leaves if np.issubdtype(np.asarray(raw_data(leaf)).dtype, np.floating)]


@pytest.mark.parametrize(("name", "case", "position"), CALLS)
def test_traced_argument_is_recorded_or_refused(name, case, position):
    fn = FUNCTIONS[name]
    template_args, template_kwargs = CASES[name][case]
    rng = np.random.default_rng(zlib.crc32(f"{name}{case}{position}".encode()))
    args = [_materialize(a, rng) for a in template_args]
    kwargs = {k: _materialize(v, rng) for k, v in template_kwargs.items()}
    marker = _marker(template_args, template_kwargs, position)
    x0 = _marker(args, kwargs, position)
    short_name = name.split(".")[-1]

    def call(x):
        if marker.make is not None:
            x = marker.make(x)
        dg.random.seed(0)  # random draws: the same draw at every point
        call_args, call_kwargs = _substitute(args, kwargs, position, x)
        return fn(*call_args, **call_kwargs)

    plain = call(x0.copy())  # the sample call itself must work on plain arrays
    try:
        traced = dg.vjp(call, x0.copy())[0]  # the same call on a traced argument
    except Exception as error:  # refusing is allowed, with the function named
        assert short_name in str(error) or fn.__name__ in str(error), (
            f"{name} raised without naming itself: {error!r}"
        )
        return
    if not _floating_leaves(plain):
        assert name in NOT_DIFFERENTIABLE, (
            f"{name} returns no floating-point result; list it in NOT_DIFFERENTIABLE with why"
        )
        assert not _floating_leaves(traced)
        return
    weights = [rng.standard_normal(np.shape(raw_data(leaf))) for leaf in _floating_leaves(plain)]

    def projection(x):
        leaves = _floating_leaves(call(x))
        return sum(dnp.sum(leaf * w) for leaf, w in zip(leaves, weights, strict=True))

    try:
        gradient = np.asarray(dg.grad(projection)(x0.copy()))
    except Exception as error:
        assert short_name in str(error) or fn.__name__ in str(error), (
            f"differentiating {name} raised without naming it: {error!r}"
        )
        return
    expected = _central_differences(projection, x0)
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(
        gradient,
        expected,
        rtol=1e-4,
        atol=1e-5 * scale,
        err_msg=f"{name}: the gradient through argument {position[1:]} is not the "
        "finite difference (a zero gradient here means the argument was cut from the graph)",
    )
    # forward mode too: the tangent along a random direction is the directional difference
    direction = rng.standard_normal(np.shape(x0))
    tangent = float(raw_data(dg.jvp(projection, (x0.copy(),), (direction,))[1]))
    np.testing.assert_allclose(
        tangent,
        float(np.sum(expected * direction)),
        rtol=1e-4,
        atol=1e-5 * scale * max(1.0, float(np.sum(np.abs(direction)))),
        err_msg=f"{name}: forward mode through argument {position[1:]}",
    )


def _central_differences(f, x0: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    gradient = np.zeros_like(x0)
    for index in np.ndindex(x0.shape):
        up, down = x0.copy(), x0.copy()
        up[index] += eps
        down[index] -= eps
        gradient[index] = (float(raw_data(f(up))) - float(raw_data(f(down)))) / (2 * eps)
    return gradient


def test_a_cut_argument_is_caught():
    """The check itself: a function that silently drops its Tensor fails it."""

    def cut(x):
        return np.asarray(raw_data(x)) * 2.0

    def projection(x):
        return dnp.sum(cut(x) * np.array([1.0, 2.0]))

    x0 = np.array([0.3, 0.4])
    assert not np.allclose(dg.grad(projection)(x0), _central_differences(projection, x0))


def test_results_are_tensors_inside_a_transform():
    """Spot check of the connection itself, beyond gradients: a traced input gives Tensors."""
    seen = []

    def f(x):
        for value in (dnp.array([x, x]), dnp.linspace(0.0, x, 3), dnp.full((2,), x)):
            seen.append(isinstance(value, Tensor))
        return x

    dg.grad(f)(1.0)
    assert all(seen)

"""``check_grads``: test a function's derivatives against central differences.

Random projections keep it cheap whatever the sizes (as in HIPS autograd and JAX):
for a random input direction u and output direction v,

* forward mode: J·u must equal (f(x + εu) − f(x − εu)) / 2ε;
* reverse mode: ⟨vᵀJ, u⟩ must equal ⟨v, (f(x + εu) − f(x − εu)) / 2ε⟩;
* both modes: ⟨v, J·u⟩ must equal ⟨vᵀJ, u⟩ (no differencing, so a tight tolerance).

For order > 1 the same checks run on x ↦ J·u and x ↦ vᵀJ, which covers
forward-over-forward, forward-over-reverse, reverse-over-forward and reverse-over-reverse.
Each input is checked on its own, so a failure names the argument.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from deepgrad.autodiff.transforms import jvp, vjp
from deepgrad.autodiff.tree import tree_flatten, tree_unflatten
from deepgrad.backend import is_floating
from deepgrad.tensor import raw_data


class GradientCheckError(AssertionError):
    """A derivative disagrees with central differences (or forward with reverse mode)."""


def check_grads(
    f: Callable,
    args: Sequence | None = None,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    seed: int = 0,
) -> Any:
    """Check ``f``'s derivatives at ``args`` up to ``order``; raise GradientCheckError if wrong.

    Run it in float64: the inputs are converted. Called without ``args`` it returns a
    checker to call with them: ``check_grads(f, order=2)(x, y)``.

    >>> import deepgrad.numpy as dnp
    >>> check_grads(lambda x, y: dnp.sin(x) * y, (0.5, 2.0), order=2)
    >>> check_grads(dnp.tanh, order=3)(0.3)
    """
    if args is None:
        return lambda *call_args: check_grads(f, call_args, order, modes, eps, atol, rtol, seed)
    _check_modes(modes)
    leaves, treedef = tree_flatten(tuple(args))
    leaves = [_float64(x, i) for i, x in enumerate(leaves)]
    # Only floating inputs are differentiated; the others (integer indices, boolean masks)
    # are held fixed, so the checks below see a function of the floating leaves alone.
    floating = [i for i, x in enumerate(leaves) if is_floating(x.dtype)]
    if not floating:
        dtypes = ", ".join(str(x.dtype) for x in leaves) or "none"
        raise TypeError(
            f"check_grads: no floating-point argument to check (argument dtypes: {dtypes}); "
            "integer and boolean arguments are held fixed, so nothing would be checked: "
            "write 2.0 rather than 2, or cast with .astype('float64')"
        )

    def f_of_floats(*xs):
        full = list(leaves)
        for i, x in zip(floating, xs, strict=True):
            full[i] = x
        return f(*tree_unflatten(treedef, full))

    float_leaves = [leaves[i] for i in floating]
    settings = _Settings(tuple(modes), eps, atol, rtol, np.random.default_rng(seed), floating)
    _check(f_of_floats, tree_flatten(tuple(float_leaves))[1], float_leaves, order, settings, "f")


@dataclass
class _Settings:
    modes: tuple
    eps: float
    atol: float
    rtol: float
    rng: np.random.Generator
    labels: list  # each floating leaf's position among the user's arguments


def _check_modes(modes: Sequence[str]) -> None:
    if isinstance(modes, str) or not modes:
        raise ValueError(
            f"check_grads: modes must be a non-empty sequence of 'fwd' and/or 'rev', such as "
            f"('rev',), got {modes!r}"
        )
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {mode!r}")


def _float64(x: Any, position: int) -> Any:
    array = np.asarray(raw_data(x))
    if array.dtype.kind == "c":
        # casting to float64 would drop the imaginary part: the check would run elsewhere
        raise TypeError(
            f"check_grads: argument {position} is complex ({array.dtype}); deepgrad "
            "differentiates real functions of real arrays: pass the real and imaginary "
            "parts as two real arguments"
        )
    return array.astype(np.float64) if is_floating(array.dtype) else array


def _check(f, treedef, leaves, order, settings, name) -> None:
    def f_flat(*xs):
        out = f(*tree_unflatten(treedef, list(xs)))
        return [np.asarray(raw_data(o), dtype=np.float64) for o in tree_flatten(out)[0]]

    modes, atol, rtol, rng = settings.modes, settings.atol, settings.rtol, settings.rng
    outputs = f_flat(*leaves)
    for position, x in enumerate(leaves):
        u = rng.standard_normal(x.shape)
        v = [rng.standard_normal(o.shape) for o in outputs]
        numeric = _central_difference(f_flat, leaves, position, u, settings.eps)
        where = f"argument {settings.labels[position]} of {name}, order {order}"
        if "fwd" in modes:
            jvp_out = _jvp_flat(f, treedef, leaves, position, u)
            for k, (analytic, expected) in enumerate(zip(jvp_out, numeric, strict=True)):
                _compare(analytic, expected, atol, rtol, f"forward mode (JVP), {where}, output {k}")
        if "rev" in modes:
            vjp_in = _vjp_flat(f, treedef, leaves, v)[position]
            analytic = float(np.sum(vjp_in * u))
            expected = sum(float(np.sum(vk * nk)) for vk, nk in zip(v, numeric, strict=True))
            _compare(analytic, expected, atol, rtol, f"reverse mode (VJP), {where}")
        if "fwd" in modes and "rev" in modes:
            from_fwd = sum(float(np.sum(vk * jk)) for vk, jk in zip(v, jvp_out, strict=True))
            _compare(from_fwd, analytic, atol * 1e-2, rtol * 1e-2, f"⟨v, J u⟩ vs ⟨vᵀJ, u⟩, {where}")
    if order > 1:
        _check_higher(f, treedef, leaves, order, settings, name, outputs)


def _check_higher(f, treedef, leaves, order, settings, name, outputs):
    """Check x ↦ J·u (forward) and x ↦ vᵀJ (reverse) one order lower."""
    tangents = [settings.rng.standard_normal(x.shape) for x in leaves]
    cotangents = [settings.rng.standard_normal(o.shape) for o in outputs]
    if "fwd" in settings.modes:

        def f_jvp(*xs):
            primals = tuple(tree_unflatten(treedef, list(xs)))
            return jvp(f, primals, tuple(tree_unflatten(treedef, tangents)))[1]

        _check(f_jvp, treedef, leaves, order - 1, settings, f"jvp({name})")
    if "rev" in settings.modes:

        def f_vjp(*xs):
            out, vjp_fn = vjp(f, *tree_unflatten(treedef, list(xs)))
            return vjp_fn(tree_unflatten(tree_flatten(out)[1], cotangents))

        _check(f_vjp, treedef, leaves, order - 1, settings, f"vjp({name})")


def _central_difference(f_flat, leaves, position, u, eps) -> list:
    plus = list(leaves)
    minus = list(leaves)
    plus[position] = leaves[position] + eps * u
    minus[position] = leaves[position] - eps * u
    return [(p - m) / (2 * eps) for p, m in zip(f_flat(*plus), f_flat(*minus), strict=True)]


def _jvp_flat(f, treedef, leaves, position, u) -> list:
    tangents = [np.zeros_like(x, dtype=np.float64) for x in leaves]
    tangents[position] = u
    primals = tuple(tree_unflatten(treedef, leaves))
    _, out_tangent = jvp(f, primals, tuple(tree_unflatten(treedef, tangents)))
    return [np.asarray(raw_data(t), dtype=np.float64) for t in tree_flatten(out_tangent)[0]]


def _vjp_flat(f, treedef, leaves, cotangents) -> list:
    out, vjp_fn = vjp(f, *tree_unflatten(treedef, leaves))
    out_def = tree_flatten(out)[1]
    grads = vjp_fn(tree_unflatten(out_def, cotangents))
    return [np.asarray(raw_data(g), dtype=np.float64) for g in tree_flatten(grads)[0]]


def _compare(analytic, expected, atol, rtol, what) -> None:
    analytic, expected = np.asarray(analytic), np.asarray(expected)
    if np.allclose(analytic, expected, atol=atol, rtol=rtol):
        return
    error = np.max(np.abs(analytic - expected)) if analytic.size else 0.0
    raise GradientCheckError(
        f"check_grads: {what} disagrees with "
        f"{'central differences' if '⟨' not in what else 'the other mode'}: "
        f"analytic {_brief(analytic)}, numeric {_brief(expected)}, max abs difference {error:.3g} "
        f"(atol={atol:g}, rtol={rtol:g})"
    )


def _brief(values: np.ndarray) -> str:
    return np.array2string(values, precision=6, threshold=8)

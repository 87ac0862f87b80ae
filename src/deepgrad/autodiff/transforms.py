"""Function transformations with JAX's signatures: vjp, jvp, grad, value_and_grad,
jacobian, hessian, hvp, elementwise_grad.

Each transform opens a fresh level (see primitive.py), wraps its inputs as that level's
tensors, runs the function and reads the derivative off that level only, so transforms
nest in any order. Inputs and outputs may be pytrees of arrays. A gradient comes back
as the kind of thing its input was: a NumPy array for an array or number, a Tensor for
a Tensor (so gradients of tape tensors can be differentiated again with backward()).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepgrad.autodiff.effects import Impure
from deepgrad.autodiff.graph import backward_pass
from deepgrad.autodiff.primitive import new_level
from deepgrad.autodiff.tree import describe_structure, tree_flatten, tree_map, tree_unflatten
from deepgrad.backend import array_module, is_floating
from deepgrad.tensor import Tensor, raw_data

# NumPy's real floating dtypes: a set lookup decides the common case of _as_input's check
# (np.issubdtype, which is_floating calls, costs half a microsecond a call).
_INEXACT = frozenset(map(np.dtype, "efdg"))


def _as_input(x: Any, transform: str, position: int) -> Any:
    """An input to a transform: a traced Tensor stays; anything else becomes an array."""
    if isinstance(x, Tensor) and x._level >= 0:
        return x
    data = raw_data(x)
    array = data if type(data) is np.ndarray else array_module(data).asarray(data)
    if array.dtype.kind == "c":
        raise TypeError(
            f"{transform}: input {position} is complex ({array.dtype}); deepgrad "
            "differentiates real functions of real arrays: pass the real and imaginary "
            "parts as two real inputs"
        )
    if array.dtype not in _INEXACT and not is_floating(array.dtype):
        raise TypeError(
            f"{transform}: input {position} has dtype {array.dtype}; only floating-point "
            f"inputs can be differentiated (write 2.0 rather than 2, or cast with "
            f".astype('float64'))"
        )
    return array


def _unbox(x: Any, level: int) -> Any:
    return x._value if isinstance(x, Tensor) and x._level == level else x


def _like_input(value: Any, original: Any) -> Any:
    """Return ``value`` as the kind of thing ``original`` was (Tensor in, Tensor out)."""
    if isinstance(value, Tensor) and value._level >= 0:
        return value
    if isinstance(original, Tensor):
        return Tensor._make(_array(raw_data(value)), -1)
    return _array(raw_data(value))


def _as_output(value: Any, tensors_in: bool = True) -> Any:
    """A transform's output: Tensors stay Tensors, raw results become NumPy arrays. A
    constant Tensor (``stop_gradient``'s, or a closure's ``dg.tensor``) stays one only when a
    Tensor went in: of arrays, JAX's transforms give arrays, as ``vmap`` does here."""
    if isinstance(value, Tensor) and (tensors_in or value._level >= 0):
        return value
    return _array(raw_data(value))


def _aux_output(value: Any, level: int, tensors_in: bool) -> Any:
    """A leaf of aux: unwrapped from the transform's level, and as ``_as_output`` for a
    constant Tensor; anything else (a string, a number) as ``f`` returned it."""
    value = _unbox(value, level)
    if isinstance(value, Tensor) and value._level < 0 and not tensors_in:
        return _array(raw_data(value))
    return value


def _any_tensor(leaves: list) -> bool:
    return any(isinstance(x, Tensor) for x in leaves)


_scalar_to_array = Impure(np.asarray, "asarray")


def _array(value: Any) -> np.ndarray:
    """``np.asarray(value)``; a NumPy scalar becomes a new 0-d array, which a compiled
    plan must make again at every replay, so that conversion is recorded."""
    if type(value) is np.ndarray:  # what np.asarray returns for it, without the calls
        return value
    if isinstance(value, np.generic):
        return _scalar_to_array(value)
    return array_module(value).asarray(value)


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(ct)`` gives ctᵀJ.

    ``vjp_fn`` returns a tuple with one cotangent per primal and may be called many times.

    >>> import deepgrad.numpy as dnp
    >>> out, vjp_fn = vjp(dnp.sin, 0.0)
    >>> vjp_fn(2.0)
    (array(2.),)
    """
    return _vjp(f, primals, has_aux, "vjp")


def _vjp(f: Callable, primals: tuple, has_aux: bool, transform: str) -> tuple:
    """``vjp``, with ``transform`` (the public name called) in the error about aux."""
    level = new_level()
    flat, treedef = tree_flatten(primals)
    inputs = [Tensor._make(_as_input(x, "vjp", i), level) for i, x in enumerate(flat)]
    result = f(*tree_unflatten(treedef, inputs))
    out, aux = _split_aux(result, transform) if has_aux else (result, None)
    out_flat, out_def = tree_flatten(out)
    tensors_in = _any_tensor(flat)
    values = [_as_output(_unbox(o, level), tensors_in) for o in out_flat]

    def vjp_fn(cotangent: Any) -> tuple:
        ct_flat, ct_def = tree_flatten(cotangent)
        if ct_def != out_def:
            raise ValueError(
                f"vjp_fn: the cotangent is {describe_structure(ct_def)} but the output is "
                f"{describe_structure(out_def)}; pass one cotangent per output, in the output's "
                "structure (as JAX requires)"
            )
        roots, seeds = [], []
        for o, value, ct in zip(out_flat, values, ct_flat, strict=True):
            ct = ct if isinstance(ct, Tensor) else _asarray_like(ct, value)
            if np.shape(raw_data(ct)) != np.shape(raw_data(value)):
                raise ValueError(
                    f"vjp_fn: cotangent shape {np.shape(raw_data(ct))} does not match the "
                    f"output shape {np.shape(raw_data(value))}"
                )
            if isinstance(o, Tensor) and o._level == level:
                roots.append(o)
                seeds.append(ct)
        leaves = backward_pass(roots, seeds, level) if roots else {}
        grads = []
        for box, original in zip(inputs, flat, strict=True):
            _, grad = leaves.get(id(box), (None, None))
            grads.append(
                _like_input(np.zeros_like(raw_data(box)) if grad is None else grad, original)
            )
        return tree_unflatten(treedef, grads)

    out_value = tree_unflatten(out_def, values)
    if has_aux:
        return out_value, vjp_fn, tree_map(lambda a: _aux_output(a, level, tensors_in), aux)
    return out_value, vjp_fn


def _split_aux(result: Any, transform: str) -> tuple[Any, Any]:
    """``(value, aux)`` from what a function given ``has_aux=True`` returned: a pair, as JAX
    requires (an array of two numbers is not one: it would be taken apart silently)."""
    if isinstance(result, tuple | list) and len(result) == 2:
        return result[0], result[1]
    got = type(result).__name__
    if isinstance(result, tuple | list):
        got = f"a {got} of {len(result)} items"
    elif hasattr(raw_data(result), "shape"):
        got = f"{got} of shape {np.shape(raw_data(result))}"
    raise TypeError(
        f"{transform}(has_aux=True): the function must return a pair (value, aux), got {got}"
    )


def _dtype_of(value: Any) -> Any:
    return getattr(raw_data(value), "dtype", None)


def _asarray_like(value: Any, like: Any) -> Any:
    """``value`` as an array of ``like``'s dtype, made by ``like``'s array module."""
    like = raw_data(like)
    if type(value) is np.ndarray and type(like) is np.ndarray and value.dtype is like.dtype:
        return value  # what asarray returns for it, without the calls
    return array_module(like, value).asarray(value, dtype=_dtype_of(like))


def _refuse_tangent_dtype(tangent: Any, primal: Any, position: int) -> None:
    """Refuse a tangent array (or Tensor) whose dtype is not its primal's, as JAX does: it
    would be cast to the primal's dtype (a float64 direction rounded to float32, an integer
    one taken as floats) without a word. A Python number takes the primal's dtype, as NumPy
    2 takes a Python scalar's."""
    dtype = getattr(raw_data(tangent), "dtype", None)
    wanted = _dtype_of(primal)
    if dtype is not None and wanted is not None and np.dtype(dtype) != np.dtype(wanted):
        raise TypeError(
            f"jvp: tangent {position} is {np.dtype(dtype)}, its primal {np.dtype(wanted)}; "
            f"give each tangent in its primal's dtype (as JAX requires), e.g. "
            f"t.astype({str(np.dtype(wanted))!r}), or a Python number"
        )


def jvp(f: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False) -> tuple:
    """Forward mode: ``(f(*primals), J·tangents)`` in one pass.

    >>> import deepgrad.numpy as dnp
    >>> jvp(dnp.sin, (0.0,), (3.0,))
    (array(0.), array(3.))

    Each tangent has its primal's shape and dtype (a Python number takes the primal's).
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise TypeError("jvp: primals and tangents must be tuples, e.g. jvp(f, (x,), (v,))")
    level = new_level()
    flat, treedef = tree_flatten(tuple(primals))
    tangent_flat, tangent_def = tree_flatten(tuple(tangents))
    if tangent_def != treedef:
        raise ValueError(
            f"jvp: the primals are {describe_structure(treedef)} but the tangents are "
            f"{describe_structure(tangent_def)}; give one tangent per primal, in the same "
            "structure (as JAX requires)"
        )
    inputs = []
    for i, (x, t) in enumerate(zip(flat, tangent_flat, strict=True)):
        x = _as_input(x, "jvp", i)
        _refuse_tangent_dtype(t, x, i)
        if not isinstance(t, Tensor):
            t = _asarray_like(t, x)
        if np.shape(raw_data(t)) != np.shape(raw_data(x)):
            raise ValueError(
                f"jvp: tangent {i} has shape {np.shape(raw_data(t))}, its primal has shape "
                f"{np.shape(raw_data(x))}"
            )
        inputs.append(Tensor._make_dual(x, level, t))
    result = f(*tree_unflatten(treedef, inputs))
    out, aux = _split_aux(result, "jvp") if has_aux else (result, None)
    out_flat, out_def = tree_flatten(out)
    tensors_in = _any_tensor(flat) or _any_tensor(tangent_flat)
    values, out_tangents = [], []
    for o in out_flat:
        if isinstance(o, Tensor) and o._level == level:
            values.append(_as_output(o._value, tensors_in))
            out_tangents.append(_as_output(o._tangent, tensors_in))
        else:
            values.append(_as_output(o, tensors_in))
            out_tangents.append(np.zeros_like(raw_data(o)))
    pair = (tree_unflatten(out_def, values), tree_unflatten(out_def, out_tangents))
    if has_aux:
        return (*pair, tree_map(lambda a: _aux_output(a, level, tensors_in), aux))
    return pair


_CONTAINERS = (tuple, list, dict)  # pytree nodes (a tuple of types: no union built per call)


def names_one(argnums: Any) -> bool:
    """Whether ``argnums`` names one argument (its gradient comes alone, not in a tuple): an
    int, or a NumPy integer, which JAX takes as one too."""
    return isinstance(argnums, int | np.integer)


def _check_argnums(argnums: Any, nargs: int, transform: str) -> tuple[int, ...]:
    if isinstance(argnums, int) and -nargs <= argnums < nargs:  # the common case, at once
        return (argnums % nargs,)
    numbers = (int(argnums),) if isinstance(argnums, int | np.integer) else tuple(argnums)
    for n in numbers:
        if not -nargs <= n < nargs:
            raise ValueError(
                f"{transform}: argnums {argnums} but the function got {nargs} arguments"
            )
    positions = tuple(n % nargs for n in numbers)
    if len(set(positions)) != len(positions):  # each would be traced, the last kept
        raise ValueError(f"{transform}: argnums {argnums} names an argument twice")
    return positions


def _partial(f: Callable, args: tuple, kwargs: dict, positions: tuple[int, ...]) -> Callable:
    if not kwargs and positions == tuple(range(len(args))):  # every argument, in order
        return f

    def f_of_selected(*selected):
        full = list(args)
        for position, value in zip(positions, selected, strict=True):
            full[position] = value
        return f(*full, **kwargs)

    return f_of_selected


def value_and_grad(
    f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable:
    """A function returning ``(f(*args), ∇f(*args))`` (``((value, aux), grad)`` with has_aux).

    >>> import deepgrad.numpy as dnp
    >>> value_and_grad(lambda x: x ** 2)(3.0)
    (array(9.), array(6.))
    """

    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple:
        positions = _check_argnums(argnums, len(args), "grad")
        selected = [args[i] for i in positions]
        result = _vjp(_partial(f, args, kwargs, positions), tuple(selected), has_aux, "grad")
        out, vjp_fn = result[0], result[1]
        if isinstance(out, _CONTAINERS) or np.shape(raw_data(out)) != ():
            shape = "a pytree" if isinstance(out, _CONTAINERS) else np.shape(raw_data(out))
            raise TypeError(
                f"grad requires a function with a scalar output (shape ()), got {shape}; "
                f"use vjp or jacobian for non-scalar outputs"
                + (" (with has_aux=True, return (value, aux))" if not has_aux else "")
            )
        out_dtype = np.result_type(raw_data(out))
        if not np.issubdtype(out_dtype, np.inexact):
            raise TypeError(
                f"grad requires a function with a floating-point output, got {out_dtype}: an "
                "integer or boolean result (a count, a cast with astype, sum(..., dtype=int)) "
                "has no gradient (as in JAX); return a float"
            )
        grads = vjp_fn(np.ones_like(raw_data(out)))
        grads = grads[0] if names_one(argnums) else tuple(grads)
        value = (out, result[2]) if has_aux else out
        return value, grads

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function (``(grad, aux)`` with has_aux).

    >>> import deepgrad.numpy as dnp
    >>> grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (array(5.), array(2.))
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux)

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, grads = value_and_grad_f(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def elementwise_grad(f: Callable) -> Callable:
    """The derivative of an elementwise function at every element: the vjp with ones.

    >>> import deepgrad.numpy as dnp
    >>> elementwise_grad(dnp.tanh)(np.zeros(3))
    array([1., 1., 1.])
    """

    def elementwise_grad_f(x: Any, *args: Any, **kwargs: Any) -> Any:
        out, vjp_fn = vjp(lambda x: f(x, *args, **kwargs), x)
        return vjp_fn(np.ones_like(raw_data(out)))[0]

    return elementwise_grad_f


def hvp(f: Callable, primals: Sequence, tangents: Sequence) -> Any:
    """Hessian-vector product H·v by forward-over-reverse, without forming H.

    >>> import deepgrad.numpy as dnp
    >>> hvp(lambda x: dnp.sum(x ** 3), (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    array([6., 0.])
    """
    argnums = 0 if len(primals) == 1 else tuple(range(len(primals)))
    return jvp(grad(f, argnums), tuple(primals), tuple(tangents))[1]


def stop_gradient(x: Any) -> Any:
    """``x`` as a constant: no derivative flows through it, at any level.

    >>> stop_gradient(np.ones(2))
    array([1., 1.])
    """
    return tree_map(lambda v: Tensor._make(raw_data(v), -1) if isinstance(v, Tensor) else v, x)

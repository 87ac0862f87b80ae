"""Evaluation traces, as textbooks print them (Baydin et al., JMLR 2018, Tables 2 and 3).

``trace(f, *args)`` runs ``f`` once on a fresh level, numbers its inputs v_{1−n} … v_0
and each op v_1 … v_m in evaluation order, then replays the recorded graph with each
primitive's own JVP rules (the forward tangent trace) and VJP rules (the reverse
adjoint trace). Nothing is special-cased: the numbers are the engine's.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import Node, match_shape, new_level, node_of
from deepgrad.autodiff.transforms import _as_input
from deepgrad.tensor import Tensor, raw_data


@dataclass
class TraceRow:
    """One line of a trace table."""

    label: str
    expression: str
    value: Any


@dataclass
class EvaluationTrace:
    """The three tables of an evaluation trace, and the numbers they arrive at.

    ``value`` is y, ``tangent`` is ẏ for the chosen input direction and ``gradient``
    holds x̄_i = ∂y/∂x_i for each input.
    """

    primal: list[TraceRow] = field(default_factory=list)
    tangent_rows: list[TraceRow] = field(default_factory=list)
    adjoint: list[TraceRow] = field(default_factory=list)
    value: Any = None
    tangent: Any = None
    gradient: tuple = ()

    def tables(self) -> list[tuple[str, list[TraceRow]]]:
        return [
            ("Forward primal trace", self.primal),
            ("Forward tangent trace", self.tangent_rows),
            ("Reverse adjoint trace", self.adjoint),
        ]

    def __str__(self) -> str:
        parts = []
        for title, rows in self.tables():
            width = max(len(r.label) for r in rows)
            expr_width = max(len(r.expression) for r in rows)
            lines = [title, "-" * len(title)]
            for r in rows:
                lines.append(f"{r.label:<{width}} = {r.expression:<{expr_width}} = {_fmt(r.value)}")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def _repr_html_(self) -> str:
        """The three tables as HTML: what Jupyter shows for a trace on its own line."""
        parts = []
        for title, rows in self.tables():
            body = "".join(
                f"<tr><td>{html.escape(r.label)}</td><td>= {html.escape(r.expression)}</td>"
                f"<td style='text-align:right'>= {html.escape(_fmt(r.value))}</td></tr>"
                for r in rows
            )
            parts.append(f"<p><b>{html.escape(title)}</b></p><table>{body}</table>")
        return "".join(parts)

    def to_markdown(self) -> str:
        """The three tables as Markdown."""
        parts = []
        for title, rows in self.tables():
            lines = [f"**{title}**", "", "| | | value |", "|---|---|---:|"]
            lines += [f"| {r.label} | {r.expression} | {_fmt(r.value)} |" for r in rows]
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


def _fmt(value: Any) -> str:
    data = np.asarray(raw_data(value))
    if data.size == 1:
        return f"{data.item():.4f}" if np.issubdtype(data.dtype, np.inexact) else str(data.item())
    return f"array of shape {data.shape}"


def trace(
    f: Callable, *args: Any, tangents: Sequence | None = None, names: Sequence[str] | None = None
) -> EvaluationTrace:
    """The evaluation trace of ``f`` at ``args``: primal, tangent and adjoint tables.

    ``f`` returns one scalar y (the adjoint trace gives x̄ = ∂y/∂x, as ``grad`` does).
    ``tangents`` is the input direction for the tangent trace, one of each input's shape
    (default: along the first input); ``names`` labels the inputs (default: f's
    parameter names).

    >>> import deepgrad.numpy as dnp
    >>> t = trace(lambda x1, x2: dnp.log(x1) + x1 * x2 - dnp.sin(x2), 2.0, 5.0)
    >>> print(t.primal[-1].expression, round(float(t.value), 3), t.gradient[0])
    v_5 11.652 5.5
    """
    level = new_level()
    names = list(names) if names is not None else _parameter_names(f, len(args))
    _check_count("names", names, args)
    inputs = [Tensor._make(_as_input(x, "trace", i), level) for i, x in enumerate(args)]
    directions = _directions(inputs, tangents)
    out = f(*inputs)
    _check_output(out, level)
    steps = _evaluation_order(out, level, inputs)
    labels = {id(x): f"v_{i - len(inputs) + 1}" for i, x in enumerate(inputs)}
    labels.update({id(t): f"v_{i + 1}" for i, t in enumerate(steps)})

    result = EvaluationTrace(value=np.asarray(raw_data(out)))
    for name, x in zip(names, inputs, strict=True):
        result.primal.append(TraceRow(labels[id(x)], name, x._value))
    for t in steps:
        result.primal.append(TraceRow(labels[id(t)], _expression(t, labels), t._value))
    result.primal.append(TraceRow("y", labels[id(out)], out._value))

    _tangent_trace(result, steps, inputs, names, labels, directions, out)
    _adjoint_trace(result, steps, inputs, names, labels, out)
    return result


def _check_count(what: str, given: Sequence, args: Sequence) -> None:
    if len(given) != len(args):
        raise ValueError(
            f"trace: {len(given)} {what} for f's {len(args)} input(s); give one per input"
        )


def _check_output(out: Any, level: int) -> None:
    """The traced output must be one scalar y: the adjoint trace seeds ȳ = 1 and reads off
    x̄ = ∂y/∂x, which for an array y would be the gradient of its sum (grad refuses it too)."""
    if isinstance(out, tuple | list | dict):
        raise ValueError(
            f"trace: f returns a {type(out).__name__} of {len(out)} outputs; an evaluation "
            "trace follows one scalar output y: trace each output on its own"
        )
    if not (isinstance(out, Tensor) and out._level == level):
        raise ValueError("trace: the output does not depend on the inputs; nothing to trace")
    shape = np.shape(out._value)
    if shape != ():
        raise ValueError(
            f"trace: f returns an array of shape {shape}; the adjoint trace gives x̄ = ∂y/∂x "
            "for a scalar output y (shape ()), as grad does: reduce the output "
            "(dnp.sum(...)) or trace one of its elements"
        )


def _parameter_names(f: Callable, count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    if len(params) >= count:
        return params[:count]
    return [f"x{i + 1}" for i in range(count)]


def _evaluation_order(out: Tensor, level: int, inputs: list) -> list[Tensor]:
    """Ops in an order they could have run in: a depth-first post-order, parents first."""
    done = {id(x) for x in inputs}
    order, stack = [], [(out, False)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in done:
            continue
        if expanded:
            done.add(id(tensor))
            order.append(tensor)
            continue
        stack.append((tensor, True))
        for _, parent in reversed(_node_of(tensor).parents):
            if id(parent) not in done:
                stack.append((parent, False))
    return order


def _node_of(t: Tensor) -> Node:
    """The node that made ``t``: every traced value other than an input has one."""
    node = node_of(t)
    if node is None:
        raise RuntimeError("trace: a traced value has no recorded op (an engine invariant broke)")
    return node


def _expression(t: Tensor, labels: dict) -> str:
    node = _node_of(t)
    parents = dict(node.parents)
    operands = [
        labels[id(parents[i])] if i in parents else _constant(a) for i, a in enumerate(node.args)
    ]
    params = [f"{k}={v}" for k, v in node.kwargs.items() if v is not None]
    if node.prim.symbol and not params:
        return node.prim.symbol.format(*operands)
    return f"{node.prim.name}({', '.join(operands + params)})"


def _constant(value: Any) -> str:
    data = np.asarray(raw_data(value))
    return (
        f"{data.item():g}" if data.size == 1 and data.dtype.kind in "fiub" else f"const{data.shape}"
    )


def _accent(name: str, mark: str) -> str:
    """Put a dot (tangent) or bar (adjoint) over the first letter: x1 → ẋ1, x̄1."""
    return name[0] + mark + name[1:] if name else name


def _directions(inputs: list, tangents: Sequence | None) -> list:
    if tangents is None:
        return [
            np.ones_like(x._value) if i == 0 else np.zeros_like(x._value)
            for i, x in enumerate(inputs)
        ]
    _check_count("tangents", tangents, inputs)
    directions = []
    for i, (t, x) in enumerate(zip(tangents, inputs, strict=True)):
        direction = np.asarray(raw_data(t), dtype=np.asarray(x._value).dtype)
        if direction.shape != np.shape(x._value):
            # a smaller tangent would broadcast inside the rules: sum(x) would get ẋ, not Σẋ
            raise ValueError(
                f"trace: tangent {i} has shape {direction.shape}, its input has shape "
                f"{np.shape(x._value)}; give a tangent of the input's shape (as jvp requires)"
            )
        directions.append(direction)
    return directions


def _tangent_trace(result, steps, inputs, names, labels, directions, out) -> None:
    tangent = {id(x): d for x, d in zip(inputs, directions, strict=True)}
    for name, x in zip(names, inputs, strict=True):
        result.tangent_rows.append(
            TraceRow("v̇" + labels[id(x)][1:], _accent(name, "\u0307"), tangent[id(x)])
        )
    for t in steps:
        node, total = _node_of(t), None
        for position, parent in node.parents:
            rule = node.prim.jvps[position] if position < len(node.prim.jvps) else None
            if rule is None:
                raise NotImplementedError(f"{node.prim.name}: no forward-mode (JVP) rule")
            part = rule(tangent[id(parent)], t._value, *node.args, **node.kwargs)
            total = part if total is None else total + part
        tangent[id(t)] = match_shape(total, t._value, broadcast=True)
        inputs_used = " + ".join(
            f"∂{labels[id(t)]}/∂{labels[id(p)]}·v̇{labels[id(p)][1:]}" for _, p in node.parents
        )
        result.tangent_rows.append(TraceRow("v̇" + labels[id(t)][1:], inputs_used, tangent[id(t)]))
    result.tangent = np.asarray(raw_data(tangent[id(out)]))
    result.tangent_rows.append(TraceRow("ẏ", "v̇" + labels[id(out)][1:], result.tangent))


def _adjoint_trace(result, steps, inputs, names, labels, out) -> None:
    adjoint = {id(out): np.ones_like(out._value)}
    result.adjoint.append(TraceRow("v̄" + labels[id(out)][1:], "ȳ", adjoint[id(out)]))
    for t in reversed(steps):
        node, g = _node_of(t), adjoint[id(t)]
        for position, parent in node.parents:
            rule = node.prim.vjps[position]
            assert rule is not None  # a parent's position has rules: bind records no other
            part = rule(g, t._value, *node.args, **node.kwargs)
            part = match_shape(part, parent._value)
            key, bar = id(parent), "v̄" + labels[id(parent)][1:]
            term = f"v̄{labels[id(t)][1:]}·∂{labels[id(t)]}/∂{labels[id(parent)]}"
            if key in adjoint:
                adjoint[key] = adjoint[key] + part
                result.adjoint.append(TraceRow(bar, f"{bar} + {term}", adjoint[key]))
            else:
                adjoint[key] = part
                result.adjoint.append(TraceRow(bar, term, part))
    gradient = []
    for name, x in zip(names, inputs, strict=True):
        g = np.asarray(raw_data(adjoint.get(id(x), np.zeros_like(x._value))))
        gradient.append(g)
        result.adjoint.append(TraceRow(_accent(name, "\u0304"), "v̄" + labels[id(x)][1:], g))
    result.gradient = tuple(gradient)

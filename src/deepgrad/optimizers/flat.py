"""Parameters as views into one contiguous buffer per dtype, and their gradients too.

With this layout ``zero_grad`` is one ``fill`` and an optimizer's update is one rule
applied to the whole buffer, however many layers the model has: there is no per-tensor
loop and no separate "foreach" copy of a rule (``elementwise.py`` runs each rule over the
buffer with NumPy, or compiled with numba where that pays).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from deepgrad import kernels
from deepgrad.backend import array_module
from deepgrad.tensor import Tensor, mark_written


@dataclass
class FlatGroup:
    """The parameters of one dtype: their values and gradients as flat arrays, and views.

    ``starts`` and ``sizes`` locate each parameter in the buffer, for the few rules that
    work per parameter (layer-wise trust ratios, factored or orthogonalised updates).
    """

    params: list[Tensor]
    values: np.ndarray
    grads: np.ndarray
    value_views: list[np.ndarray] = field(default_factory=list)
    grad_views: list[np.ndarray] = field(default_factory=list)
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _parts: dict = field(default_factory=dict, repr=False)  # parts_without's, remembered

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Each parameter's part of a flat array (values, gradients or state), shaped."""
        return [
            flat[start : start + size].reshape(p.shape)
            for start, size, p in zip(self.starts, self.sizes, self.params, strict=True)
        ]

    def norms(self, flat: np.ndarray) -> np.ndarray:
        """The Euclidean norm of each parameter's part of ``flat``, in one reduction."""
        squares = np.add.reduceat(np.square(flat, dtype=np.float64), self.starts)
        return np.sqrt(np.where(self.sizes > 0, squares, 0.0))

    def parts_without(self, excluded: Sequence[Tensor]) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The parts of the flat buffer that hold no parameter of ``excluded``: each run of
        at least ``kernels.MIN_SIZE`` elements as (start, stop), to be updated in place, and
        the elements of the shorter runs (biases, mostly) as one array of indices, to be
        updated together (one call for each short run cost more than the gather: 283 µs
        against 30 for the 17 biases of the suite's deep net). Remembered per ``excluded``.

        >>> import deepgrad as dg
        >>> a, b, c = (dg.tensor(np.zeros(n), requires_grad=True) for n in (5000, 3, 4))
        >>> runs, scattered = FlatParameters([a, b, c]).groups[0].parts_without([b])
        >>> runs, scattered
        ([(0, 5000)], array([5003, 5004, 5005, 5006]))
        """
        key = tuple(id(p) for p in excluded)
        if key not in self._parts:
            skipped = set(key)
            runs: list[tuple[int, int]] = []
            for p, start, size in zip(self.params, self.starts, self.sizes, strict=True):
                if id(p) in skipped or size == 0:
                    continue
                if runs and runs[-1][1] == start:
                    runs[-1] = (runs[-1][0], int(start + size))
                else:
                    runs.append((int(start), int(start + size)))
            long = [run for run in runs if run[1] - run[0] >= kernels.MIN_SIZE]
            short = [np.arange(a, b) for a, b in runs if b - a < kernels.MIN_SIZE]
            scattered = np.concatenate(short) if short else np.zeros(0, np.intp)
            if len(self._parts) >= 8:  # a few sets at most in practice; never grow unbounded
                self._parts.clear()
            self._parts[key] = (long, scattered)
        return self._parts[key]

    def spread(self, per_parameter: np.ndarray) -> np.ndarray:
        """One value per parameter, repeated over that parameter's elements."""
        return np.repeat(per_parameter, self.sizes)


class FlatParameters:
    """Re-home ``params`` into flat buffers; each ``p.data`` and ``p.grad`` becomes a view."""

    def __init__(self, params: list[Tensor]) -> None:
        seen: set[int] = set()
        unique = []
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer: parameters must be Tensors, got {type(p).__name__}")
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    "optimizer: every parameter must be a leaf tensor with requires_grad=True "
                    f"(got one of shape {p.shape} that is not); rebuild the optimizer after "
                    "freezing or unfreezing layers"
                )
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        self.params = unique
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for p in unique:
            by_dtype.setdefault(p.dtype, []).append(p)
        self.groups = [self._group(ps) for ps in by_dtype.values()]

    def __deepcopy__(self, memo: dict) -> FlatParameters:
        """A copy whose buffers hold the copied parameters' values and gradients, each
        copied parameter a view into them again. (A plain deep copy copies every view as
        an array of its own: the copy's update then changed its buffer and no weight.)"""
        clone = FlatParameters.__new__(FlatParameters)
        memo[id(self)] = clone
        clone.params = copy.deepcopy(self.params, memo)  # the copied model's, by the memo
        copied = {id(p): c for p, c in zip(self.params, clone.params, strict=True)}
        clone.groups = [self._group([copied[id(p)] for p in g.params]) for g in self.groups]
        return clone

    @staticmethod
    def _group(params: list[Tensor]) -> FlatGroup:
        total = sum(p.size for p in params)
        dtype = params[0].dtype
        xp = array_module(*(p._value for p in params))  # the buffers live where the data do
        group = FlatGroup(params, xp.empty(total, dtype), xp.zeros(total, dtype))
        group.starts = np.cumsum([0] + [p.size for p in params[:-1]]).astype(np.int64)
        group.sizes = np.array([p.size for p in params], np.int64)
        offset = 0
        for p in params:
            size = p.size
            view = group.values[offset : offset + size].reshape(p.shape)
            view[...] = p.data
            grad_view = group.grads[offset : offset + size].reshape(p.shape)
            if p.grad is not None:
                grad_view[...] = p.grad.data
            p._value = view
            p.grad = Tensor._make(grad_view, -1)
            group.value_views.append(view)
            group.grad_views.append(grad_view)
            offset += size
        return group

    def zero_grad(self) -> None:
        for group in self.groups:
            group.grads.fill(0)
            for p, view in zip(group.params, group.grad_views, strict=True):
                if p.grad is None or p.grad._value is not view:
                    p.grad = Tensor._make(view, -1)
            mark_written(*(p.grad for p in group.params))

    def sync(self, applied: Sequence[Tensor] = ()) -> None:
        """Bring back into the buffers any value or gradient a user replaced wholesale
        (``p.data = ...``, ``p.grad = ...``), so the update sees it. The gradients of
        ``applied`` (parameters already updated, which have none) are left as they are."""
        skipped = {id(p) for p in applied}
        for group in self.groups:
            for p, value_view, grad_view in zip(
                group.params, group.value_views, group.grad_views, strict=True
            ):
                if not p.requires_grad:
                    # Its state (momentum, decay) would keep moving it: refuse, don't guess.
                    raise RuntimeError(
                        f"optimizer: a parameter of shape {p.shape} no longer requires grad "
                        "(frozen after the optimizer was built); build the optimizer again "
                        "with the parameters to train (compile() again for a model)"
                    )
                if p._value is not value_view:
                    value_view[...] = p._value
                    p._value = value_view
                if id(p) in skipped:
                    continue
                if p.grad is None:
                    grad_view.fill(0)
                    p.grad = Tensor._make(grad_view, -1)
                elif p.grad._value is not grad_view:
                    grad_view[...] = p.grad._value
                    p.grad = Tensor._make(grad_view, -1)

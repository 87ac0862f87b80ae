"""Plain gradient descent applied inside each weight gradient's product.

A compiled training step computes a dense weight's gradient with one ``matmul`` written
straight into the optimizer's flat buffer (``plan._store_gradients_in_place``); plain SGD
then runs θ ← θ − ηg over that buffer. With an :class:`InProductDescent`, the plan instead
adds −η·(a @ b) into the weights themselves with one BLAS call (``blas.add_product``:
``gemm`` with β = 1): the gradient is never written, and neither is OpenBLAS's pass of
zeros over it nor the update's pass over the weights (``docs/benchmarks.md``, "Plain SGD
inside the products").

The rewrite moves each such product to the end of the plan, after every other call, so
that everything the step computes from a weight (the forward pass, the gradient flowing to
the layer below) sees the weight before its update. A weight is left to the optimizer
when an output of the step may be a view of it.

The weights so updated have no gradient afterwards (``.grad`` is None, as after
PyTorch's ``zero_grad(set_to_none=True)``): the optimizer's step is told which they are
and updates only the others (``Optimizer.step(applied=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from deepgrad import blas
from deepgrad.compiler.recorder import Call, Constant, Recorder, Slot, refs_in, slots_in
from deepgrad.ops.linalg import matmul
from deepgrad.tensor import Tensor

# Below this many weights the one BLAS call (ctypes' argument conversion: about 5 µs) costs
# more than it saves (measured, aᵀδ then the SGD kernel against one call, µs: 15.3 / 20.4
# at 128 × 64 × 64, 29.4 / 31.6 at 128 × 128 × 64, 72.8 / 58.1 at 128 × 128 × 128).
MIN_SIZE = 1 << 14


class InProductDescent:
    """θ ← θ − η·(a @ b) for the weights in ``params`` whose gradient a plan computes as
    one product: the plan's part of a plain SGD step. ``rate`` is η of the step about to
    be replayed (its caller sets it before each replay); ``applied`` holds the weights the
    replays since its caller last cleared it have updated (by ``id``).

    >>> import deepgrad as dg
    >>> w = dg.tensor(np.eye(2, dtype=np.float32), requires_grad=True)
    >>> descent = InProductDescent([w])
    >>> descent.rate = 0.5
    >>> descent.descend(w, np.eye(2, dtype=np.float32), np.ones((2, 2), np.float32))
    >>> w.numpy(), w.grad, len(descent.applied)
    (array([[ 0.5, -0.5],
           [-0.5,  0.5]], dtype=float32), None, 1)
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        self._ids = {id(p) for p in params}
        self.rate = 0.0
        self.applied: dict[int, Tensor] = {}

    def descend(self, weight: Tensor, a: np.ndarray, b: np.ndarray) -> None:
        """The plan's call: ``weight -= rate * (a @ b)``, in one BLAS call where it can."""
        values = weight._value
        if not blas.add_product(values, a, b, -self.rate):
            values -= values.dtype.type(self.rate) * np.matmul(a, b)  # the optimizer's rule
        weight.grad = None
        self.applied[id(weight)] = weight

    def rewrite(
        self,
        calls: list[Call],
        recorder: Recorder,
        outputs: list[Any],
        may_view: Callable[[Call], bool],
    ) -> list[Call]:
        """``matmul(a, b, out=grad_target(w))`` → ``descend(w, a, b)``, moved to the end.
        ``may_view(call)``: whether a call's result may be a view of an argument (the
        plan's calls that write into a buffer of their own are not)."""
        viewing = _views_of_constants(calls, may_view)
        output_views = {c for s in slots_in(list(outputs)) for c in viewing.get(s, ())}
        kept, moved = [], []
        descend = self.descend  # one bound method: one name in the plan's source
        for call in calls:
            if self._updates_in_product(call, recorder, output_views):
                arguments = (call.into_grad_of, *call.args)
                update = Call(descend, "descend", arguments, {}, None, None, effect=True)
                update.origin = call.origin  # the user's line, for an error in the replay
                moved.append(update)
            else:
                kept.append(call)
        return kept + moved

    def _updates_in_product(self, call: Call, recorder: Recorder, output_views: set) -> bool:
        """Whether ``call`` is one product computed into the gradient of a weight of
        ``params`` that BLAS can update and no output of the step may view."""
        leaf = call.into_grad_of
        if leaf is None or call.func is not matmul.impl or len(call.args) != 2 or call.kwargs:
            return False
        weight = recorder.constants[leaf.index]
        return (
            isinstance(weight, Tensor)
            and id(weight) in self._ids
            and type(weight._value) is np.ndarray
            and weight._value.size >= MIN_SIZE
            and blas.available(weight._value.dtype)
            and getattr(call.result, "shape", None) == weight._value.shape
            and leaf.index not in output_views
        )


def _views_of_constants(calls: list[Call], may_view: Callable) -> dict[int, set[int]]:
    """Slot → the constants (by index) its array may be a view of, through calls whose
    result may be a view of an argument (a transpose, a reshape, a slice)."""
    viewing: dict[int, set[int]] = {}
    for call in calls:
        if call.out is None or call.into_grad_of is not None or not may_view(call):
            continue
        sources: set[int] = set()
        for ref in refs_in(call.args) + refs_in(call.kwargs):
            if isinstance(ref, Constant):
                sources.add(ref.index)
            elif isinstance(ref, Slot):
                sources |= viewing.get(ref.index, set())
        if sources:
            viewing[call.out.index] = sources
    return viewing

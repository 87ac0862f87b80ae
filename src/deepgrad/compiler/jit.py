"""``deepgrad.compile``: record a function once per input signature, then replay the plan.

The first call with a new signature (the shapes and dtypes of the array arguments, the
values of the others) runs the function eagerly and records its array calls; the second
records again, on new data, and compares: if a captured constant changed between the
two runs, some array work happened outside deepgrad's ops and a replay would freeze
it, so ``compile`` raises :class:`CompileError` naming the call, instead of training on
stale numbers. From then on, calls with that signature replay the plan.

Once one signature's two recordings, made on different data (every array argument's
bytes differ), have agreed, a later signature of the same function (the last, smaller
batch of an epoch) is recorded once: the same code runs on it, and array work outside
deepgrad's ops would have changed the numbers on the first signature's two calls
already.

Python cannot be replayed, so a value of the data read into Python while recording
(``bool(x > 0)``, ``float(x)``, ``x.numpy()``, ...) is refused as it is read
(``Recorder.read``, told by ``tensor.READS``), as JAX's ``jit`` refuses it: the comparison
would miss a branch that the first two calls happened to take alike.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.autodiff.primitive import STATE
from deepgrad.autodiff.tree import tree_flatten, tree_unflatten
from deepgrad.backend import array_module, to_numpy
from deepgrad.compiler import cuda_graph, settings
from deepgrad.compiler.descent import InProductDescent
from deepgrad.compiler.plan import Plan
from deepgrad.compiler.recorder import CompileError, Constant, Recorder, Slot
from deepgrad.device import device_of
from deepgrad.tensor import READS, WRITES, Tensor, raw_data, written_at

MAX_SIGNATURES = 64


class TooManySignatures(CompileError):
    """A compiled function was called with ``MAX_SIGNATURES`` signatures already; raised
    before the call runs anything, so the caller may run the function as written."""


class CompiledFunction:
    """What ``deepgrad.compile(fn)`` returns: call it as you would call ``fn``.

    ``descent`` (an :class:`~deepgrad.compiler.descent.InProductDescent`): its plans update
    the weights whose gradients they compute as one product, inside that product, as
    plain SGD would (``model.compile``'s training step passes one for plain SGD).
    """

    def __init__(
        self, fn: Callable, check: bool = True, descent: InProductDescent | None = None
    ) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.check = check
        self.descent = descent
        self._plans: dict[Any, tuple[Plan, Any, list]] = {}
        # signature → (recorder, inputs, outputs) its plan was made from (``replan``)
        self._recordings: dict[Any, tuple[Recorder, list, list]] = {}
        # signature → (recorder, outputs, fingerprint of the inputs) of its first call
        self._first_recordings: dict[Any, tuple] = {}
        # Two recordings on different data have agreed: later signatures are recorded once.
        self._checked = False
        self._settings = settings.version()  # the settings the plans were recorded with
        # Calls whose arguments are all NumPy arrays or None (a training step's x, y and
        # sample_weight): the same plans, found by a key made without flattening a tree.
        self._plans_of_arrays: dict[tuple, tuple[Plan, Any, list]] = {}
        # signature → the constant Tensors its plan folded values from (Plan.folded_from),
        # with the recording's start; and all of them in one list, checked at every call.
        self._folded_from: dict[Any, list[tuple[Tensor, Any, int]]] = {}
        self._watched: list[tuple[Tensor, Any, int]] = []

    def __call__(self, *args: Any) -> Any:
        if STATE.anomaly:  # inside detect_anomaly(): run as written, every op checked (a
            return self.fn(*args)  # replay checks none, so a NaN would pass unnoticed)
        if self._settings != settings.version():  # a setting a plan may hold was changed
            self._forget_plans()
        if self._watched and _any_changed(self._watched):  # a folded constant was written
            self._forget_plans()
        key = _arrays_key(args)
        if key is not None and STATE.observer is None:
            entry = self._plans_of_arrays.get(key)
            if entry is not None:
                return _replay(entry, [a for a in args if a is not None])
        leaves, treedef = tree_flatten(args)
        if STATE.observer is not None or _traced_by_transform(leaves):
            # Inside another compiled function's recording, or differentiated by a
            # transform (grad(compile(f))): a replay would be invisible to the outer
            # recording and cut the transform's graph, so the function runs as written
            # and is recorded or differentiated with its caller (JAX inlines nested jit).
            return self.fn(*args)
        signature = _signature(leaves, treedef)
        entry = self._plans.get(signature)
        if entry is not None:
            if key is not None:
                self._plans_of_arrays[key] = entry
            return _replay(entry, [raw_data(x) for x in leaves if _is_array(x)])
        return self._record(signature, leaves, treedef)

    def _forget_plans(self) -> None:
        """Record again from the next call on (what was checked stays checked: the code is
        the same, with other settings)."""
        self._plans.clear()
        self._plans_of_arrays.clear()
        self._first_recordings.clear()
        self._recordings.clear()
        self._folded_from.clear()
        self._watched = []
        self._settings = settings.version()

    def replan(self) -> None:
        """Make each plan again from its recording, with the rewrites that apply now (the
        kernels' fused calls, once ``fit`` has started them): nothing is recorded again,
        so the calls that ran eagerly, and with them every number, stay as they were."""
        for key, recording in self._recordings.items():
            _, out_def, kinds = self._plans[key]
            self._make_plan(key, recording, out_def, kinds)
        self._plans_of_arrays.clear()

    def _make_plan(
        self, key: Any, recording: tuple[Recorder, list, list], out_def: Any, kinds: list
    ) -> None:
        """The plan of ``recording`` (recorder, inputs, outputs), captured as a CUDA graph
        where that is on (off by default), kept under ``key`` with the recording it was
        made from. (Replacing the entries of existing keys: ``replan`` iterates safely.)"""
        recorder, inputs, outputs = recording
        plan = Plan(recorder, inputs, outputs, self.descent)
        self._plans[key] = (cuda_graph.maybe_captured(plan), out_def, kinds)
        self._recordings[key] = recording
        self._folded_from[key] = [(t, a, plan.recorded_at) for t, a in plan.folded_from]
        self._watched = [entry for entries in self._folded_from.values() for entry in entries]

    def plan(self, *args: Any) -> Plan:
        """The plan that calls with these arguments replay (recording it if needed)."""
        leaves, treedef = tree_flatten(args)
        if STATE.observer is not None or _traced_by_transform(leaves):
            raise CompileError(
                f"compile: plan() of {_name(self.fn)} asked inside a recording or a "
                "transform, where the function runs as written and has no plan of its own"
            )
        key = _signature(leaves, treedef)
        while key not in self._plans:
            self(*args)
        return self._plans[key][0]

    def _record(self, key: Any, leaves: list, treedef: Any) -> Any:
        if len(self._plans) + len(self._first_recordings) >= MAX_SIGNATURES:
            raise TooManySignatures(
                f"compile: {_name(self.fn)} has been called with {MAX_SIGNATURES} different "
                "argument signatures (shapes, dtypes, or values of non-array arguments); pass "
                "changing numbers as arrays, or call the function without compile"
            )
        for position, leaf in enumerate(leaves):
            if isinstance(leaf, Tensor) and leaf._level >= 0:
                raise CompileError(
                    f"compile: argument {position} of {_name(self.fn)} is a Tensor that "
                    "requires grad; a compiled function takes data as arguments and reaches "
                    "its parameters by closure (model weights), or differentiates inside "
                    "with deepgrad.grad"
                )
        recorder = Recorder()
        inputs = [recorder.add_input(raw_data(x)) for x in leaves if _is_array(x)]
        # Arrays go in as constant Tensors, so that Python operators on them (x * 2)
        # dispatch to deepgrad ops, which record, instead of to NumPy's, which would not.
        args = tree_unflatten(treedef, [_as_tensor(x) for x in leaves])
        STATE.observer = recorder.observe
        READS.watcher = recorder.read
        WRITES.watcher = recorder.write
        try:
            result = self.fn(*args)
        finally:
            STATE.observer = None
            READS.watcher = None
            WRITES.watcher = None
        out_leaves, out_def = tree_flatten(result)
        outputs = [recorder.reference(raw_data(x), x) for x in out_leaves]
        kinds = [_kind(x, ref, inputs) for x, ref in zip(out_leaves, outputs, strict=True)]
        result = tree_unflatten(out_def, [_present(x) for x in out_leaves])
        first = self._first_recordings.pop(key, None)
        if self.check and first is None and not self._checked:
            self._first_recordings[key] = (recorder, outputs, _fingerprint(leaves))
            return result
        if first is not None:
            _compare(first[:2], (recorder, outputs), _name(self.fn))
            self._checked = self._checked or _all_differ(first[2], _fingerprint(leaves))
        self._make_plan(key, (recorder, inputs, outputs), out_def, kinds)
        return result


def compile(fn: Callable | None = None, *, check: bool = True) -> Any:
    """Compile ``fn``: record its array calls, then replay them as one flat plan.

    ``fn`` takes arrays (or pytrees of arrays) and may do anything deepgrad ops do,
    including ``loss.backward()`` (the replay accumulates into ``.grad`` as the eager run
    did) and ``deepgrad.grad``. A new signature of the arguments is recorded on its first
    two calls (run eagerly, compared; ``check=False`` trusts the first) and replayed from
    the third on, with preallocated buffers and no graph; once two recordings on
    different data have agreed, later signatures are recorded once. Outputs come back as
    constants: call ``backward`` inside, not on the result.

    What a replay cannot see: Python control flow that depends on array values (a value
    of the data read into Python while recording, ``if dnp.sum(x) > 0:``, raises
    ``CompileError``, as JAX's ``jit`` refuses it), and array work not done with deepgrad
    ops (see :func:`deepgrad.compiler.record_call`), which the second recording catches
    when it changes the numbers.

    >>> import numpy as np, deepgrad as dg, deepgrad.numpy as dnp
    >>> w = dg.tensor(np.ones(3), requires_grad=True)
    >>> @dg.compile
    ... def step(x):
    ...     loss = dnp.sum(dnp.tanh(x * w))
    ...     loss.backward()
    ...     return loss
    >>> x = np.array([0.0, 1.0, 2.0])
    >>> for _ in range(3):  # recorded, recorded and checked, replayed
    ...     loss = step(x)
    >>> np.allclose(w.grad.numpy(), 3 * x * (1 - np.tanh(x) ** 2))  # three accumulations
    True
    """
    if fn is None:
        return functools.partial(compile, check=check)
    return CompiledFunction(fn, check=check)


# ---- signatures -----------------------------------------------------------------------------


def _signature(leaves: list, treedef: Any) -> tuple:
    """What selects a plan: the structure of the arguments, each array's shape and dtype,
    each other argument's value, and whether gradients are being recorded."""
    return (_structure_key(treedef), tuple(_leaf_key(x) for x in leaves), STATE.grad_enabled)


def _arrays_key(args: tuple) -> tuple | None:
    """For arguments that are all NumPy arrays or None, a key that selects the same plan as
    their ``_signature`` (which arguments are None, each array's shape and dtype, and
    whether gradients are being recorded); None for any other arguments."""
    key: list = [STATE.grad_enabled]
    for a in args:
        if a is None:
            key.append(None)
        elif type(a) is np.ndarray:
            key.append((a.shape, a.dtype.str))
        else:
            return None
    return tuple(key)


def _traced_by_transform(leaves: list) -> bool:
    """Whether an argument is a Tensor traced by a transform (grad, jvp, ...: level ≥ 1)."""
    return any(isinstance(x, Tensor) and x._level > 0 for x in leaves)


def _is_array(x: Any) -> bool:
    """An input of the plan: a NumPy array, a Tensor, or an array on a device (a GPU's)."""
    return isinstance(x, np.ndarray | Tensor) or device_of(x).kind != "cpu"


def _leaf_key(x: Any) -> Any:
    """What a replay must match in an argument: an array's type, shape and dtype; any other
    value itself (a float with its sign: 0.0 == -0.0, but 1/-0.0 is -inf)."""
    if _is_array(x):
        data = raw_data(x)
        return (type(x).__name__, data.shape, data.dtype.str)
    try:
        hash(x)
    except TypeError:
        # An id would match a later object that happens to reuse it, and says nothing of
        # a change to this one's contents: its old value would replay without a word.
        raise CompileError(
            f"compile: an argument of type {type(x).__name__} is neither an array nor "
            "hashable, so a replay could not tell whether it changed. Pass its numbers as "
            "arguments, or make it hashable (a tuple, a frozen dataclass)"
        ) from None
    if isinstance(x, float | np.floating):
        return (type(x).__name__, x, math.copysign(1.0, x))
    return (type(x).__name__, x)


def _structure_key(treedef: Any) -> Any:
    if type(treedef) in (tuple, list):
        return tuple(_structure_key(t) for t in treedef)
    if isinstance(treedef, type):
        return treedef.__name__
    return treedef


def _as_tensor(x: Any) -> Any:
    return Tensor._make(x, -1) if _is_array(x) and not isinstance(x, Tensor) else x


def _present(x: Any) -> Any:
    """An output as the caller gets it: a Tensor on the tape stays one, arrays are arrays."""
    if isinstance(x, Tensor) and x._level < 0:
        return raw_data(x)
    return x


def _kind(value: Any, ref: Any, inputs: list[Slot]) -> str:
    """How to hand a replayed output back: a (constant) Tensor, a fresh array, as it is."""
    if isinstance(value, Tensor) and value._level >= 0:
        return "tensor"
    if isinstance(ref, Slot) and ref not in inputs:
        return "copy"
    return "same"


def _any_changed(watched: list[tuple[Tensor, Any, int]]) -> bool:
    """Whether a constant Tensor a plan folded values from holds another array now, or was
    written in place (``c += 1``, ``c[0] = 2``) since its recording began: the plan's
    folded values are stale, and the function must be recorded again."""
    last_write = WRITES.last  # no write since the recording began: no tensor to ask
    for tensor, array, recorded_at in watched:
        if tensor._value is not array:
            return True
        if last_write > recorded_at and written_at(tensor) > recorded_at:
            return True
    return False


def _replay(entry: tuple, arrays: list) -> Any:
    """Run a recorded plan on the input arrays and hand its outputs back as the function
    returned them."""
    plan, out_def, kinds = entry
    values = plan(*arrays)
    return tree_unflatten(out_def, [_deliver(v, k) for v, k in zip(values, kinds, strict=True)])


def _deliver(value: Any, kind: str) -> Any:
    if kind == "same":
        return value
    # a copy: the plan writes over its buffers next call
    value = value.copy() if type(value) is np.ndarray else array_module(value).array(value)
    return Tensor._make(value, -1) if kind == "tensor" else value


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", repr(fn))


# ---- the second recording must match the first ---------------------------------------------


def _fingerprint(leaves: list) -> tuple | None:
    """A checksum of each array argument's bytes, to tell whether two calls saw different
    data (equal data, equal checksums; a comparison of two calls on the same data proves
    nothing, and one where the labels were equal proves nothing about the labels). None
    when an argument is not a NumPy array (a GPU's: not copied back for this), which
    leaves the comparison to every signature."""
    sums = []
    for leaf in leaves:
        if not _is_array(leaf):
            continue
        data = raw_data(leaf)
        if type(data) is not np.ndarray or data.dtype.hasobject:
            return None
        sums.append(zlib.crc32(np.ascontiguousarray(data).data))
    return tuple(sums)


def _all_differ(a: tuple | None, b: tuple | None) -> bool:
    """Whether every array argument held other data on the two calls: a value computed
    outside deepgrad's ops from any one of them would have changed between the two."""
    return a is not None and b is not None and all(x != y for x, y in zip(a, b, strict=True))


def _compare(first: tuple, second: tuple, name: str) -> None:
    (rec_a, out_a), (rec_b, out_b) = first, second
    hint = (
        "A compiled function must do the same array calls on every call, with array work "
        "done by deepgrad ops (deepgrad.numpy) or through deepgrad.compiler.record_call; "
        "run it without compile, or move the work out of it"
    )
    if len(rec_a.calls) != len(rec_b.calls):
        raise CompileError(
            f"compile: {name} made {len(rec_a.calls)} array calls on its first run and "
            f"{len(rec_b.calls)} on its second (Python control flow that depends on the "
            f"data?). {hint}"
        )
    for a, b in zip(rec_a.calls, rec_b.calls, strict=True):
        same = a.func == b.func and a.out == b.out
        if same:
            same = _same_refs((a.args, a.kwargs), (b.args, b.kwargs), rec_a, rec_b)
        if not same:
            raise CompileError(
                f"compile: {name}: the call to {b.name} (at {b.origin}) got different "
                f"arguments on the first two calls: an array computed outside deepgrad ops, "
                f"or a number read from the data, would be frozen into the plan. {hint}"
            )
    if not _same_refs(out_a, out_b, rec_a, rec_b):
        raise CompileError(
            f"compile: {name} returned values computed outside deepgrad ops (they changed "
            f"between the first two calls and would be frozen). {hint}"
        )


def _same_refs(a: Any, b: Any, rec_a: Recorder, rec_b: Recorder) -> bool:
    if isinstance(a, Constant) and isinstance(b, Constant):
        return a.unwrap == b.unwrap and _same_constant(
            rec_a.constants[a.index], rec_b.constants[b.index]
        )
    if type(a) is not type(b):
        return False
    if type(a) is tuple or type(a) is list:
        return len(a) == len(b) and all(
            _same_refs(x, y, rec_a, rec_b) for x, y in zip(a, b, strict=True)
        )
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same_refs(a[k], b[k], rec_a, rec_b) for k in a)
    if isinstance(a, float) and a != a:  # a NaN fill, dnp.where(mask, x, np.nan), is the same
        return b != b
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _is_data(value: Any) -> bool:
    return not isinstance(value, type) and hasattr(value, "shape") and hasattr(value, "dtype")


def _same_constant(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if isinstance(a, Tensor) and isinstance(b, Tensor) and a._level == b._level == 0:
            return False  # two different parameters: the plan would update the wrong one
        a, b = raw_data(a), raw_data(b)
    if _is_data(a) or _is_data(b):  # a device's arrays are copied to the host to compare
        a, b = to_numpy(a), to_numpy(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    try:
        return bool(a == b)
    except Exception:
        return False

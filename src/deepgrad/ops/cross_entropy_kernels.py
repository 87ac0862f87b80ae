"""Sparse softmax cross-entropy on integer labels: its rule, once, and the two executors
that run it.

For logits x (…, n) and labels ℓ of shape x.shape[:-1], per row:

    m = max_j x_j,   e_j = exp(x_j − m),   T = Σ_j e_j,
    loss = log T − (x_ℓ − m),   ∂loss/∂x_j = e_j / T − [j = ℓ].

The steps are ``exp_shifted`` (x − m, then NumPy's exp), ``row_sum`` and ``loss_of_row``
below; the maximum is exact in any order. Two executors run them:

- NumPy, on whole arrays (any shape, any size, any layout);
- kernels, for C-contiguous 2-D float logits of at most ``MAX_CLASSES`` classes,
  where they beat NumPy's six to eight calls at every batch size (measured in
  ``docs/fusion.md``): one loop per row for the maximum and the shift, NumPy's vectorised
  exp over the array, one loop per row for the sum and the division, and NumPy's
  vectorised log over the rows' sums. The loops are C (``native_loops.c``, built by the
  machine's compiler) where they can be built, else numba's, when numba is installed and
  ``DEEPGRAD_FUSED`` is not 0.

They perform the same float operations in the same dtype and the same order, NumPy's
exp and log included, so they give the same bits
(``tests/ops/test_cross_entropy_kernels.py`` compares them on random logits of 1 to 128
classes): a fit's losses do not depend on whether the kernels ran, which ``fit`` may
decide by the clock (``training/kernel_start.py``). A label outside [0, classes) is a
ValueError either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from deepgrad import kernels as fused
from deepgrad import native_loops
from deepgrad.backend import array_module

# Up to this many classes the kernels run, whatever the batch: eager mode calls them twice
# (loss, then gradient), and they still beat NumPy's form there; with more classes they
# lose to NumPy's (docs/fusion.md).
MAX_CLASSES = 128
# NumPy sums a row of up to this many classes as the kernel's first order does: in order,
# over a column-major copy (faster than its own row-by-row reduce of a short contiguous
# axis); a longer row, pairwise, as ``row_sum``'s second order does. So does it a batch of
# one row, whose copy is the contiguous row itself.
IN_ORDER_CLASSES = 64


# ---- the rule: the steps per element, for NumPy's arrays and numba's scalars alike -------


def exp_shifted(x, top, out=None):
    """e = exp(x − m), with m the row's maximum: every exponent is at most 0, so nothing
    overflows whatever the logits. With ``out``, computed in that one array. The kernels
    make the same two steps: the shift in their first loop, then this exp (NumPy's)."""
    if out is None:
        return np.exp(x - top)
    return np.exp(np.subtract(x, top, out=out), out=out)


def shifted_at_label(label_logit, top):
    """x_ℓ − m, the label's shifted logit."""
    return label_logit - top


def loss_of_row(total, shifted_label):
    """log T − (x_ℓ − m) = −log softmax(x)_ℓ. On the rows' arrays in both executors, so
    that both take NumPy's log."""
    return np.log(total) - shifted_label


def row_sum(values, i, classes, pairwise):
    """T = Σ_j values[i, j] for the kernel, in the order NumPy's form sums: in order, or,
    with ``pairwise`` (``sums_pairwise``), NumPy's pairwise summation of a contiguous row
    of at most 128 (its block): in order below eight, else eight running sums over the
    row's multiples of eight, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)),
    then the rest added in order."""
    total = values.dtype.type(0)
    if not pairwise or classes < 8:
        for j in range(classes):
            total += values[i, j]
        return total
    r0, r1, r2, r3 = values[i, 0], values[i, 1], values[i, 2], values[i, 3]
    r4, r5, r6, r7 = values[i, 4], values[i, 5], values[i, 6], values[i, 7]
    whole = classes - classes % 8
    for j in range(8, whole, 8):
        r0 += values[i, j]
        r1 += values[i, j + 1]
        r2 += values[i, j + 2]
        r3 += values[i, j + 3]
        r4 += values[i, j + 4]
        r5 += values[i, j + 5]
        r6 += values[i, j + 6]
        r7 += values[i, j + 7]
    total += ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(whole, classes):
        total += values[i, j]
    return total


def sums_pairwise(rows, classes):
    """Whether NumPy's form sums the rows of (rows, classes) logits pairwise: a row longer
    than ``IN_ORDER_CLASSES``, or a single row (see ``_reduce_classes``)."""
    return classes > IN_ORDER_CLASSES or rows == 1


# ---- the NumPy executor ---------------------------------------------------------------


def _reduce_classes(ufunc, x):
    """``ufunc.reduce`` over the last axis (the classes), keeping it.

    NumPy reduces a short contiguous last axis slowly, row by row: 22 µs for the max of a
    256 × 10 float32 array, against 3 µs for a column-major copy of it. Few classes
    (a classifier's logits) take the copy, which also makes the sum run over the classes
    in order (``row_sum`` follows both orders).
    """
    if x.ndim == 2 and x.shape[-1] <= IN_ORDER_CLASSES:
        x = array_module(x).asfortranarray(x)
    return ufunc.reduce(x, axis=-1, keepdims=True)


def _at_labels(values, labels):
    """``values[..., label]`` as (rows of values, row numbers, labels), for fancy indexing
    (take_along_axis costs 20 µs of index building on a 64 × 10 array; this, 2 µs).

    The labels are checked here, not only by the loss: a compiled step replays this
    function without the loss's Python checks, and a label of −1 would index from the end.
    """
    flat_labels = labels.reshape(-1)
    check_labels(flat_labels, values.shape[-1])
    return values.reshape(-1, values.shape[-1]), np.arange(flat_labels.size), flat_labels


def _float_like(logits):
    """A new C-ordered float array of the logits' shape (float64 for integer logits)."""
    return array_module(logits).empty(logits.shape, np.result_type(logits.dtype, 0.0))


def _losses_numpy(logits, labels):
    top = _reduce_classes(np.maximum, logits)
    total = _reduce_classes(np.add, exp_shifted(logits, top, out=_float_like(logits)))
    rows, row_numbers, flat_labels = _at_labels(logits, labels)
    label_logits = rows[row_numbers, flat_labels].reshape(labels.shape)
    return loss_of_row(total[..., 0], shifted_at_label(label_logits, top[..., 0]))


def _losses_and_gradient_numpy(logits, labels, gradient):
    """``_losses_numpy``, with ``_softmax_minus_one_hot_numpy`` written into ``gradient``
    (C-contiguous, the logits' shape and float dtype) on the way: the maximum, the
    exponentials and their sums made once for both, so the same bits as the two calls in
    five NumPy calls fewer."""
    top = _reduce_classes(np.maximum, logits)
    total = _reduce_classes(np.add, exp_shifted(logits, top, out=gradient))
    rows, row_numbers, flat_labels = _at_labels(logits, labels)
    label_logits = rows[row_numbers, flat_labels].reshape(labels.shape)
    result = loss_of_row(total[..., 0], shifted_at_label(label_logits, top[..., 0]))
    gradient /= total
    gradient.reshape(-1, gradient.shape[-1])[row_numbers, flat_labels] -= 1
    return result


def _softmax_minus_one_hot_numpy(logits, labels):
    # C order, whatever the logits' layout: the rows below must be a view of it, not a
    # copy, or the one-hot subtraction would be lost.
    probabilities = exp_shifted(logits, _reduce_classes(np.maximum, logits), _float_like(logits))
    probabilities /= _reduce_classes(np.add, probabilities)
    rows, row_numbers, flat_labels = _at_labels(probabilities, labels)
    rows[row_numbers, flat_labels] -= 1  # rows is a view: this writes into probabilities
    return probabilities


# ---- the numba executor -----------------------------------------------------------------


def _shift_rows(logits, labels, shifted, tops):
    """First pass over each row i of 2-D logits: m = max_j x_ij into tops[i], and
    x_ij − m into shifted[i, j]. Returns −1 at the first label out of range (no index is
    read unchecked), 0 otherwise."""
    rows, classes = logits.shape
    for i in range(rows):
        label = labels[i]
        if label < 0 or label >= classes:
            return -1
        top = logits[i, 0]
        for j in range(1, classes):
            # max, not NumPy's maximum (10% slower here): it may pass over a NaN that
            # np.maximum.reduce keeps, but exp(NaN − m) makes the row NaN all the same.
            top = max(top, logits[i, j])
        tops[i] = top
        for j in range(classes):
            shifted[i, j] = logits[i, j] - top
    return 0


def _finish_rows(logits, labels, exps, tops, totals):
    """Last pass over each row, on e = exp(x − m) (``exps``) and m (``tops``, from the
    first pass): T = Σ_j e_j into totals[i], x_ℓ − m over tops[i], and e_j / T − [j = ℓ]
    written over exps[i]."""
    rows, classes = logits.shape
    pairwise = sums_pairwise(rows, classes)
    for i in range(rows):
        total = row_sum(exps, i, classes, pairwise)
        totals[i] = total
        label = labels[i]
        tops[i] = shifted_at_label(logits[i, label], tops[i])
        for j in range(classes):
            exps[i, j] /= total
        exps[i, label] -= 1
    return 0


@functools.cache
def _row_kernels() -> tuple[Callable, Callable]:
    """The two passes compiled, once numba may call the rule's functions from them
    (``register_jitable``): made on first use, since numba is imported only then."""
    from numba.extending import register_jitable

    register_jitable(shifted_at_label)
    register_jitable(row_sum)
    register_jitable(sums_pairwise)
    return fused.numba_kernel(_shift_rows), fused.numba_kernel(_finish_rows)


def _run_kernels(logits: np.ndarray, labels: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """The losses, with softmax − one-hot written into ``gradient``: a numba pass per row
    for the maximum and the shift, NumPy's vectorised exp over the whole array in between
    (numba's are scalar calls, 4 ns each against NumPy's 0.5: docs/fusion.md), a numba
    pass for the sums and the division, and the losses from the sums by NumPy's log."""
    shifted_labels = np.empty(logits.shape[0], logits.dtype)  # the maxima, then x_ℓ − m
    totals = np.empty_like(shifted_labels)
    loops = native_loops.module()
    if loops is not None:  # the same two passes in C (native_loops.c), on int64 labels
        wide_labels = np.ascontiguousarray(labels, dtype=np.int64)
        if loops.cross_entropy_shift(logits, wide_labels, gradient, shifted_labels) != 0:
            _refuse(labels, logits.shape[1])
        np.exp(gradient, out=gradient)
        pairwise = sums_pairwise(*logits.shape)
        loops.cross_entropy_finish(logits, wide_labels, gradient, shifted_labels, totals, pairwise)
        return loss_of_row(totals, shifted_labels)
    shift, finish = _row_kernels()
    if shift(logits, labels, gradient, shifted_labels) != 0:
        _refuse(labels, logits.shape[1])
    np.exp(gradient, out=gradient)
    finish(logits, labels, gradient, shifted_labels, totals)
    return loss_of_row(totals, shifted_labels)


def fits(logits: np.ndarray, labels: np.ndarray) -> bool:
    """Whether the kernel runs on these arrays (see the module docstring).

    >>> runs = fused.enabled() or native_loops.module() is not None
    >>> fits(np.zeros((4, 3), np.float32), np.zeros(4, np.int64)) == runs
    True
    >>> fits(np.zeros((4, 3), np.float32), np.zeros(4))  # float labels: NumPy's form
    False
    """
    return (
        type(logits) is np.ndarray
        and logits.ndim == 2
        and 0 < logits.shape[1] <= MAX_CLASSES
        and logits.dtype in (np.float32, np.float64)
        and logits.flags.c_contiguous
        and type(labels) is np.ndarray
        and labels.shape == logits.shape[:1]
        and labels.dtype.kind in "iu"
        and (fused.enabled() or native_loops.module() is not None)
    )


# ---- the two entry points ---------------------------------------------------------------


def losses(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """−log softmax(logits)[label] along the last axis, for integer ``labels`` of shape
    ``logits.shape[:-1]``.

    >>> losses(np.zeros((1, 2)), np.array([1]))
    array([0.69314718])
    """
    if not fits(logits, labels):
        return _losses_numpy(logits, labels)
    return _run_kernels(logits, labels, np.empty_like(logits))


def softmax_minus_one_hot(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """softmax(logits) − one_hot(labels) along the last axis: the gradient of ``losses``.

    >>> softmax_minus_one_hot(np.zeros((1, 2)), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    if not fits(logits, labels):
        return _softmax_minus_one_hot_numpy(logits, labels)
    out = np.empty_like(logits)
    _run_kernels(logits, labels, out)
    return out


def losses_and_gradient(
    logits: np.ndarray, labels: np.ndarray, gradient: np.ndarray
) -> np.ndarray | None:
    """``losses(logits, labels)``, with ``softmax_minus_one_hot(logits, labels)`` written
    into ``gradient`` on the way, the same bits as the two calls: one pass of the kernel
    for both where it runs, else NumPy's calls with the maximum, the exponentials and
    their sums made once. None, with nothing written, where ``gradient`` is not a
    C-contiguous NumPy array of the logits' shape and float dtype (the caller then makes
    the two calls).

    >>> gradient = np.empty((1, 2))
    >>> losses_and_gradient(np.zeros((1, 2)), np.array([1]), gradient), gradient
    (array([0.69314718]), array([[ 0.5, -0.5]]))
    """
    if not (
        type(logits) is np.ndarray
        and type(gradient) is np.ndarray
        and gradient.shape == logits.shape
        and gradient.dtype is logits.dtype
        and gradient.dtype.kind == "f"
        and gradient.flags.c_contiguous
    ):
        return None
    if fits(logits, labels):
        return _run_kernels(logits, labels, gradient)
    return _losses_and_gradient_numpy(logits, labels, gradient)


def check_labels(labels: np.ndarray, classes: int) -> None:
    """Raise unless every label is in [0, classes).

    >>> check_labels(np.array([0, 2]), 3)
    >>> check_labels(np.array([0, 3]), 3)
    Traceback (most recent call last):
    ...
    ValueError: sparse_softmax_cross_entropy: labels must be in [0, 3), got values from 0 to 3
    """
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        _refuse(labels, classes)


def _refuse(labels: np.ndarray, classes: int) -> None:
    raise ValueError(
        f"sparse_softmax_cross_entropy: labels must be in [0, {classes}), got values from "
        f"{labels.min()} to {labels.max()}"
    )

"""Softmax cross-entropy on integer labels, one row at a time, as numba kernels.

The NumPy forms in ``activations_math.py`` make six to eight passes over the logits
(max, subtract, exp, sum, log, gather; the backward adds a divide and a scatter), each a
separate call: 12 µs apiece on a 64 × 10 batch of logits, 65 µs and 30 µs on 256 × 10,
most of it the calls' own cost. Here each row's max, sum of exponentials, loss (and, for
the backward, its softmax minus the one-hot) are computed in one loop over the row, in
the logits' dtype.

The kernels' exponentials are scalar calls (numba vectorises exp only with Intel's SVML),
about 4 ns each, where NumPy's vectorised exp takes under 1 ns: so they pay only while
the calls' fixed cost dominates. Measured, µs per call (forward, backward), kernel against
NumPy: 64 × 10: 4.7 / 5.4 against 12.1 / 12.1; 256 × 10: 13.1 / 12.6 against 15.8 / 19.7;
512 × 1000: 1,965 / 2,018 against 507 / 603. Hence ``MAX_SIZE``.

Used when numba is installed and ``DEEPGRAD_FUSED`` is not 0 (as the fused optimizer
updates), for C-contiguous 2-D float logits of at most ``MAX_SIZE`` elements and integer
labels; anything else takes the NumPy form. A label outside [0, classes) is a ValueError,
as NumPy's indexing would raise (the kernels check each label: no index is read
unchecked).
"""

from __future__ import annotations

import numpy as np

from deepgrad import kernels as fused

MAX_SIZE = 1 << 12  # logits elements; above it NumPy's vectorised exp wins (see above)


def _rows(logits, labels, losses, gradient, with_gradient):
    """Per row i: losses[i] = log Σ_j exp(x_ij − max_i) − (x_i,label − max_i) and, with
    ``with_gradient``, gradient[i] = softmax(x_i) − one_hot(label_i). Returns −1 at the
    first label out of range, 0 otherwise."""
    rows, classes = logits.shape
    for i in range(rows):
        label = labels[i]
        if label < 0 or label >= classes:
            return -1
        top = logits[i, 0]
        for j in range(1, classes):
            top = max(top, logits[i, j])
        total = logits.dtype.type(0)
        for j in range(classes):
            e = np.exp(logits[i, j] - top)
            total += e
            if with_gradient:
                gradient[i, j] = e
        losses[i] = np.log(total) - (logits[i, label] - top)
        if with_gradient:
            for j in range(classes):
                gradient[i, j] /= total
            gradient[i, label] -= 1
    return 0


_rows_kernel = fused.compile_kernel(_rows)


def fits(logits: np.ndarray, labels: np.ndarray) -> bool:
    """Whether the kernels take these arrays (see the module docstring).

    >>> fits(np.zeros((4, 3), np.float32), np.zeros(4, np.int64)) == fused.enabled()
    True
    >>> fits(np.zeros((4, 3), np.float32), np.zeros(4))  # float labels: NumPy's form
    False
    """
    return (
        fused.enabled()
        and type(logits) is np.ndarray
        and logits.ndim == 2
        and logits.size <= MAX_SIZE
        and logits.shape[1] > 0
        and logits.dtype in (np.float32, np.float64)
        and logits.flags.c_contiguous
        and type(labels) is np.ndarray
        and labels.shape == logits.shape[:1]
        and labels.dtype.kind in "iu"
    )


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


def losses(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """−log softmax(logits)[label] per row (for arrays that ``fits`` accepts).

    >>> losses(np.zeros((1, 2)), np.array([1]))
    array([0.69314718])
    """
    out = np.empty(logits.shape[0], logits.dtype)
    no_gradient = np.empty((0, 0), logits.dtype)
    if _rows_kernel(logits, labels, out, no_gradient, False) != 0:
        _refuse(labels, logits.shape[1])
    return out


def softmax_minus_one_hot(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """softmax(logits) − one_hot(labels) per row (for arrays that ``fits`` accepts).

    >>> softmax_minus_one_hot(np.zeros((1, 2)), np.array([1]))
    array([[ 0.5, -0.5]])
    """
    out = np.empty_like(logits)
    losses = np.empty(logits.shape[0], logits.dtype)
    if _rows_kernel(logits, labels, losses, out, True) != 0:
        _refuse(labels, logits.shape[1])
    return out

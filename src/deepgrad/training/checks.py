"""The checks ``fit``, ``evaluate`` and ``predict`` make on array inputs before any work,
so a bad input is named in the user's terms rather than surfacing as a NumPy internal or
training silently to NaN weights.

- NaN or Inf in the training inputs or targets: raise, naming the row and the column (a
  deliberate choice over a warning or ``TerminateOnNaN``: a non-finite input never trains
  into anything useful, and the row/column tells where to look). One pass over the arrays,
  once when ``fit`` starts.
- Inputs or labels that are strings: raise, saying how to map them to integers.
- A feature-count mismatch with a built model: "the model expects 4 features and got 64".
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_finite(array: np.ndarray | None, name: str, what: str) -> None:
    """Raise if a float array holds NaN or Inf, naming the first bad row and column.

    >>> check_finite(np.array([[0.0, 1.0], [2.0, np.nan]]), "x", "fit")
    Traceback (most recent call last):
    ...
    ValueError: fit: x holds NaN at row 1, column 1 (1 non-finite value in all); ...
    """
    if array is None or array.dtype.kind not in "fc":
        return
    # One pass, no boolean copy: a sum is finite when every term is (NaN and Inf
    # propagate); only a sum that overflows or is not finite needs the elementwise look.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(array, dtype=np.complex128 if array.dtype.kind == "c" else None)):
            return
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    where = np.unravel_index(int(np.argmax(bad)), array.shape)
    value = array[where]
    kind = "NaN" if np.isnan(value) else str(value)
    place = f"row {where[0]}" + (
        f", column {where[1] if len(where) == 2 else tuple(int(i) for i in where[1:])}"
        if len(where) > 1
        else ""
    )
    count = int(bad.sum())
    raise ValueError(
        f"{what}: {name} holds {kind} at {place} ({count} non-finite value"
        f"{'s' if count > 1 else ''} in all); remove or impute those rows first (training "
        "on them gives NaN weights)"
    )


def check_numbers(array: np.ndarray | None, name: str, what: str) -> None:
    """Raise if ``array`` (the inputs ``x`` or the labels ``y``) holds strings: a model and
    a loss need numbers.

    >>> check_numbers(np.array(["cat", "dog"]), "y", "fit")
    Traceback (most recent call last):
    ...
    ValueError: fit: y holds strings (e.g. 'cat'); ...
    """
    if array is None or array.dtype.kind not in "USO":
        return
    strings = (v for v in array.flat if isinstance(v, str | bytes | np.str_ | np.bytes_))
    example = next(strings, None)
    if example is None:  # an object array of numbers (or of arrays: a later check's)
        return
    if name == "y":
        advice = (
            "a loss needs numbers: map the labels to integers 0..C-1 first, e.g. "
            "classes, y = np.unique(y, return_inverse=True)"
        )
    else:
        advice = (
            "a model needs numbers: encode each column first (categories as integers "
            "0..C-1 with np.unique(column, return_inverse=True), then one-hot, or an "
            "Embedding layer)"
        )
    raise ValueError(f"{what}: {name} holds strings (e.g. {str(example)!r}); {advice}")


def check_features(model: Any, x: Any, what: str) -> None:
    """Raise if ``x``'s per-sample shape differs from what the built model expects.

    The expected shape is the model's ``input_shape`` (set when it was built); the message
    names the model's first layer, the expected and the given shapes.
    """
    expected = getattr(model, "input_shape", None)
    if not getattr(model, "built", False) or not isinstance(expected, tuple):
        return
    if (
        not isinstance(x, np.ndarray)
        or x.dtype.names is not None
        or not all(d is None or isinstance(d, int | np.integer) for d in expected)
    ):
        return
    got = x.shape[1:]
    want = tuple(expected[1:])
    if len(got) == len(want) and all(w is None or w == g for w, g in zip(want, got, strict=True)):
        return
    layers = getattr(model, "layers", None) or [model]
    layer = getattr(layers[0], "name", type(layers[0]).__name__)
    if len(want) == 1 and len(got) == 1:
        expectation = f"{want[0]} features and got {got[0]}"
    else:
        expectation = f"samples of shape {want} and got {got}"
    raise ValueError(
        f"{what}: the model expects {expectation} (its first layer {layer!r} was built for "
        f"inputs of shape {expected}; x has shape {x.shape})"
    )

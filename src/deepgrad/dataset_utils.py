"""Keras' data helpers in ``keras.utils``: ``to_categorical``, ``one_hot`` (Keras'
``keras.ops.one_hot``), ``split_dataset`` (for arrays and tuples or lists of arrays),
``pack_x_y_sample_weight`` / ``unpack_x_y_sample_weight`` and ``pad_sequences``. They
need only NumPy, so that ``deepgrad.ops`` can take ``one_hot`` from here early in
deepgrad's import."""

from __future__ import annotations

import random as python_random
from typing import Any

import numpy as np

from deepgrad.tensor import raw_data, read_value

__all__ = [
    "one_hot",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "split_dataset",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def one_hot(
    x: Any, num_classes: int | np.integer, axis: int = -1, dtype: Any = "float32"
) -> np.ndarray:
    """Integer labels as one-hot rows along a new ``axis`` (Keras' ``ops.one_hot``): a
    label outside 0..num_classes-1 gives a row of zeros, as in Keras.

    >>> one_hot([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    labels = np.asarray(read_value(x, "one_hot's labels"))
    labels = _integer_labels(
        labels,
        "iub",
        f"one_hot: expected integer labels, got dtype {labels.dtype} (shape {labels.shape})",
    )
    count = _class_count(num_classes, "one_hot")
    if count < 1:
        raise ValueError(f"one_hot: num_classes must be positive, got {num_classes}")
    new_axis = _one_hot_axis(axis, labels.ndim + 1)
    encoded = (labels[..., None] == np.arange(count)).astype(dtype)
    return np.moveaxis(encoded, -1, new_axis)


def _class_count(num_classes: Any, function: str) -> int:
    """``num_classes`` as an int: a float (2.5, or 2.0) is refused, as Keras refuses it,
    rather than cut to a whole number of classes."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(
            f"{function}: num_classes must be an integer, got {num_classes!r} "
            f"(of type {type(num_classes).__name__})"
        )
    return int(num_classes)


def _one_hot_axis(axis: Any, ndim: int) -> int:
    """``one_hot``'s ``axis`` checked against the rank ``ndim`` of the one-hot result."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"one_hot: axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"one_hot: axis={axis} is out of range for the one-hot result of rank {ndim} "
            f"(labels of rank {ndim - 1}); expected -{ndim} to {ndim - 1}"
        )
    return int(axis)


def to_categorical(x: Any, num_classes: int | np.integer | None = None) -> np.ndarray:
    """Integer class labels as a one-hot float matrix (Keras' ``utils.to_categorical``):
    ``num_classes`` defaults to the largest label + 1; a trailing axis of size 1 is
    dropped first. Booleans are classes 0 and 1, as in Keras.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    labels = np.asarray(read_value(x, "to_categorical's labels"))
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    labels = _integer_labels(
        labels,
        "iub",
        f"to_categorical: expected integer class labels, got dtype {labels.dtype} "
        "(map string labels to integers first: np.unique(y, return_inverse=True))",
    )
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, got {labels.min()}")
    if num_classes is None:
        count = int(labels.max()) + 1
    else:
        count = _class_count(num_classes, "to_categorical")
    if labels.size and labels.max() >= count:
        raise ValueError(f"to_categorical: label {labels.max()} does not fit num_classes={count}")
    return one_hot(labels, count, dtype="float64")


def _integer_labels(labels: np.ndarray, kinds: str, refusal: str) -> np.ndarray:
    """``labels`` as int64 when their dtype is of ``kinds`` (booleans as 0 and 1, as
    Keras reads them) or when they are floats holding whole numbers (1.0, 2.0), else a
    TypeError saying ``refusal`` (and naming a float label that is not a whole number)."""
    if labels.dtype.kind in kinds:
        return labels.astype(np.int64) if labels.dtype.kind == "b" else labels
    if labels.dtype.kind != "f":
        raise TypeError(refusal)
    # inf (or 1e30) would be cast to int64's smallest value rather than refused
    whole = np.isfinite(labels) & (labels == np.round(labels)) & (np.abs(labels) < 2.0**62)
    if not np.all(whole):
        raise TypeError(f"{refusal}; label {labels[~whole].flat[0]} is not a whole number")
    return labels.astype(np.int64)


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch ``fit`` reads, from its parts (Keras' ``utils.pack_x_y_sample_weight``):
    ``x`` alone (``(x,)`` when ``x`` is a tuple or list, so that it is not read as
    ``(x, y)``), ``(x, y)`` or ``(x, y, sample_weight)``.

    >>> pack_x_y_sample_weight([1, 2], [3, 4])
    ([1, 2], [3, 4])
    >>> pack_x_y_sample_weight((1, 2))
    ((1, 2),)
    """
    if y is None:
        if sample_weight is not None:
            raise ValueError(
                "pack_x_y_sample_weight: sample_weight was given without y (Keras drops it "
                "silently); pass y too"
            )
        return (x,) if isinstance(x, tuple | list) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from a batch ``x``, ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)``, with ``None`` for what it lacks (Keras'
    ``utils.unpack_x_y_sample_weight``, for a ``train_step`` of your own).

    >>> unpack_x_y_sample_weight(([1.0], [2.0]))
    ([1.0], [2.0], None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) in (1, 2, 3):
        return (*data, *(None,) * (3 - len(data)))  # type: ignore[return-value]
    raise ValueError(
        "unpack_x_y_sample_weight: expected data as x, (x,), (x, y) or (x, y, sample_weight), "
        f"got a {type(data).__name__} of {len(data)} items"
    )


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Any, Any]:
    """Split an array, or a tuple or list of arrays of the same length, into a left and a
    right part along the first axis (Keras' ``utils.split_dataset``).

    ``left_size`` / ``right_size``: a float in (0, 1) is a fraction of the samples
    (rounded), an int a number of samples; the one not given is the rest. With
    ``shuffle``, the samples are put in the order Keras puts them for the same ``seed``
    (Python's ``random.Random(seed).shuffle``; without a seed, one drawn from Python's
    ``random``, as Keras does). The left part is the first samples, the right one the last.

    Keras returns ``tf.data.Dataset`` objects; deepgrad returns the parts in the form
    given (an array, or a tuple or list of arrays), which ``fit`` takes as they are.

    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> (x_train, y_train), (x_test, y_test) = split_dataset((x, y), left_size=0.8)
    >>> y_train, y_test
    (array([0, 1, 2, 3]), array([4]))
    """
    arrays, rebuild = _as_arrays(dataset)
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        if seed is None:
            seed = python_random.randint(0, int(1e6))
        positions = list(range(total))
        python_random.Random(seed).shuffle(positions)  # Keras: random.seed; random.shuffle
        order = np.array(positions)
    left_order, right_order = order[:left], order[total - right :]
    return rebuild([a[left_order] for a in arrays]), rebuild([a[right_order] for a in arrays])


def _as_arrays(dataset: Any) -> tuple[list[np.ndarray], Any]:
    """The dataset's arrays, and how to give split ones back in the dataset's form."""
    if isinstance(dataset, tuple | list):
        if not dataset:
            raise ValueError("split_dataset: the dataset is an empty tuple or list")
        arrays = [_as_array(item, f"item {i}") for i, item in enumerate(dataset)]
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            raise ValueError(
                f"split_dataset: the arrays must have the same length, got lengths {lengths} "
                f"(shapes {[a.shape for a in arrays]})"
            )
        kind = type(dataset)
        return arrays, lambda parts: kind(parts)
    return [_as_array(dataset, "the dataset")], lambda parts: parts[0]


def _as_array(item: Any, what: str) -> np.ndarray:
    if isinstance(item, dict) or not hasattr(item, "__len__") or isinstance(item, str):
        raise TypeError(
            f"split_dataset: {what} is of type {type(item).__name__}; expected an array, or a "
            "tuple or list of arrays (deepgrad has no tf.data or torch Dataset to split: split "
            "their arrays)"
        )
    array = np.asarray(raw_data(item))
    if array.ndim == 0:
        raise ValueError(f"split_dataset: {what} is a scalar; expected an array of samples")
    return array


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    """Keras' ``_rescale_dataset_split_sizes``: the two parts' numbers of samples."""
    if left is None and right is None:
        raise ValueError("split_dataset: give left_size, right_size or both (both were None)")
    counts = {}
    for side, size in (("left", left), ("right", right)):
        if size is None:
            continue
        if type(size) not in (int, float):
            raise TypeError(
                f"split_dataset: {side}_size must be an int, a float or None, got {size!r} "
                f"(of type {type(size).__name__})"
            )
        if (isinstance(size, int) and not 0 < size < total) or (
            isinstance(size, float) and not 0 < size < 1
        ):
            raise ValueError(
                f"split_dataset: {side}_size must be a positive int smaller than the "
                f"{total} samples or a float in (0, 1), got {size!r}"
            )
        counts[side] = round(size * total) if isinstance(size, float) else size
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} exceeds 1")
    left_count = counts.get("left", total - counts.get("right", 0))
    right_count = counts.get("right", total - left_count)
    if left_count + right_count > total:
        raise ValueError(
            f"split_dataset: left_size + right_size = {left_count + right_count} samples "
            f"exceeds the {total} samples"
        )
    for side, count in (("left", left_count), ("right", right_count)):
        if count == 0:
            raise ValueError(
                f"split_dataset: the {side} part would be empty ({total} samples, "
                f"left_size={left!r}, right_size={right!r})"
            )
    return left_count, right_count


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Sequences of different lengths as one ``(len(sequences), maxlen, ...)`` array, as
    Keras' ``utils.pad_sequences``: ``maxlen`` defaults to the longest length; a shorter
    sequence is filled with ``value`` before it (``padding="pre"``) or after it
    (``"post"``), a longer one loses its first (``truncating="pre"``) or last (``"post"``)
    steps. Each step may be an array (all of one shape); ``dtype=object`` (or a string
    dtype) keeps strings. A number an integer ``dtype`` cannot hold (NaN, 2**40 in int32)
    is refused, where Keras wraps it in a NumPy array.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
    array([[1, 0],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be iterable, got {type(sequences)}")
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in ("pre", "post"):
            raise ValueError(f'pad_sequences: {name} type "{side}" not understood')
    lengths, step_shape = _lengths_and_step_shape(sequences)
    maxlen = _pad_length(maxlen, lengths)
    keeps_strings = np.dtype(dtype).kind in "OSU"
    if isinstance(value, str) and not keeps_strings:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}\nYou should set `dtype=object` for variable length strings."
        )
    # An unsized string dtype ("str") would be sized by `value` alone and cut longer
    # strings short: fill as objects and let NumPy size the strings at the end.
    fill_dtype = object if keeps_strings and np.dtype(dtype).itemsize == 0 else dtype
    _check_fits_integers(value, dtype, "`value`")
    padded = np.full((len(sequences), maxlen, *step_shape), value, dtype=fill_dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = (
            sequence[max(len(sequence) - maxlen, 0) :] if truncating == "pre" else sequence[:maxlen]
        )
        _check_fits_integers(kept, dtype, f"sequence at position {index}")
        try:
            kept = np.asarray(kept, dtype=fill_dtype)
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"pad_sequences: sequence at position {index} does not convert to "
                f"dtype {dtype}: {error}"
            ) from error
        if kept.shape[1:] != step_shape:
            raise ValueError(
                f"pad_sequences: shape of sample {kept.shape[1:]} of sequence at position "
                f"{index} is different from expected shape {step_shape}"
            )
        if padding == "post":
            padded[index, : len(kept)] = kept
        else:
            padded[index, maxlen - len(kept) :] = kept
    return padded if fill_dtype is dtype else padded.astype(dtype)


def _check_fits_integers(values: Any, dtype: Any, what: str) -> None:
    """Refuse numbers an integer ``dtype`` cannot hold (NaN, inf, out of its range): NumPy
    casts an array of them to wrapped values (2**40 to 0 in int32), which Keras keeps,
    while it refuses the same numbers in a list."""
    target = np.dtype(dtype)
    if target.kind not in "iu" or isinstance(values, str):
        return
    numbers = np.asarray(values)
    if numbers.dtype.kind not in "iuf" or not numbers.size:
        return
    info = np.iinfo(target)
    fits = np.isfinite(numbers) & (numbers >= info.min) & (numbers <= info.max)
    if not np.all(fits):
        raise OverflowError(
            f"pad_sequences: {what} holds {numbers[~fits].flat[0]}, which dtype {target} "
            f"cannot hold (it takes {info.min} to {info.max}); pass a `dtype` that holds "
            "it (a wider or a float one)"
        )


def _lengths_and_step_shape(sequences: Any) -> tuple[list[int], tuple[int, ...]]:
    """Each sequence's length, and the shape of a step in the first non-empty one."""
    lengths: list[int] = []
    step_shape: tuple[int, ...] | None = None
    for sequence in sequences:
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                "pad_sequences: `sequences` must be a list of iterables. "
                f"Found non-iterable: {sequence}"
            ) from error
        if step_shape is None and len(sequence):
            step_shape = np.asarray(sequence).shape[1:]
    return lengths, step_shape or ()


def _pad_length(maxlen: Any, lengths: list[int]) -> int:
    """``maxlen`` checked, or the longest length when it is None."""
    if maxlen is None:
        if not lengths:
            raise ValueError("pad_sequences: no sequences and no `maxlen` to pad them to")
        return max(lengths)
    if isinstance(maxlen, bool) or not isinstance(maxlen, int | np.integer):
        raise TypeError(f"pad_sequences: `maxlen` must be an integer or None, got {maxlen!r}")
    if maxlen < 0:
        raise ValueError(f"pad_sequences: `maxlen` must be 0 or more, got {maxlen}")
    return int(maxlen)

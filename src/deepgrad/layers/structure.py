"""Nested inputs and outputs: lists and dicts of arrays, as models with several inputs or
outputs take and return them.

A *structure* is a dict, or a list or tuple of arrays, Tensors, symbolic tensors or
structures. A list of numbers (or of lists of numbers) is not a structure: it is array
data, as it always was (``model([[1.0, 2.0]])``).

The batch loops of ``fit`` slice and shuffle one array per argument. So that they need
not know about structures, several arrays with the same number of samples travel as one
NumPy *record* array (``pack``): one field per array, each keeping its own dtype and
trailing shape; slicing and shuffling it slices and shuffles every field together.
``unpack`` turns it back into the list or dict at the model's door.

>>> import numpy as np
>>> packed = pack({"a": np.zeros((4, 3)), "b": np.ones((4, 2), np.float32)})
>>> len(packed), sorted(unpack(packed[:2]))
(4, ['a', 'b'])
>>> unpack(pack([np.zeros((4, 3)), np.ones(4)])[1:])[1].shape
(3,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.tensor import Tensor, raw_data

_LIST_FIELD = "[{}]"  # the field name of a list's item i; a dict's fields are its keys


def is_structure(value: Any) -> bool:
    """A dict, or a list/tuple whose items are all arrays, Tensors or structures.

    >>> is_structure([np.zeros(2), np.ones(2)]), is_structure([[1.0, 2.0]])
    (True, False)
    """
    if isinstance(value, dict):
        return True
    if isinstance(value, list | tuple) and value:
        return all(_is_leaf(item) or is_structure(item) for item in value)
    return False


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray | Tensor) or is_pandas(value)


def _is_leaf(value: Any) -> bool:
    return _is_array(value) or hasattr(value, "_keras_history")


def is_pandas(value: Any) -> bool:
    """A pandas DataFrame or Series: one input's array, as Keras 3 takes it in a list or
    dict of inputs (pandas is never imported here)."""
    return type(value).__module__.startswith("pandas") and hasattr(value, "to_numpy")


def map_structure(fn: Any, value: Any) -> Any:
    """``fn`` applied to each leaf of a structure (or to ``value`` itself if it is not one)."""
    if isinstance(value, dict):
        return {key: map_structure(fn, item) for key, item in value.items()}
    if is_structure(value):
        return type(value)(map_structure(fn, item) for item in value)
    return fn(value)


def flatten(value: Any) -> list:
    """The leaves of a structure in order (dicts in insertion order), or ``[value]``."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in flatten(item)]
    if is_structure(value):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def shape_of(value: Any) -> Any:
    """The shape of an array or Tensor with the batch axis as None, or a structure of them."""
    return map_structure(lambda leaf: (None, *np.shape(raw_data(leaf))[1:]), value)


def common_batch_size(shapes: list[tuple]) -> int | None:
    """The one batch size (first axis) the shapes give, those of unknown batch size (None)
    aside; None when none gives one or they differ. A layer's outputs get it as theirs,
    as Keras' merge layers give it to theirs.

    >>> common_batch_size([(5, 3), (None, 2)]), common_batch_size([(5, 3), (4, 3)])
    (5, None)
    """
    sizes = {shape[0] for shape in shapes if shape} - {None}
    return sizes.pop() if len(sizes) == 1 else None


def zeros_for(shape: Any, dtype: Any, rows: int = 1) -> Any:
    """A zero batch of ``rows`` samples for a shape (batch axis first), or a list/dict of
    shapes.

    >>> zeros_for([(None, 3), (None, 2)], np.float32)[1].shape
    (1, 2)
    """
    if isinstance(shape, dict):
        return {key: zeros_for(item, dtype, rows) for key, item in shape.items()}
    if isinstance(shape, list):
        return [zeros_for(item, dtype, rows) for item in shape]
    return np.zeros((rows, *shape[1:]), dtype)


def is_packed(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.names is not None


def pack(value: Any) -> Any:
    """A list or dict of arrays with one number of samples → one record array; anything
    else is returned as it is."""
    if isinstance(value, dict):
        if not all(isinstance(item, list) or _is_array(item) for item in value.values()):
            return value
    elif not (isinstance(value, list | tuple) and value and all(map(_is_array, value))):
        return value  # a list of (x, y) batches, or plain array data
    items = value.items() if isinstance(value, dict) else enumerate(value)
    arrays = {
        (str(key) if isinstance(value, dict) else _LIST_FIELD.format(key)): np.asarray(
            raw_data(item)
        )
        for key, item in items
    }
    for key, array in arrays.items():
        if not isinstance(array, np.ndarray) or array.ndim == 0 or array.dtype.names:
            raise TypeError(
                f"inputs {key!r}: each item of a list or dict of inputs must be an array with "
                f"a batch axis, got {type(array).__name__} of shape {np.shape(array)}"
            )
    sizes = {key: len(array) for key, array in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(
            f"every input and target must have the same number of samples, got {sizes}"
        )
    n = next(iter(sizes.values()))
    record = np.empty(n, dtype=[(key, a.dtype, a.shape[1:]) for key, a in arrays.items()])
    for key, array in arrays.items():
        record[key] = array
    return record


def unpack(value: Any) -> Any:
    """The list or dict that ``pack`` made a record array of (contiguous arrays)."""
    if not is_packed(value):
        return value
    names = value.dtype.names
    arrays = [np.ascontiguousarray(value[name]) for name in names]
    if all(name == _LIST_FIELD.format(i) for i, name in enumerate(names)):
        return arrays
    return dict(zip(names, arrays, strict=True))

"""keras.utils.pad_sequences: Keras 3.15's arrays (fixed below, and Keras run live when
it is installed) and its errors, named after the function."""

import os

import numpy as np
import pytest

from deepgrad import utils

SEQUENCES = [[1], [2, 3], [4, 5, 6]]

# (sequences, keyword arguments, Keras 3.15's result as a list, its dtype)
CASES = [
    (SEQUENCES, {}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]], "int32"),
    (SEQUENCES, {"maxlen": 2}, [[0, 1], [2, 3], [5, 6]], "int32"),
    (SEQUENCES, {"maxlen": 2, "truncating": "post"}, [[0, 1], [2, 3], [4, 5]], "int32"),
    (
        SEQUENCES,
        {"maxlen": 4, "padding": "post", "value": -1},
        [[1, -1, -1, -1], [2, 3, -1, -1], [4, 5, 6, -1]],
        "int32",
    ),
    ([[], [2, 3], []], {}, [[0, 0], [2, 3], [0, 0]], "int32"),
    (
        [[], [2, 3], []],
        {"maxlen": 3, "padding": "post"},
        [[0, 0, 0], [2, 3, 0], [0, 0, 0]],
        "int32",
    ),
    (
        [[1.5, 2.25], [3.5]],
        {"dtype": "float32", "value": 0.5},
        [[1.5, 2.25], [0.5, 3.5]],
        "float32",
    ),
    ([[1.5, 2.25], [3.5]], {}, [[1, 2], [0, 3]], "int32"),  # cast to int32, as Keras does
    ([["a", "bb"], ["ccc"]], {"dtype": object, "value": ""}, [["a", "bb"], ["", "ccc"]], "object"),
    (
        [["a", "bb"], ["ccc"]],
        {"dtype": object, "value": "pad", "maxlen": 3, "padding": "post"},
        [["a", "bb", "pad"], ["ccc", "pad", "pad"]],
        "object",
    ),
    (
        [np.ones((2, 3)), np.zeros((1, 3))],
        {"dtype": "float64"},
        [[[1.0] * 3, [1.0] * 3], [[0.0] * 3, [0.0] * 3]],
        "float64",
    ),
    ([[1, 2, 3], [4]], {"maxlen": 0, "truncating": "post"}, [[], []], "int32"),
    (
        [[1, 2, 3], [4]],
        {"dtype": "int64", "maxlen": 5, "value": 7},
        [[7, 7, 1, 2, 3], [7, 7, 7, 7, 4]],
        "int64",
    ),
    ((np.array([1, 2, 3]), (4,)), {"maxlen": 2}, [[2, 3], [0, 4]], "int32"),
]


@pytest.mark.parametrize(("sequences", "kwargs", "expected", "dtype"), CASES)
def test_pad_sequences_gives_keras_arrays(sequences, kwargs, expected, dtype):
    padded = utils.pad_sequences(sequences, **kwargs)
    assert padded.dtype == np.dtype(dtype)
    assert padded.shape == np.array(expected, dtype=dtype).shape
    assert padded.tolist() == expected


@pytest.mark.parametrize(("sequences", "kwargs", "expected", "dtype"), CASES)
def test_pad_sequences_matches_keras_run_here(sequences, kwargs, expected, dtype):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    reference = keras.utils.pad_sequences(sequences, **kwargs)
    padded = utils.pad_sequences(sequences, **kwargs)
    assert padded.dtype == reference.dtype and padded.shape == reference.shape
    assert padded.tolist() == reference.tolist()


def test_pad_sequences_keeps_long_strings_in_an_unsized_string_dtype():
    # Keras sizes a dtype=str array by `value` alone and cuts "bbb" to "b"
    padded = utils.pad_sequences([["a"], ["bbb", "cc"]], dtype=str, value="")
    assert padded.tolist() == [["", "a"], ["bbb", "cc"]]


def test_pad_sequences_maxlen_zero_truncating_pre_gives_empty_rows():
    # Keras' s[-0:] keeps the whole sequence and fails to broadcast it into 0 steps
    assert utils.pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)


@pytest.mark.parametrize(
    ("sequences", "kwargs", "error", "message"),
    [
        (5, {}, ValueError, "`sequences` must be iterable"),
        ([1, 2], {}, ValueError, "must be a list of iterables. Found non-iterable: 1"),
        ([[1]], {"padding": "mid"}, ValueError, 'padding type "mid" not understood'),
        ([[1]], {"truncating": "x"}, ValueError, 'truncating type "x" not understood'),
        ([[]], {"padding": "x"}, ValueError, 'padding type "x" not understood'),
        ([[1]], {"value": "x"}, ValueError, "not compatible with `value`'s type"),
        (
            [[[1, 2]], [[1, 2, 3]]],
            {},
            ValueError,
            r"shape of sample \(3,\) of sequence at position 1",
        ),
        ([], {}, ValueError, "no sequences and no `maxlen`"),
        ([[1], ["a"]], {}, ValueError, "sequence at position 1 does not convert to dtype int32"),
        ([[1]], {"maxlen": -1}, ValueError, "`maxlen` must be 0 or more"),
        ([[1]], {"maxlen": 1.5}, TypeError, "`maxlen` must be an integer or None"),
    ],
)
def test_pad_sequences_errors_name_the_function(sequences, kwargs, error, message):
    with pytest.raises(error, match="pad_sequences: .*" + message):
        utils.pad_sequences(sequences, **kwargs)


@pytest.mark.parametrize(
    ("sequences", "kwargs", "held"),
    [
        ([np.array([2**40, 1])], {}, "1099511627776"),  # Keras: [[0, 1]], wrapped
        ([np.array([300, 1])], {"dtype": "uint8"}, "300"),  # Keras: [[44, 1]]
        ([np.array([1.0, np.nan])], {}, "nan"),  # Keras: [[1, -2147483648]]
        ([np.array([1e10])], {}, "10000000000.0"),
        ([[1], [2, 3]], {"value": np.nan}, "nan"),  # Keras pads with -2147483648
        ([[1], [2, 3]], {"value": -1, "dtype": "uint8"}, "-1"),
    ],
)
def test_pad_sequences_refuses_numbers_the_integer_dtype_cannot_hold(sequences, kwargs, held):
    with pytest.raises(OverflowError, match=f"pad_sequences: .* holds {held}, which dtype"):
        utils.pad_sequences(sequences, **kwargs)


def test_pad_sequences_numbers_that_fit_are_cast_as_keras_casts_them():
    # keras.utils.pad_sequences([np.array([1.7, -2.0]), np.array([3], np.int64)]), 3.15
    padded = utils.pad_sequences([np.array([1.7, -2.0]), np.array([3], np.int64)], value=0.9)
    np.testing.assert_array_equal(padded, np.array([[1, -2], [0, 3]], np.int32))

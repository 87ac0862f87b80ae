"""to_categorical and one_hot: the arguments Keras refuses are refused by name, not cut
or reinterpreted, and the labels Keras takes are taken."""

import os
import re

import numpy as np
import pytest

from deepgrad import utils


@pytest.mark.parametrize("num_classes", [2.5, 2.0, np.float64(3.0), "3", True])
@pytest.mark.parametrize("function", [utils.to_categorical, utils.one_hot])
def test_num_classes_that_is_not_an_integer_is_refused(function, num_classes):
    # Keras raises TypeError for a float; deepgrad cut 2.5 to 2 classes
    with pytest.raises(TypeError, match=f"{function.__name__}: num_classes must be an integer"):
        function([0, 1], num_classes)


def test_integer_num_classes_of_numpy_type_is_taken():
    expected = np.eye(3)[[0, 1]]
    np.testing.assert_array_equal(utils.to_categorical([0, 1], np.int64(3)), expected)
    np.testing.assert_array_equal(utils.one_hot([0, 1], np.int32(3)), expected)


@pytest.mark.parametrize("axis", [2, -3, 5])
def test_one_hot_axis_out_of_range_names_one_hot(axis):
    with pytest.raises(ValueError, match=f"one_hot: axis={axis} is out of range .* rank 2"):
        utils.one_hot([0, 1], 3, axis=axis)


def test_one_hot_axis_that_is_not_an_integer_is_refused():
    with pytest.raises(TypeError, match=r"one_hot: axis must be an integer, got 1\.0"):
        utils.one_hot([0, 1], 3, axis=1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_one_hot_axes_as_keras(axis):
    labels = np.array([[0, 2], [1, 3]])
    ours = utils.one_hot(labels, 3, axis=axis)
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    np.testing.assert_array_equal(ours, np.asarray(keras.ops.one_hot(labels, 3, axis=axis)))


def test_to_categorical_takes_boolean_labels_as_keras():
    labels = np.array([True, False, True])
    # keras.utils.to_categorical(labels) and (labels, 3), Keras 3.15
    np.testing.assert_array_equal(
        utils.to_categorical(labels), [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    )
    np.testing.assert_array_equal(
        utils.to_categorical(labels.reshape(-1, 1), 3),
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    )
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    np.testing.assert_array_equal(utils.to_categorical(labels), keras.utils.to_categorical(labels))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, 1e30])
@pytest.mark.parametrize("function", [utils.to_categorical, utils.one_hot])
def test_float_label_that_is_not_a_whole_number_is_named(function, bad):
    # inf was cast to int64's smallest value: to_categorical called it a negative label
    # -9223372036854775808, one_hot gave a row of zeros
    with pytest.raises(
        TypeError, match=f"{function.__name__}: expected integer .*label {re.escape(str(bad))} "
    ):
        function(np.array([1.0, bad]), 3)

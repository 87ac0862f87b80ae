"""keras.utils data helpers: set_random_seed, normalize, split_dataset,
pack_x_y_sample_weight / unpack_x_y_sample_weight, Sequence."""

import random

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import utils


def _fit_weights(seed: int) -> list[np.ndarray]:
    utils.set_random_seed(seed)
    model = dg.Sequential(
        [
            dg.Input((3,)),
            dg.layers.Dense(4, activation="relu"),
            dg.layers.Dropout(0.5),
            dg.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.rand(32, 3).astype(np.float32)  # NumPy's global generator, seeded too
    y = x.sum(axis=1, keepdims=True)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=True, verbose=0)
    return [np.asarray(w) for w in model.get_weights()]


def test_set_random_seed_makes_a_fit_repeat_bit_for_bit():
    first, second, other = _fit_weights(1), _fit_weights(1), _fit_weights(2)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_set_random_seed_seeds_python_and_numpy_as_keras():
    utils.set_random_seed(3)
    # random.seed(3); random.random() and np.random.seed(3); np.random.rand(): what
    # keras.utils.set_random_seed(3) leaves behind
    assert random.random() == 0.23796462709189137
    assert np.random.rand() == 0.5507979025745755


@pytest.mark.parametrize("seed", [1.5, "1", None, True])
def test_set_random_seed_refuses_a_seed_that_is_not_an_integer(seed):
    with pytest.raises(ValueError, match="integer seed"):
        utils.set_random_seed(seed)


def test_normalize_matches_keras_numbers():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 2.0]])
    # keras.utils.normalize(x) and normalize(x, order=1), Keras 3.15
    np.testing.assert_allclose(
        utils.normalize(x), [[0.6, 0.8], [0.0, 0.0], [0.4472135954999579, 0.8944271909999159]]
    )
    np.testing.assert_allclose(
        utils.normalize(x, order=1),
        [[0.42857142857142855, 0.5714285714285714], [0, 0], [1 / 3, 2 / 3]],
    )
    np.testing.assert_allclose(
        utils.normalize(np.array([[1.0, -2, 2]]), order=np.inf), [[0.5, -1.0, 1.0]]
    )
    assert utils.normalize(np.array([3.0, 4.0], np.float32)).dtype == np.float32


def test_normalize_along_axis_0_divides_by_the_norms_along_axis_0():
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = square / np.linalg.norm(square, axis=0, keepdims=True)
    np.testing.assert_allclose(utils.normalize(square, axis=0), expected)
    assert utils.normalize(np.array([3, 4])).shape == (2,)


def test_normalize_against_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).standard_normal((4, 5))
    for order in (1, 2, 3, np.inf):
        np.testing.assert_allclose(
            utils.normalize(x, order=order), keras.utils.normalize(x, order=order)
        )


def test_normalize_refuses_bad_axes():
    with pytest.raises(ValueError, match="axis 2 is out of range for shape"):
        utils.normalize(np.ones((2, 2)), axis=2)
    with pytest.raises(TypeError, match="one integer"):
        utils.normalize(np.ones((2, 2)), axis=None)  # pyright: ignore[reportArgumentType]


def test_pack_and_unpack_as_keras():
    x, y, w = np.ones(2), np.zeros(2), np.full(2, 0.5)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert utils.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    assert utils.unpack_x_y_sample_weight(x) == (x, None, None)
    assert utils.unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert utils.unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert utils.unpack_x_y_sample_weight((x, y, w)) == (x, y, w)
    with pytest.raises(ValueError, match="got a tuple of 4 items"):
        utils.unpack_x_y_sample_weight((x, y, w, w))
    with pytest.raises(ValueError, match="sample_weight was given without y"):
        utils.pack_x_y_sample_weight(x, sample_weight=w)


def test_sequence_is_keras_alias_of_py_dataset():
    assert utils.Sequence is utils.PyDataset


SPLITS = [
    (dict(left_size=0.8), (8, 2)),
    (dict(right_size=3), (7, 3)),
    (dict(left_size=0.25), (2, 8)),  # round(2.5) = 2, as Python and Keras round
    (dict(left_size=3, right_size=2), (3, 2)),
    (dict(left_size=0.5, right_size=0.3), (5, 3)),
]


@pytest.mark.parametrize(("sizes", "expected"), SPLITS)
def test_split_dataset_sizes(sizes, expected):
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    (x_left, y_left), (x_right, y_right) = utils.split_dataset((x, y), **sizes)
    assert (len(y_left), len(y_right)) == expected
    np.testing.assert_array_equal(y_left, np.arange(expected[0]))
    np.testing.assert_array_equal(y_right, np.arange(10 - expected[1], 10))
    np.testing.assert_array_equal(x_left[:, 0], 2 * y_left)
    np.testing.assert_array_equal(x_right[:, 1], 2 * y_right + 1)


@pytest.mark.parametrize(("sizes", "expected"), SPLITS)
def test_split_dataset_sizes_against_keras(sizes, expected):
    pytest.importorskip("keras")
    from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes

    left, right = sizes.get("left_size"), sizes.get("right_size")
    assert _rescale_dataset_split_sizes(left, right, 10) == expected


def test_split_dataset_shuffles_as_keras():
    x = np.arange(10)
    left, right = utils.split_dataset(x, left_size=0.7, shuffle=True, seed=1)
    # Keras' order for seed 1: random.seed(1); random.shuffle(list(range(10)))
    np.testing.assert_array_equal(np.concatenate([left, right]), [6, 8, 9, 7, 5, 3, 0, 4, 1, 2])
    assert isinstance(left, np.ndarray) and left.shape == (7,)
    random.seed(5)
    state = random.getstate()
    utils.split_dataset(x, left_size=0.7, shuffle=True, seed=1)
    assert random.getstate() == state  # a given seed leaves Python's generator alone


@pytest.mark.parametrize(
    ("sizes", "error", "message"),
    [
        (dict(), ValueError, "both were None"),
        (dict(left_size=1.5), ValueError, "float in \\(0, 1\\), got 1.5"),
        (dict(left_size=10), ValueError, "smaller than the 10 samples"),
        (dict(left_size=0.0), ValueError, "got 0.0"),
        (dict(left_size=0.7, right_size=0.7), ValueError, "exceeds 1"),
        (dict(left_size=6, right_size=6), ValueError, "12 samples exceeds the 10"),
        (dict(left_size="a"), TypeError, "int, a float or None"),
        (dict(left_size=0.01), ValueError, "left part would be empty"),
    ],
)
def test_split_dataset_refuses_bad_sizes(sizes, error, message):
    with pytest.raises(error, match=message):
        utils.split_dataset(np.arange(10), **sizes)


def test_split_dataset_refuses_what_it_cannot_split():
    with pytest.raises(ValueError, match="same length, got lengths \\[3, 2\\]"):
        utils.split_dataset((np.ones(3), np.ones(2)), left_size=1)
    with pytest.raises(TypeError, match="is of type dict"):
        utils.split_dataset({"x": np.ones(3)}, left_size=1)
    with pytest.raises(TypeError, match="is of type int"):
        utils.split_dataset(5, left_size=1)

"""Normalization against Keras 3.15: the kept axis in its place (axis=1 of a rank-3 input),
axis tuples and None, given mean and variance, invert, count_params, configs.

The fixed numbers were produced by Keras 3.15 on JAX (float32),
``np.asarray(keras.layers.Normalization(...)(X))`` after ``adapt(X)`` where adapted; the
test guarded by ``pytest.importorskip("keras")`` runs Keras itself."""

import os

import numpy as np
import pytest

from deepgrad import layers
from deepgrad.tensor import raw_data

X = np.array([[[0.0, 1.0], [10.0, 14.0]], [[2.0, 5.0], [20.0, 30.0]]], np.float32)


def _out(layer, inputs=X):
    return raw_data(layer(inputs))


def test_axis_1_of_a_rank_3_input_keeps_that_axis():
    """One mean per row of axis 1 (2 and 18.5 here), not laid on the last axis."""
    norm = layers.Normalization(axis=1)
    norm.adapt(X)
    expected = [
        [[-1.0690449, -0.5345225], [-1.1283298, -0.5973510]],
        [[0.0, 1.6035674], [0.1991170, 1.5265636]],
    ]
    np.testing.assert_allclose(_out(norm), expected, rtol=1e-6)
    np.testing.assert_allclose(raw_data(norm.mean), [2.0, 18.5])
    np.testing.assert_allclose(raw_data(norm.variance), [3.5, 56.75])


def test_axis_none_one_mean_and_variance_over_everything():
    norm = layers.Normalization(axis=None)
    norm.adapt(X)
    expected = [
        [[-1.0344173, -0.9334986], [-0.0252297, 0.3784454]],
        [[-0.8325798, -0.5298235], [0.9839579, 1.9931456]],
    ]
    np.testing.assert_allclose(_out(norm), expected, rtol=1e-6)
    assert norm.get_config()["axis"] == []  # Keras: ()
    assert norm.count_params() == 2  # Keras counts a third weight, its unused count


def test_given_mean_and_variance_laid_on_the_last_kept_axis():
    norm = layers.Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[4.0, 16.0])
    expected = [[[-0.5, -0.25], [4.5, 3.0]], [[0.5, 0.75], [9.5, 7.0]]]
    np.testing.assert_allclose(_out(norm), expected)
    assert norm.count_params() == 0  # constants, as Keras keeps them


def test_invert_maps_back():
    kwargs = {"axis": (1, 2), "mean": [1.0, 2.0], "variance": [4.0, 16.0]}
    inverse = layers.Normalization(invert=True, **kwargs)
    expected = [[[1.0, 6.0], [21.0, 58.0]], [[5.0, 22.0], [41.0, 122.0]]]
    np.testing.assert_allclose(_out(inverse), expected)
    np.testing.assert_allclose(_out(inverse, _out(layers.Normalization(**kwargs))), X)


def test_config_round_trip_keeps_the_arguments():
    norm = layers.Normalization(axis=[1], mean=[1.0, 2.0], variance=[4.0, 16.0], invert=True)
    config = norm.get_config()
    assert (config["axis"], config["mean"], config["variance"], config["invert"]) == (
        [1],
        [1.0, 2.0],
        [4.0, 16.0],
        True,
    )
    np.testing.assert_array_equal(_out(layers.Normalization.from_config(config)), _out(norm))


def test_adapt_takes_an_iterable_of_batches():
    whole, batches = layers.Normalization(), layers.Normalization()
    whole.adapt(X[:, 0])
    batches.adapt([X[:1, 0], (X[1:, 0], None)])  # an (x, y) batch gives its x
    np.testing.assert_allclose(raw_data(batches.mean), raw_data(whole.mean))
    np.testing.assert_allclose(raw_data(batches.variance), raw_data(whole.variance))


def test_what_it_cannot_take_is_refused_by_name():
    with pytest.raises(ValueError, match="both mean and variance"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"at most 1 axes.*\(2, 2\)"):
        layers.Normalization(mean=np.ones((2, 2)), variance=np.ones((2, 2)))
    with pytest.raises(ValueError, match="adapt\\(\\) on a layer given mean and variance"):
        layers.Normalization(mean=1.0, variance=1.0).adapt(X)
    norm = layers.Normalization()
    norm.adapt(X[:, 0])
    with pytest.raises(ValueError, match=r"Normalization .*inputs of shape \(2, 1\).*'any', 2"):
        norm(X[:, 0, :1])  # one feature would broadcast against both means


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), (2, 1), None])
@pytest.mark.parametrize("invert", [False, True])
def test_adapted_as_keras_runs_it(axis, invert):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    data = np.random.default_rng(0).normal(size=(5, 3, 3)).astype(np.float32) * 3 + 1
    theirs = keras.layers.Normalization(axis=axis, invert=invert)
    theirs.adapt(data)
    ours = layers.Normalization(axis=axis, invert=invert)
    ours.adapt(data)
    np.testing.assert_allclose(_out(ours, data), np.asarray(theirs(data)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("axis", "data"), [(-1, np.zeros((0, 2))), (None, np.zeros((0, 2)))])
def test_adapt_on_no_samples_is_refused_by_name(axis, data):
    # the mean and variance were NaN, and so every output (Keras 3.15 gives NaN too)
    norm = layers.Normalization(axis=axis)
    with pytest.raises(ValueError, match=r"adapt\(\) data of shape \(0, 2\) has no values"):
        norm.adapt(data)

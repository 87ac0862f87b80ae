"""Keras 3's regularizer class names ("L2", as a Keras-saved config holds them) are taken;
they raised a bare ``KeyError`` before. An unknown name is refused listing the known ones."""

import os

import pytest

from deepgrad import layers, regularizers


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("L2", regularizers.L2(0.01)),
        ("L1L2", regularizers.L1L2(0.0, 0.0)),
        ({"class_name": "L1", "config": {"l1": 0.3}}, regularizers.L1(0.3)),
        (
            {
                "module": "keras.regularizers",
                "class_name": "L1L2",
                "config": {"l1": 0.1, "l2": 0.2},
                "registered_name": None,
            },
            regularizers.L1L2(0.1, 0.2),
        ),
    ],
)
def test_keras_class_names_are_taken(identifier, expected):
    found = regularizers.get(identifier)
    assert type(found) is type(expected) and found.get_config() == expected.get_config()


@pytest.mark.parametrize("identifier", ["l3", {"class_name": "L3"}])
def test_an_unknown_regularizer_is_refused_listing_the_known_ones(identifier):
    known = "l1, l2, l1_l2, orthogonal_regularizer, L1, L2, L1L2, OrthogonalRegularizer"
    with pytest.raises(ValueError, match=rf"unknown regularizer .*; known: {known}$"):
        regularizers.get(identifier)


def test_keras_normalization_configs_load():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    for theirs, ours in (
        (keras.layers.BatchNormalization(gamma_regularizer="l2"), layers.BatchNormalization),
        (keras.layers.LayerNormalization([1, 2], beta_regularizer="l1"), layers.LayerNormalization),
    ):
        config = theirs.get_config()
        config.pop("dtype")  # Keras' dtype policy, a dict deepgrad does not read
        layer = ours.from_config(config)
        for name in ("gamma_regularizer", "beta_regularizer"):
            expected = getattr(theirs, name)
            found = getattr(layer, name)
            assert (found is None) == (expected is None)
            if expected is not None:
                assert found.get_config() == pytest.approx(expected.get_config())


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: regularizers.L2(-1.0), "L2: l2"),
        (lambda: regularizers.L1(float("nan")), "L1: l1"),
        (lambda: regularizers.L1L2(l1=0.1, l2=float("inf")), "L1L2: l2"),
    ],
)
def test_a_negative_or_non_finite_factor_is_refused_as_keras_refuses_it(make, name):
    # A negative factor was taken: the penalty then rewarded large weights.
    with pytest.raises(ValueError, match=rf"{name} must be a finite number >= 0"):
        make()

"""Keras 3's initializer arguments and names: ``seed`` (the same draws at every call),
``Identity``, the aliases and class names a Keras config holds."""

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import initializers, layers

SEEDED = [
    initializers.RandomNormal,
    initializers.RandomUniform,
    initializers.TruncatedNormal,
    initializers.VarianceScaling,
    initializers.GlorotUniform,
    initializers.GlorotNormal,
    initializers.HeUniform,
    initializers.HeNormal,
    initializers.LecunUniform,
    initializers.LecunNormal,
    initializers.Orthogonal,
]


@pytest.mark.parametrize("cls", SEEDED, ids=lambda cls: cls.__name__)
def test_a_seeded_initializer_gives_the_same_draws_at_every_call(cls):
    seeded = cls(seed=7)
    first = seeded((6, 4))
    dg.random.seed(1)  # the global stream neither moves nor resets a seeded initializer
    np.testing.assert_array_equal(seeded((6, 4)), first)
    assert not np.array_equal(cls(seed=8)((6, 4)), first)
    assert first.dtype == dg.get_default_dtype()
    unseeded = cls()
    assert not np.array_equal(unseeded((6, 4)), unseeded((6, 4)))  # Keras' unseeded draws
    assert cls.from_config(seeded.get_config()).seed == 7


@pytest.mark.parametrize("seed", [1.5, "3", True, [1]])
def test_a_seed_that_is_not_an_integer_is_refused(seed):
    with pytest.raises(ValueError, match="GlorotUniform: seed must be None or an integer"):
        initializers.GlorotUniform(seed=seed)


def test_identity_is_kerass():
    np.testing.assert_array_equal(initializers.get("identity")((2, 3)), np.eye(2, 3))
    np.testing.assert_array_equal(initializers.Identity(2.0)((3, 2), "float64"), 2 * np.eye(3, 2))
    with pytest.raises(ValueError, match=r"Identity: .*2-D matrices only; got shape \(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("uniform", initializers.RandomUniform),
        ("normal", initializers.RandomNormal),
        ("one", initializers.Ones),
        ("zero", initializers.Zeros),
        ("GlorotUniform", initializers.GlorotUniform),
        ("HeNormal", initializers.HeNormal),
        ("Identity", initializers.Identity),
    ],
)
def test_kerass_aliases_and_class_names(name, expected):
    assert type(initializers.get(name)) is expected


def test_a_config_keras_saved_is_read():
    # keras.initializers.serialize(keras.initializers.HeNormal(seed=2)), Keras 3.15
    saved = {
        "module": "keras.initializers",
        "class_name": "HeNormal",
        "config": {"seed": 2},
        "registered_name": None,
    }
    initializer = initializers.get(saved)
    assert type(initializer) is initializers.HeNormal and initializer.seed == 2


def test_an_unknown_name_gets_a_clear_error_not_a_key_error():
    with pytest.raises(ValueError, match="unknown initializer 'Foo'; known: constant"):
        initializers.get({"class_name": "Foo", "config": {}})
    with pytest.raises(ValueError, match="unknown initializer 'foo'"):
        initializers.get("foo")


def test_a_seeded_kernel_initializer_builds_the_same_dense_layer_and_saves(tmp_path):
    def build():
        model = dg.Sequential([layers.Dense(3, kernel_initializer=initializers.HeNormal(seed=5))])
        model(np.ones((1, 4), np.float32))
        return model

    first, second = build(), build()
    np.testing.assert_array_equal(first.layers[0].kernel, second.layers[0].kernel)
    config = json.loads(json.dumps(first.layers[0].get_config()))
    expected = {"seed": 5, "input_axes": None, "output_axes": None}  # Keras 3.15's keys
    assert config["kernel_initializer"] == {"class_name": "he_normal", "config": expected}
    restored = layers.Dense.from_config(config)
    assert restored.kernel_initializer.seed == 5


@pytest.mark.parametrize("scale", [-1.0, 0.0, float("nan")])
def test_variance_scaling_refuses_a_scale_that_is_not_positive(scale):
    # -1.0 failed at the first draw with "math domain error"; 0.0 drew all-zero weights;
    # Keras 3 refuses both when the initializer is made.
    with pytest.raises(ValueError, match="VarianceScaling: scale must be a positive number"):
        initializers.VarianceScaling(scale=scale)
    assert initializers.VarianceScaling(scale=np.float32(2.0)).scale == 2.0

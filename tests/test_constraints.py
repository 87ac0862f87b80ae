"""``deepgrad.constraints``: Keras 3's MaxNorm, MinMaxNorm, NonNeg and UnitNorm, their
names, and ``get``/``serialize``/``deserialize``."""

import os

import numpy as np
import pytest

from deepgrad import constraints
from deepgrad.tensor import Tensor, raw_data

W = np.array([[3.0, 0.1, -2.0], [4.0, -0.2, 1.0]], np.float32)

# Keras 3.15 on JAX, keras.constraints.<name>(**config)(W), float32
KERAS_VALUES = {
    ("MaxNorm", ()): [[1.2, 0.09999996, -1.7888544], [1.6, -0.19999991, 0.8944272]],
    ("MinMaxNorm", ((0.5, 2.0, 0.5, 0),)): [
        [2.1, 0.16180332, -1.8944271],
        [2.8, -0.32360664, 0.9472135],
    ],
    ("NonNeg", ()): [[3.0, 0.1, 0.0], [4.0, 0.0, 1.0]],
    ("UnitNorm", ((1,),)): [
        [0.83173037, 0.027724346, -0.55448693],
        [0.96900314, -0.048450157, 0.24225079],
    ],
}


def _make(name, arguments):
    cls = getattr(constraints, name)
    if not arguments:
        return cls()
    names = {"MinMaxNorm": ("min_value", "max_value", "rate", "axis"), "UnitNorm": ("axis",)}
    return cls(**dict(zip(names[name], arguments[0], strict=True)))


@pytest.mark.parametrize(("name", "arguments"), list(KERAS_VALUES))
def test_each_constraint_gives_keras_numbers(name, arguments):
    got = _make(name, arguments)(W)
    assert isinstance(got, Tensor) and got.dtype == np.float32
    np.testing.assert_allclose(raw_data(got), KERAS_VALUES[name, arguments], rtol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.MaxNorm(0.7),
        lambda c: c.MaxNorm(2.5, axis=1),
        lambda c: c.MaxNorm(1.0, axis=[0, 1]),
        lambda c: c.MinMaxNorm(0.5, 1.5, rate=0.3),
        lambda c: c.MinMaxNorm(axis=1),
        lambda c: c.NonNeg(),
        lambda c: c.UnitNorm(),
        lambda c: c.UnitNorm(axis=[0, 2]),
    ],
)
def test_each_constraint_matches_keras_on_random_weights(make):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    weight = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    weight[:, 0, 0] = 0.0  # a zero norm: ε keeps it finite
    expected = np.asarray(make(keras.constraints)(weight))
    np.testing.assert_allclose(raw_data(make(constraints)(weight)), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("max_norm", constraints.MaxNorm),
        ("MaxNorm", constraints.MaxNorm),
        ("min_max_norm", constraints.MinMaxNorm),
        ("MinMaxNorm", constraints.MinMaxNorm),
        ("non_neg", constraints.NonNeg),
        ("NonNeg", constraints.NonNeg),
        ("unit_norm", constraints.UnitNorm),
        ("UnitNorm", constraints.UnitNorm),
    ],
)
def test_keras_names_and_aliases(name, cls):
    assert type(constraints.get(name)) is cls


def test_keras_names_are_the_ones_keras_knows():
    os.environ["KERAS_BACKEND"] = "jax"
    pytest.importorskip("keras")
    from keras.src.constraints import ALL_OBJECTS_DICT

    assert set(constraints.CONSTRAINTS) == set(ALL_OBJECTS_DICT)


def test_get_takes_none_a_class_an_object_and_a_callable():
    assert constraints.get(None) is None
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    unit = constraints.UnitNorm(axis=1)
    assert constraints.get(unit) is unit

    def clip(w):
        return np.clip(w, -1.0, 1.0)

    assert constraints.get(clip) is clip


def test_get_refuses_what_is_not_a_constraint():
    with pytest.raises(ValueError, match=r"unknown constraint 'maxnorm'.*max_norm"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="a constraint must be None, a name"):
        constraints.get(2.0)
    with pytest.raises(ValueError, match="a constraint must be None, a name"):
        constraints.get(dict)  # a class that is not a Constraint


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.MaxNorm(3, axis=[0, 1]),
        constraints.MinMaxNorm(0.1, 2.0, 0.5, 1),
        constraints.NonNeg(),
        constraints.UnitNorm(axis=1),
        constraints.Constraint(),
    ],
)
def test_serialize_then_deserialize_gives_the_same_constraint(constraint):
    config = constraints.serialize(constraint)
    assert config is not None
    assert config == {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    rebuilt = constraints.deserialize(config)
    assert type(rebuilt) is type(constraint) and rebuilt.get_config() == constraint.get_config()
    got = constraints.get(config)
    assert isinstance(got, constraints.Constraint)
    assert got.get_config() == constraint.get_config()


def test_a_keras_serialized_constraint_is_read():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    config = keras.constraints.serialize(keras.constraints.MinMaxNorm(0.2, 3.0, 0.5, [0]))
    rebuilt = constraints.deserialize(config)
    assert type(rebuilt) is constraints.MinMaxNorm
    assert rebuilt.get_config() == {"min_value": 0.2, "max_value": 3.0, "rate": 0.5, "axis": [0]}


def test_a_constraint_that_cannot_be_saved_says_so():
    with pytest.raises(ValueError, match=r"is not one of deepgrad's.*cannot be saved"):
        constraints.serialize(lambda w: w)

    class Mine(constraints.MaxNorm):
        pass

    with pytest.raises(ValueError, match="cannot be saved"):
        constraints.serialize(Mine())
    with pytest.raises(ValueError, match="unknown constraint 'Mine'"):
        constraints.deserialize({"class_name": "Mine", "config": {}})
    with pytest.raises(ValueError, match="expected the keys class_name and config"):
        constraints.deserialize({"class_name": "NonNeg", "config": {}, "module": "mine"})

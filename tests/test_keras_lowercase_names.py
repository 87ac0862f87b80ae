"""Keras 3's lower-case names of initializers, regularizers and constraints (the classes
themselves, as in Keras) and their ``deserialize``."""

from __future__ import annotations

import pytest

from deepgrad import constraints, initializers, regularizers

INITIALIZER_NAMES = {
    "constant": "Constant",
    "glorot_normal": "GlorotNormal",
    "glorot_uniform": "GlorotUniform",
    "he_normal": "HeNormal",
    "he_uniform": "HeUniform",
    "identity": "Identity",
    "lecun_normal": "LecunNormal",
    "lecun_uniform": "LecunUniform",
    "ones": "Ones",
    "orthogonal": "Orthogonal",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling",
    "zeros": "Zeros",
    "IdentityInitializer": "Identity",
    "OrthogonalInitializer": "Orthogonal",
}
REGULARIZER_NAMES = {"l1": "L1", "l2": "L2", "l1_l2": "L1L2"}
CONSTRAINT_NAMES = {
    "max_norm": "MaxNorm",
    "min_max_norm": "MinMaxNorm",
    "non_neg": "NonNeg",
    "unit_norm": "UnitNorm",
}
FAMILIES = [
    (initializers, INITIALIZER_NAMES, "initializers"),
    (regularizers, REGULARIZER_NAMES, "regularizers"),
    (constraints, CONSTRAINT_NAMES, "constraints"),
]
ROWS = [
    (module, alias, cls, keras_name)
    for module, names, keras_name in FAMILIES
    for alias, cls in names.items()
]
IDS = [f"{keras_name}.{alias}" for _, alias, _, keras_name in ROWS]


@pytest.mark.parametrize(("module", "alias", "cls", "keras_name"), ROWS, ids=IDS)
def test_lower_case_name_is_the_class(module, alias, cls, keras_name):
    assert getattr(module, alias) is getattr(module, cls)


@pytest.mark.parametrize(("module", "alias", "cls", "keras_name"), ROWS, ids=IDS)
def test_names_are_keras_names_for_the_same_classes(module, alias, cls, keras_name):
    keras = pytest.importorskip("keras")
    keras_module = getattr(keras, keras_name)
    assert getattr(keras_module, alias) is getattr(keras_module, cls)


def test_lower_case_names_build_with_keras_arguments():
    assert initializers.constant(0.5)((2,)).tolist() == [0.5, 0.5]
    assert initializers.IdentityInitializer(gain=2.0)((2, 2)).tolist() == [[2, 0], [0, 2]]
    assert regularizers.l1_l2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert constraints.max_norm(3.0).get_config() == {"max_value": 3.0, "axis": 0}


def test_initializers_deserialize_reads_keras_saved_configs():
    # keras.initializers.serialize(keras.initializers.OrthogonalInitializer(gain=0.5,
    # seed=2)), Keras 3.15: saved under its class name "Orthogonal"
    saved = {
        "module": "keras.initializers",
        "class_name": "Orthogonal",
        "config": {"seed": 2, "gain": 0.5},
        "registered_name": None,
    }
    initializer = initializers.deserialize(saved)
    assert isinstance(initializer, initializers.Orthogonal)
    assert (initializer.gain, initializer.seed) == (0.5, 2)
    assert isinstance(initializers.deserialize("IdentityInitializer"), initializers.Identity)
    assert isinstance(initializers.deserialize("he_normal"), initializers.HeNormal)
    again = initializers.deserialize(initializers.serialize(initializers.Constant(0.3)))
    assert isinstance(again, initializers.Constant) and again.value == 0.3


def test_regularizers_deserialize_reads_keras_saved_configs():
    # keras.regularizers.serialize(keras.regularizers.L1L2(l1=0.1, l2=0.2)), Keras 3.15
    saved = {
        "module": "keras.regularizers",
        "class_name": "L1L2",
        "config": {"l1": 0.1, "l2": 0.2},
        "registered_name": None,
    }
    regularizer = regularizers.deserialize(saved)
    assert isinstance(regularizer, regularizers.L1L2)
    assert regularizer.get_config() == {"l1": 0.1, "l2": 0.2}
    assert isinstance(regularizers.deserialize("l2"), regularizers.L2)


def test_deserialize_custom_objects():
    class Half(initializers.Constant):
        pass

    class Small(regularizers.L2):
        pass

    config = {"class_name": "Half", "config": {"value": 0.5}}
    assert isinstance(initializers.deserialize(config, custom_objects={"Half": Half}), Half)
    config = {"class_name": "Small", "config": {"l2": 0.001}}
    assert isinstance(regularizers.deserialize(config, custom_objects={"Small": Small}), Small)


@pytest.mark.parametrize(
    ("deserialize", "config", "error", "match"),
    [
        (initializers.deserialize, {"class_name": "Nope"}, ValueError, "unknown initializer"),
        (initializers.deserialize, 5, TypeError, "expected a config dict or a name, got 5"),
        (regularizers.deserialize, {"class_name": "Nope"}, ValueError, "unknown regularizer"),
        (regularizers.deserialize, 5, TypeError, "expected a config dict or a name, got 5"),
    ],
)
def test_deserialize_refuses_what_it_cannot_read(deserialize, config, error, match):
    with pytest.raises(error, match=match):
        deserialize(config)


def test_deserialize_matches_keras_for_keras_configs():
    keras = pytest.importorskip("keras")
    saved = keras.initializers.serialize(keras.initializers.RandomUniform(-0.2, 0.3, seed=4))
    initializer = initializers.deserialize(saved)
    assert isinstance(initializer, initializers.RandomUniform)
    assert initializer.get_config() == pytest.approx(saved["config"])
    saved = keras.regularizers.serialize(keras.regularizers.L2(0.25))
    assert regularizers.deserialize(saved).get_config() == pytest.approx(saved["config"])

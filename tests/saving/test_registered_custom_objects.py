"""A layer's activation, initializer, regularizer and constraint of one's own, registered
with ``register_keras_serializable``, save and load with the model, as Keras 3's do; each
was refused when saving ("is not registered", though it was)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import activations, constraints, initializers, layers, regularizers, serialization
from deepgrad import numpy as dnp

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 4)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


@pytest.fixture
def registered(monkeypatch):
    """Register the custom objects in copies of the registries, put back afterwards."""
    for module, name in [
        (serialization, "_GLOBAL_CUSTOM_OBJECTS"),
        (serialization, "_REGISTERED_NAMES"),
        (activations, "ACTIVATIONS"),
        (initializers, "INITIALIZERS"),
        (regularizers, "REGULARIZERS"),
        (constraints, "CONSTRAINTS"),
    ]:
        monkeypatch.setattr(module, name, dict(getattr(module, name)))
    register = dg.saving.register_keras_serializable(package="mine")

    @register
    def scaled_tanh(x):
        return dnp.tanh(x) * 1.5

    @register
    class Halves(initializers.Initializer):
        def __init__(self, value=0.5):
            self.value = value

        def __call__(self, shape, dtype=None):
            return np.full(shape, self.value, dtype or np.float32)

    @register
    class SquaredSum(regularizers.Regularizer):
        def __init__(self, factor=0.1):
            self.factor = factor

        def __call__(self, weight):
            return self.factor * dnp.sum(weight * weight)

    @register
    class Clipped(constraints.Constraint):
        def __init__(self, bound=0.3):
            self.bound = bound

        def __call__(self, weight):
            return dnp.clip(weight, -self.bound, self.bound)

        def get_config(self):
            return {"bound": self.bound}

    return scaled_tanh, Halves, SquaredSum, Clipped


def test_they_save_load_and_resume_bit_for_bit(tmp_path, registered):
    scaled_tanh, halves, squared_sum, clipped = registered
    dg.random.seed(0)
    dense = layers.Dense(
        3,
        activation=scaled_tanh,
        kernel_initializer=halves(0.25),
        kernel_regularizer=squared_sum(0.2),
        kernel_constraint=clipped(0.4),
    )
    model = dg.Sequential([dg.Input((4,)), dense, layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, shuffle=False)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    loaded = restored.layers[0]
    assert loaded.activation is scaled_tanh
    assert (type(loaded.kernel_initializer), loaded.kernel_initializer.value) == (halves, 0.25)
    assert (type(loaded.kernel_regularizer), loaded.kernel_regularizer.factor) == (squared_sum, 0.2)
    assert (type(loaded.kernel_constraint), loaded.kernel_constraint.bound) == (clipped, 0.4)
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    restored.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_they_are_saved_by_their_registered_names(registered):
    scaled_tanh, halves, squared_sum, clipped = registered
    assert activations.serialize(scaled_tanh) == "mine>scaled_tanh"
    assert _class_name(initializers.serialize(halves())) == "mine>Halves"
    assert _class_name(regularizers.serialize(squared_sum())) == "mine>SquaredSum"
    assert _class_name(constraints.serialize(clipped())) == "mine>Clipped"
    assert _class_name(constraints.serialize(constraints.MaxNorm(2))) == "MaxNorm"


def _class_name(described):
    assert described is not None
    return described["class_name"]


def test_unregistered_ones_are_refused_with_the_way_out():
    class Own(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.zeros(shape, dtype or np.float32)

    with pytest.raises(ValueError, match="register its class with register_keras_serializable"):
        initializers.serialize(Own())


def test_keras_loads_a_registered_activation(tmp_path):
    keras = pytest.importorskip("keras")

    @keras.saving.register_keras_serializable(package="mine")
    def keras_scaled_tanh(x):
        return keras.ops.tanh(x) * 1.5

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, keras_scaled_tanh)])
    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    assert restored.layers[0].activation is keras_scaled_tanh

"""Which weights train when a layer inside a frozen one is unfrozen, as in Keras 3: a
frozen layer lists no trainable weights, and within a trainable model a weight trains when
it was made trainable and its own layer is (Keras' ``Variable.trainable``). deepgrad froze
every weight under a frozen layer, so ``base.trainable = False`` then
``base.layers[-1].trainable = True`` trained nothing in the base where Keras trains that
layer, while its BatchNormalization ran in training mode all the same."""

import os

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = (2 * RNG.standard_normal((10, 5)) + 1).astype(np.float32)
Y = RNG.standard_normal((10, 2)).astype(np.float32)


def frozen_base_with_last_layer_unfrozen(module, sequential):
    base = sequential([module.layers.Dense(4), module.layers.BatchNormalization()])
    base(X[:1])
    base.trainable = False
    base.layers[-1].trainable = True
    model = sequential([base, module.layers.Dense(2)])
    model(X[:1])
    return model


def base_made_frozen(module, sequential):
    base = sequential([module.layers.Dense(4), module.layers.Dense(3)], trainable=False)
    model = sequential([base, module.layers.Dense(2)])
    model(X[:1])
    return model


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _fit_both(make, jit):
    keras = _keras()
    theirs, ours = make(keras, keras.Sequential), make(dg, dg.Sequential)
    weights = [RNG.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    theirs.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    ours.compile(optimizer=dg.optimizers.SGD(learning_rate=0.05), loss="mse", jit=jit)
    kwargs = {"epochs": 2, "batch_size": 4, "shuffle": False, "verbose": 0}
    return theirs, ours, theirs.fit(X, Y, **kwargs), ours.fit(X, Y, **kwargs)


@pytest.mark.parametrize("make", [frozen_base_with_last_layer_unfrozen, base_made_frozen])
@pytest.mark.parametrize("jit", [False, True])
def test_fit_trains_the_weights_keras_trains(make, jit):
    theirs, ours, their_history, our_history = _fit_both(make, jit)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    np.testing.assert_allclose(our_history.history["loss"], their_history.history["loss"], 1e-5)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-4, atol=1e-5)


def test_the_counts_are_keras_numbers():
    model = frozen_base_with_last_layer_unfrozen(dg, dg.Sequential)
    base = model.layers[0]
    # Keras 3: the model trains BatchNormalization's γ and β and the head's kernel and bias;
    # the frozen base itself lists none
    assert [tuple(w.shape) for w in model.trainable_weights] == [(4,), (4,), (4, 2), (2,)]
    assert base.trainable_weights == []
    assert len(base_made_frozen(dg, dg.Sequential).trainable_weights) == 6


def test_a_frozen_model_trains_nothing_and_unfreezing_restores_all():
    model = frozen_base_with_last_layer_unfrozen(dg, dg.Sequential)
    model.trainable = False
    assert model.trainable_weights == []
    model.trainable = True
    assert len(model.trainable_weights) == 6


@pytest.mark.parametrize("flag", ["False", 0, 1, None])
def test_trainable_that_is_not_a_boolean_is_refused_naming_the_layer(flag):
    """``Dense(2, trainable="False")`` trained (a non-empty string is true); Keras 3
    refuses any trainable that is not a bool when the layer is made."""
    with pytest.raises(ValueError, match="Expected `trainable` to be a boolean"):
        _keras().layers.Dense(2, trainable=flag)
    with pytest.raises(ValueError, match="Dense: trainable must be True or False, got"):
        dg.layers.Dense(2, trainable=flag)


def test_the_setter_reads_a_number_as_a_boolean_as_keras():
    layer = dg.layers.Dense(2)
    layer.trainable = 0
    assert layer.trainable is False
    assert layer.get_config()["trainable"] is False

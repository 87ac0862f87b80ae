"""A refused ``BackupAndRestore`` restore changes nothing. An unbuilt model was built for
the backup's input shape before the backup was refused (weights that do not match, or an
optimizer's state of another optimizer) and stayed built, its optimizer bound to the new
weights; Keras 3 leaves a model whose ``load_weights`` was refused unbuilt. A built model's
optimizer, not bound yet, was left bound and its loss's learned σ took the backup's value."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, losses

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype(np.float32)
Y = RNG.normal(size=(32, 1)).astype(np.float32)


class Crash(Exception):
    pass


def crash_in_second_epoch(epoch, logs=None):
    if epoch == 1:
        raise Crash


def leave_backup(folder, model):
    """Train ``model`` until a crash in its second epoch, leaving the first epoch's backup."""
    with pytest.raises(Crash):
        model.fit(
            X,
            Y,
            epochs=3,
            verbose=0,
            callbacks=[
                callbacks.BackupAndRestore(folder),
                callbacks.LambdaCallback(on_epoch_begin=crash_in_second_epoch),
            ],
        )


def net(units=4, optimizer="adam", loss="mse"):
    model = dg.Sequential([layers.Dense(units, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


REFUSALS = {  # what the backup was taken of, and the unbuilt model refusing it
    "another optimizer": (lambda: net(optimizer="adam"), lambda: net(optimizer="sgd")),
    "other weights": (lambda: net(units=5), lambda: net(units=4)),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_an_unbuilt_model_stays_unbuilt_and_trains_as_if_nothing_happened(tmp_path, refusal):
    saved, refusing = REFUSALS[refusal]
    leave_backup(tmp_path, saved())
    dg.random.seed(1)
    model = refusing()
    with pytest.raises(ValueError, match=r"latest\.dg"):
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert not model.built and not any(layer.built for layer in model.layers)
    assert model.weights == [] and model.optimizer.params == []
    history = model.fit(X, Y, epochs=2, verbose=0, shuffle=False)
    dg.random.seed(1)
    untouched = refusing()
    expected = untouched.fit(X, Y, epochs=2, verbose=0, shuffle=False)
    assert history.history == expected.history
    for ours, theirs in zip(model.get_weights(), untouched.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_built_models_optimizer_stays_unbound_and_its_loss_keeps_sigma(tmp_path):
    leave_backup(tmp_path, net(optimizer="adam", loss=losses.GaussianNLL(sigma="learned")))
    model = net(optimizer="sgd", loss=losses.GaussianNLL(sigma="learned"))
    model.predict(X[:2], verbose=0)  # built, its optimizer not bound yet
    weights, sigma = model.get_weights(), model.loss.sigma
    with pytest.raises(ValueError, match="optimizer state"):
        model.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert model.optimizer.params == []
    assert all(w.grad is None for w in model.weights)
    assert model.loss.sigma == sigma
    for now, then in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(now, then)


def test_keras_leaves_a_model_unbuilt_when_its_load_weights_is_refused(tmp_path):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    other.save_weights(tmp_path / "other.weights.h5")
    theirs = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError):
        theirs.load_weights(tmp_path / "other.weights.h5")
    dg.Sequential([layers.Dense(2, input_shape=(5,))]).save_weights(tmp_path / "other.dg")
    ours = dg.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError):
        ours.load_weights(tmp_path / "other.dg")
    assert ours.built == theirs.built is False

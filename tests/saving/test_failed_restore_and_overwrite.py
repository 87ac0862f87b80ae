"""Two ways saving lost something without a word: a ``BackupAndRestore`` restore that the
optimizer refused (a backup of Adam, a model compiled with SGD) had already written the
backup's weights into the model; and saving over a file reset its mode (a 0o600
checkpoint became 0o644) and replaced a symbolic link with a file, leaving its target
stale."""

import os
import stat

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, optimizers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype(np.float32)
Y = RNG.normal(size=(32, 1)).astype(np.float32)


def _model(optimizer):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_a_refused_restore_leaves_the_model_as_it_was(tmp_path):
    class Crash(Exception):
        pass

    def crash(epoch, logs=None):
        if epoch == 1:
            raise Crash

    with pytest.raises(Crash):
        _model(optimizers.Adam(0.01)).fit(
            X,
            Y,
            epochs=3,
            verbose=0,
            callbacks=[
                callbacks.BackupAndRestore(tmp_path),
                callbacks.LambdaCallback(on_epoch_begin=crash),
            ],
        )
    other = _model(optimizers.SGD(0.01, momentum=0.9))
    other.fit(X, Y, epochs=1, verbose=0)
    before = other.get_weights()
    with pytest.raises(ValueError, match="optimizer state"):
        other.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    for now, then in zip(other.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_saving_over_a_file_keeps_its_mode_and_a_link_its_target(tmp_path):
    model = _model("sgd")
    model.fit(X, Y, epochs=1, verbose=0)
    private = tmp_path / "private.dg"
    model.save(private)
    os.chmod(private, 0o600)
    model.save(private)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    link = tmp_path / "latest.dg"
    os.symlink(private, link)
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(link)
    assert link.is_symlink()
    np.testing.assert_array_equal(
        dg.load_model(private).predict(X, verbose=0), model.predict(X, verbose=0)
    )


@dg.layers.register_serializable
class _FrozenBodyNet(dg.Model):
    def __init__(self, units=6, **kwargs):
        super().__init__(**kwargs)
        self.body = layers.Dense(units, activation="relu")
        self.head = layers.Dense(1)

    def call(self, x, training=False):
        return self.head(self.body(x))


def test_a_subclassed_models_frozen_sublayer_stays_frozen(tmp_path):
    """Its config holds the constructor's arguments only: the body came back trainable,
    so the loaded model trained 4 weights where the saved one trained 2."""
    model = _FrozenBodyNet()
    model.predict(X[:2], verbose=0)
    model.body.trainable = False
    model.compile(optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "net.dg")
    loaded = dg.load_model(tmp_path / "net.dg")
    assert not loaded.body.trainable and loaded.head.trainable
    assert len(loaded.trainable_weights) == 2
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    loaded.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_model_whose_loss_has_weights_loads_without_compiling(tmp_path):
    model = _model(optimizers.Adam(0.01))
    model.compile(optimizer="adam", loss=dg.losses.GaussianNLL(sigma="learned"))
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "nll.dg")
    bare = dg.load_model(tmp_path / "nll.dg", compile=False)
    np.testing.assert_array_equal(bare.predict(X, verbose=0), model.predict(X, verbose=0))
    assert dg.load_model(tmp_path / "nll.dg").loss.sigma == pytest.approx(model.loss.sigma)

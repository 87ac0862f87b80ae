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

"""The order of the names in the logs, as Keras 3 gives it: every logs dict by name (the
history, what the callbacks receive, ``evaluate``'s ``return_dict``, the progress line),
and ``evaluate``'s list with the loss first, then the metrics as compiled. Compared with
Keras 3 itself (on JAX) and, without Keras, with what it gave."""

import os
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

METRICS = ["mae", "accuracy"]  # compiled out of alphabetical order
BY_NAME = ["accuracy", "loss", "mae"]
KERAS_ORDER = {
    "on_train_batch_end": BY_NAME,
    "on_test_end": BY_NAME,
    "on_epoch_end": [*BY_NAME, "val_accuracy", "val_loss", "val_mae"],
    "history": [*BY_NAME, "val_accuracy", "val_loss", "val_mae"],
    "progress line": [*BY_NAME, "val_accuracy", "val_loss", "val_mae"],
    "return_dict": BY_NAME,
    "list": ["loss", "mae", "accuracy"],
}


def spy(base):
    """A callback (on Keras' or deepgrad's base) keeping the first log names of each hook."""

    class Spy(base):
        def __init__(self):
            super().__init__()
            self.seen = {}

        def on_train_batch_end(self, batch, logs=None):
            self.seen.setdefault("on_train_batch_end", list(logs))

        def on_test_end(self, logs=None):
            self.seen.setdefault("on_test_end", list(logs))

        def on_epoch_end(self, epoch, logs=None):
            self.seen.setdefault("on_epoch_end", list(logs))

    return Spy()


def orders(library, model, capsys):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=METRICS)
    callback = spy(library.callbacks.Callback)
    fit = {"batch_size": 16, "epochs": 1, "validation_data": (x, y)}
    history = model.fit(x, y, callbacks=[callback], verbose=0, **fit)
    capsys.readouterr()
    model.fit(x, y, verbose=2, **fit)
    line = capsys.readouterr().out
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    values = model.evaluate(x, y, verbose=0)
    assert len(set(logs.values())) == len(logs)  # each value names its entry
    return {
        **callback.seen,
        "history": list(history.history),
        "progress line": re.findall(r"(\w+): \d", line),
        "return_dict": list(logs),
        "list": [name for value in values for name in logs if logs[name] == value],
    }


def test_log_names_come_in_keras_order(capsys):
    model = dg.Sequential([layers.Dense(1, activation="sigmoid")])
    assert orders(dg, model, capsys) == KERAS_ORDER


def test_keras_gives_that_order(capsys):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("Keras is already loaded with another backend")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    assert orders(keras, model, capsys) == KERAS_ORDER


def test_a_validation_log_sorts_among_the_rest():
    # Keras sorts the epoch's logs as one dict: val_zz comes before zz
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(-1, 1)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=[dg.metrics.MeanAbsoluteError(name="zz")])
    history = model.fit(x, x, epochs=1, validation_data=(x, x), verbose=0).history
    assert list(history) == ["loss", "val_loss", "val_zz", "zz"]
    assert model.metrics_names == ["loss", "zz"]

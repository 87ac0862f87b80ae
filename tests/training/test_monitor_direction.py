"""EarlyStopping(restore_best_weights=True) restored only when its own patience ran out;
Keras 3 restores at the end of training however it ended. And mode="auto" went by the
name (up for acc/auc/precision/recall, down for the rest), so a rising R² counted as
getting worse: EarlyStopping stopped a fit that kept improving and ReduceLROnPlateau
halved its rate every epoch. The direction is the metric's, as Keras reads it."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, metrics

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


def _model(**compile_options):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer=dg.optimizers.SGD(0.05), loss="mse", **compile_options)
    return model


def test_the_best_weights_are_restored_when_training_ends_without_a_stop():
    model = _model()
    snapshots = []
    record = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    # "max" on a falling loss: the first epoch stays the best, patience never runs out
    stop = callbacks.EarlyStopping(
        monitor="loss", mode="max", patience=5, restore_best_weights=True
    )
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[record, stop])
    assert stop.stopped_epoch == 0
    for restored, best in zip(model.get_weights(), snapshots[0], strict=True):
        np.testing.assert_array_equal(restored, best)


@pytest.mark.parametrize("monitor", ["r2_score", "val_r2_score"])
def test_auto_mode_follows_the_metrics_direction(monitor):
    model = _model(metrics=[metrics.R2Score()])
    stop = callbacks.EarlyStopping(monitor=monitor, patience=1)
    history = model.fit(
        X, Y, epochs=5, batch_size=16, verbose=0, validation_data=(X[:20], Y[:20]), callbacks=[stop]
    )
    assert len(history.history["loss"]) == 5  # R² rose every epoch: no stop
    assert np.all(np.diff(history.history[monitor]) > 0)


def test_reduce_on_plateau_keeps_the_rate_while_r2_rises():
    model = _model(metrics=[metrics.R2Score()])
    reduce = callbacks.ReduceLROnPlateau(monitor="r2_score", factor=0.5, patience=1)
    model.fit(X, Y, epochs=4, batch_size=16, verbose=0, callbacks=[reduce])
    assert model.optimizer.current_learning_rate() == pytest.approx(0.05)


def test_a_quantity_with_no_direction_asks_for_a_mode():
    model = _model(metrics=[metrics.TruePositives()])
    stop = callbacks.EarlyStopping(monitor="true_positives", patience=1)
    with pytest.raises(ValueError, match="pass mode='max' or mode='min'"):
        model.fit(X, (Y > 0).astype(np.float32), epochs=2, verbose=0, callbacks=[stop])


def test_reduce_on_plateau_logs_the_epochs_rate_as_keras_does():
    model = _model()
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
    history = model.fit(X, Y, epochs=4, batch_size=16, verbose=0, callbacks=[reduce])
    # the rate each epoch ran at (Keras: 0.05, 0.05, 0.025, 0.0125, for the same fit)
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.025, 0.0125])

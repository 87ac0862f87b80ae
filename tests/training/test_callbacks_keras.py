"""Callbacks as Keras 3 defines them: every hook gets a dict, the older ``on_batch_*`` names
fire, ``fit``'s validation runs ``on_test_*``, ``evaluate``/``predict`` take callbacks,
``verbose`` on EarlyStopping/ModelCheckpoint, ``save_freq``, TensorBoard event files; the
hooks fired by a small fit compared with Keras 3 itself (on JAX)."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, losses

HOOKS = [
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


def recorder(base):
    """A callback class (on Keras' or deepgrad's base) recording (hook, sorted log keys),
    each hook declared with a *required* logs argument."""
    calls = []

    def make(hook, indexed):
        if indexed:

            def method(self, index, logs):
                calls.append((hook, index, sorted(logs)))
        else:

            def method(self, logs):
                calls.append((hook, None, sorted(logs)))

        return method

    namespace = {h: make(h, "batch" in h or "epoch" in h) for h in HOOKS}
    return type("Recorder", (base,), namespace), calls


def data(n=8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def small_model():
    model = dg.Sequential([layers.Dense(2)])
    model.compile(
        optimizer="sgd",
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def run_deepgrad():
    cls, calls = recorder(callbacks.Callback)
    x, y = data()
    model = small_model()
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), callbacks=[cls()], verbose=0)
    model.evaluate(x, y, batch_size=4, callbacks=[cls()], verbose=0)
    model.predict(x, batch_size=4, callbacks=[cls()])
    return calls


def test_every_hook_gets_a_dict_even_when_declared_required():
    calls = run_deepgrad()
    assert calls[0] == ("on_train_begin", None, [])
    assert ("on_test_begin", None, []) in calls
    epoch_end = [c for c in calls if c[0] == "on_epoch_end"]
    assert epoch_end[0][2] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    train_end = next(c for c in calls if c[0] == "on_train_end")
    assert train_end[2] == ["accuracy", "loss", "val_accuracy", "val_loss"]
    predict_end = [c for c in calls if c[0] == "on_predict_batch_end"]
    assert [c[2] for c in predict_end] == [["outputs"], ["outputs"]]


def test_hook_order_matches_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    cls, calls = recorder(keras.callbacks.Callback)
    x, y = data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=4, epochs=2, validation_data=(x, y), callbacks=[cls()], verbose=0)
    model.evaluate(x, y, batch_size=4, callbacks=[cls()], verbose=0)
    model.predict(x, batch_size=4, callbacks=[cls()], verbose=0)
    assert run_deepgrad() == calls


def test_on_batch_names_fire_in_training():
    seen = []

    class Old(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, sorted(logs)))

    x, y = data()
    small_model().fit(x, y, batch_size=4, epochs=1, callbacks=[Old()], verbose=0)
    assert seen == [
        ("begin", 0, {}),
        ("end", 0, ["accuracy", "loss"]),
        ("begin", 1, {}),
        ("end", 1, ["accuracy", "loss"]),
    ]


def test_lambda_callback_with_on_batch_end():
    batches = []
    hook = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    x, y = data()
    small_model().fit(x, y, batch_size=2, epochs=1, callbacks=[hook], verbose=0)
    assert batches == [0, 1, 2, 3]


def test_lambda_callback_takes_keras_positional_hooks():
    seen = []
    hook = callbacks.LambdaCallback(
        lambda epoch, logs: seen.append(("begin", epoch)),
        lambda epoch, logs: seen.append(("end", epoch)),
    )
    x, y = data()
    small_model().fit(x, y, epochs=2, callbacks=[hook], verbose=0)
    assert seen == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1)]
    with pytest.raises(ValueError, match="unknown hook 'on_epoch_ends'"):
        callbacks.LambdaCallback(on_epoch_ends=print)


def test_a_non_callback_is_refused_by_name():
    x, y = data()
    with pytest.raises(TypeError, match="expected Callback instances, got function"):
        small_model().fit(x, y, epochs=1, callbacks=[lambda: None], verbose=0)


def test_early_stopping_verbose_prints_keras_messages(capsys):
    x, y = data()
    model = small_model()
    stop = callbacks.EarlyStopping(
        monitor="loss", patience=0, min_delta=10.0, verbose=1, restore_best_weights=True
    )
    model.fit(x, y, epochs=5, callbacks=[stop], verbose=0)
    out = capsys.readouterr().out
    assert "Restoring model weights from the end of the best epoch: 1." in out
    assert "Epoch 2: early stopping" in out
    assert stop.stopped_epoch == 1


def test_model_checkpoint_verbose_and_save_best_only(tmp_path, capsys):
    x, y = data()
    path = tmp_path / "best.dg"
    checkpoint = callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True, verbose=1)
    small_model().fit(x, y, epochs=2, callbacks=[checkpoint], verbose=0)
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from None to " in out  # Keras 3.15's words
    assert f"saving model to {path}" in out
    assert path.exists()


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    x, y = data(12)
    pattern = str(tmp_path / "e{epoch}-b{batch}.dg")
    checkpoint = callbacks.ModelCheckpoint(pattern, save_freq=2, save_weights_only=True)
    # 3 batches per epoch, 2 epochs: 6 batches, a save after every second one
    small_model().fit(x, y, batch_size=4, epochs=2, callbacks=[checkpoint], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e1-b2.dg", "e2-b1.dg", "e2-b3.dg"]


@pytest.mark.parametrize("bad", [0, -3, "batch", 1.5, True])
def test_model_checkpoint_save_freq_checked(bad):
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive number"):
        callbacks.ModelCheckpoint("m.dg", save_freq=bad)


def test_tensorboard_writes_event_files_without_tensorflow(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    x, y = data()
    board = callbacks.TensorBoard(log_dir=tmp_path, update_freq=1)
    model = small_model()
    history = model.fit(x, y, batch_size=4, epochs=3, validation_data=(x, y), callbacks=[board])
    train = EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    assert {"epoch_loss", "epoch_accuracy", "batch_loss"} <= set(train.Tags()["scalars"])
    epoch_loss = [event.value for event in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(epoch_loss, history.history["loss"], rtol=1e-6)
    assert [event.step for event in train.Scalars("batch_loss")] == [1, 2, 3, 4, 5, 6]
    validation = EventAccumulator(str(tmp_path / "validation"))
    validation.Reload()
    val_loss = [event.value for event in validation.Scalars("epoch_loss")]
    np.testing.assert_allclose(val_loss, history.history["val_loss"], rtol=1e-6)


LOSS_SEQUENCES = [
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    [3, 2, 2.5, 2.4, 1, 1.5, 1.6, 1.7, 1.8],
    [float("nan"), 3, 2, 1, 0.5, 0.4, 0.3, 0.2, 0.1],  # a NaN first: nothing beats it
]


def one_unit_net(module):
    """A Dense(1) net on three inputs, in deepgrad (``module is dg``) or in Keras."""
    if module is dg:
        return dg.Sequential([layers.Dense(1)])
    return module.Sequential([module.Input((3,)), module.layers.Dense(1)])


def forcing_loss(module, sequence):
    """A callback that sets the logged loss of epoch k to ``sequence[k]``."""

    def force(epoch, logs):
        logs["loss"] = sequence[epoch]

    return module.callbacks.LambdaCallback(on_epoch_end=force)


def epochs_until_stopped(module, stopping, sequence):
    """Epochs a fit runs when the logged loss is ``sequence`` (a callback sets it)."""

    x, y = data()
    model = one_unit_net(module)
    model.compile(optimizer="sgd", loss="mse")
    forcing = forcing_loss(module, sequence)
    history = model.fit(
        x, y, epochs=len(sequence), verbose=0, callbacks=[forcing, stopping(module)]
    )
    return len(history.history["loss"])


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
@pytest.mark.parametrize("extra", [{}, {"baseline": 2.2}, {"start_from_epoch": 3}])
@pytest.mark.parametrize("sequence", LOSS_SEQUENCES)
def test_early_stopping_counts_as_keras(patience, extra, sequence):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")

    def stopping(module):
        return module.callbacks.EarlyStopping(monitor="loss", patience=patience, **extra)

    ours = epochs_until_stopped(dg, stopping, sequence)
    assert ours == epochs_until_stopped(keras, stopping, sequence)


def test_model_checkpoint_initial_value_threshold(tmp_path):
    x, y = data()
    path = tmp_path / "m.dg"
    checkpoint = callbacks.ModelCheckpoint(
        path, monitor="loss", save_best_only=True, initial_value_threshold=-1.0
    )
    small_model().fit(x, y, epochs=2, callbacks=[checkpoint], verbose=0)
    assert not path.exists()  # a loss never beats -1


def test_tensorboard_takes_keras_arguments_and_refuses_what_it_cannot_write(tmp_path):
    board = callbacks.TensorBoard(
        log_dir=tmp_path, histogram_freq=0, embeddings_freq=0, update_freq="epoch"
    )
    assert board.update_freq == "epoch"
    with pytest.raises(ValueError, match=r"histogram_freq=1 is not supported"):
        callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=1)
    with pytest.raises(ValueError, match="update_freq must be"):
        callbacks.TensorBoard(log_dir=tmp_path, update_freq=0)


def rates_under_plateau(module, sequence, **settings):
    """The learning rate after each epoch when the logged loss is ``sequence``."""
    rates = []

    def record(epoch, logs):
        rates.append(float(np.asarray(model.optimizer.learning_rate)))

    x, y = data()
    model = one_unit_net(module)
    model.compile(optimizer=module.optimizers.SGD(learning_rate=0.1), loss="mse")
    plateau = module.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, **settings)
    hooks = [
        forcing_loss(module, sequence),
        plateau,
        module.callbacks.LambdaCallback(on_epoch_end=record),
    ]
    model.fit(x, y, epochs=len(sequence), verbose=0, callbacks=hooks)
    return rates


@pytest.mark.parametrize("patience", [0, 1, 2])
@pytest.mark.parametrize("cooldown", [0, 1])
@pytest.mark.parametrize("sequence", LOSS_SEQUENCES)
def test_reduce_lr_on_plateau_matches_keras(patience, cooldown, sequence):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    settings = {"patience": patience, "cooldown": cooldown, "min_lr": 0.01}
    ours = rates_under_plateau(dg, sequence, **settings)
    np.testing.assert_allclose(ours, rates_under_plateau(keras, sequence, **settings), rtol=1e-6)


def test_reduce_lr_on_plateau_verbose(capsys):
    x, y = data()
    model = small_model()
    model.optimizer.learning_rate = 0.1
    plateau = callbacks.ReduceLROnPlateau(
        monitor="loss", patience=0, factor=0.5, min_delta=10.0, verbose=1
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[plateau])
    # Keras halves the rate it reads back from its float32 variable: 0.1 is 0.10000000149...
    message = "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806."
    assert message in capsys.readouterr().out


def csv_log_appended(module, path):
    """The rows of a CSVLogger file appended by a fit without validation, then by one with
    it: the header and, per row, which columns are ``NA``."""
    x, y = data()
    model = one_unit_net(module)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[module.callbacks.CSVLogger(path, append=True)])
    logger = module.callbacks.CSVLogger(path, append=True)
    model.fit(
        x, y, epochs=3, initial_epoch=2, validation_data=(x, y), verbose=0, callbacks=[logger]
    )
    header, *rows = [line.split(",") for line in path.read_text().splitlines()]
    return header, [[value == "NA" for value in row] for row in rows]


def test_csv_logger_columns_match_keras_across_appended_fits(tmp_path):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours = csv_log_appended(dg, tmp_path / "ours.csv")
    header, na = ours
    assert header == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert na == [[False] * 3 + [True] * 2] * 2 + [[False] * 5]  # every row fits the header
    assert ours == csv_log_appended(keras, tmp_path / "keras.csv")


def diverging_fit(module, terminate):
    """Whether ``on_train_end`` ran, and the error raised, when SGD diverges at once."""
    x, y = data()
    model = one_unit_net(module)
    model.compile(optimizer=module.optimizers.SGD(1e30), loss="mse")
    ended = []
    hooks = [terminate, module.callbacks.LambdaCallback(on_train_end=lambda logs: ended.append(1))]
    try:
        model.fit(x * 1e10, y, batch_size=2, epochs=2, verbose=0, callbacks=hooks)
    except RuntimeError as error:
        return ended, str(error).split(" Loss value")[0]
    return ended, None


@pytest.mark.parametrize("raise_error", [False, True])
def test_terminate_on_nan_raise_error_as_keras(raise_error, capsys):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours = diverging_fit(dg, callbacks.TerminateOnNaN(raise_error=raise_error))
    theirs = diverging_fit(keras, keras.callbacks.TerminateOnNaN(raise_error=raise_error))
    assert ours == theirs
    if not raise_error:
        assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_learning_rate_scheduler_verbose_prints_keras_message(capsys):
    x, y = data()
    schedule = callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)
    small_model().fit(x, y, epochs=2, verbose=0, callbacks=[schedule])
    out = capsys.readouterr().out
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in out


def checkpoints_without_the_monitored_value(module, folder):
    """The files a ``save_best_only`` checkpoint of ``val_loss`` writes in a fit without
    validation."""
    x, y = data()
    model = one_unit_net(module)
    name = "m-{epoch}.dg" if module is dg else "m-{epoch}.weights.h5"
    model.compile(optimizer="sgd", loss="mse")
    checkpoint = module.callbacks.ModelCheckpoint(
        str(folder / name), save_best_only=True, save_weights_only=True
    )
    with pytest.warns(UserWarning):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    return sorted(p.name.split(".")[0] for p in folder.iterdir())


def test_model_checkpoint_saves_when_the_monitored_value_is_not_logged(tmp_path):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    (tmp_path / "ours").mkdir(), (tmp_path / "keras").mkdir()
    ours = checkpoints_without_the_monitored_value(dg, tmp_path / "ours")
    assert ours == ["m-1", "m-2"]
    assert ours == checkpoints_without_the_monitored_value(keras, tmp_path / "keras")


def checkpoints_after_a_nan(module, folder):
    """The epochs a ``save_best_only`` checkpoint saves when the first loss is NaN."""
    sequence = [float("nan"), 2.0, 1.0]

    x, y = data()
    model = one_unit_net(module)
    model.compile(optimizer="sgd", loss="mse")
    checkpoint = module.callbacks.ModelCheckpoint(
        str(folder / "m-{epoch}.weights.h5"),
        monitor="loss",
        save_best_only=True,
        save_weights_only=True,
    )
    forcing = forcing_loss(module, sequence)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[forcing, checkpoint])
    return sorted(p.name for p in folder.iterdir())


def test_model_checkpoint_after_a_first_nan_as_keras(tmp_path):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    (tmp_path / "ours").mkdir(), (tmp_path / "keras").mkdir()
    ours = checkpoints_after_a_nan(dg, tmp_path / "ours")
    assert ours == checkpoints_after_a_nan(keras, tmp_path / "keras") == ["m-1.weights.h5"]


def evaluation_params(module):
    """The ``params`` the callbacks of ``evaluate`` and ``predict`` see."""
    seen = []
    record = module.callbacks.LambdaCallback(
        on_test_begin=lambda logs: seen.append(dict(record.params)),
        on_predict_begin=lambda logs: seen.append(dict(record.params)),
    )
    x, y = data(10)
    model = one_unit_net(module)
    model.compile(optimizer="sgd", loss="mse")
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[record])
    model.evaluate(x, y, batch_size=4, verbose=2, steps=2, callbacks=[record])
    model.predict(x, batch_size=3, verbose=0, callbacks=[record])
    batches = ((x[i : i + 4],) for i in range(0, 10, 4))
    model.predict(batches, verbose=0, callbacks=[record])
    return seen


def test_evaluate_and_predict_params_match_keras(capsys):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours = evaluation_params(dg)
    assert ours[0] == {"verbose": 0, "epochs": 1, "steps": 3}
    assert ours == evaluation_params(keras)

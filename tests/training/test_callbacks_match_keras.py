"""Callbacks run side by side with Keras 3 (on JAX): the same one-unit net, weights and
data, with the logged values scripted where the callback watches them. Keras' results
are written in, and checked against Keras itself where it is installed."""

import os
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


def data(n=8):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x[:, :1] * 2.0).astype(np.float32)


def one_unit_net(module, rate=0.1):
    """Dense(1) on three inputs with weights 0.1 and bias 0, trained by SGD(rate)."""
    if module is dg:
        model = dg.Sequential([layers.Dense(1)])
    else:
        model = module.Sequential([module.Input((3,)), module.layers.Dense(1)])
    model.compile(optimizer=module.optimizers.SGD(learning_rate=rate), loss="mse")
    model.predict(data()[0], verbose=0)  # built
    model.set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
    return model


def keras_or_skip():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def forcing(module, sequence, key="loss"):
    """A callback that sets ``logs[key]`` of epoch k to ``sequence[k]``."""

    def force(epoch, logs):
        logs[key] = sequence[epoch]

    return module.callbacks.LambdaCallback(on_epoch_end=force)


def fit(module, callbacks, epochs, model=None, **options):
    x, y = data()
    model = model or one_unit_net(module)
    return model.fit(
        x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0, callbacks=callbacks, **options
    )


# LearningRateScheduler -------------------------------------------------------------------


def halve(epoch, rate=1.0):
    return rate * 0.5


def scheduled_rates(module, schedule):
    history = fit(module, [module.callbacks.LearningRateScheduler(schedule)], 3)
    return [round(rate, 6) for rate in history.history["learning_rate"]]


@pytest.mark.parametrize(
    "schedule", [halve, lambda *args: 0.05 if len(args) == 2 else 0.07], ids=["default", "args"]
)
def test_a_schedule_that_can_take_the_rate_gets_it(schedule):
    # Keras calls schedule(epoch, rate) first: a default or *args does not turn it off
    ours = scheduled_rates(dg, schedule)
    assert ours[0] == 0.05
    keras = keras_or_skip()
    assert ours == scheduled_rates(keras, schedule)


def test_a_schedule_returning_no_float_raises_as_in_keras():
    with pytest.raises(ValueError, match="LearningRateScheduler: the schedule must return a float"):
        scheduled_rates(dg, lambda epoch: 1)
    keras = keras_or_skip()
    with pytest.raises(ValueError, match="should be a float"):
        scheduled_rates(keras, lambda epoch: 1)


def scheduler_message(module, capsys):
    capsys.readouterr()
    schedule = module.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.5, verbose=1)
    fit(module, [schedule], 1)
    return capsys.readouterr().out


def test_scheduler_message_is_keras_own(capsys):
    ours = scheduler_message(dg, capsys)
    assert (
        ours == "\nEpoch 1: LearningRateScheduler setting learning rate to 0.05000000074505806.\n"
    )
    assert ours == scheduler_message(keras_or_skip(), capsys)


# EarlyStopping ---------------------------------------------------------------------------


def weights_seen_after_early_stopping(module, capsys):
    """The sum of the kernel a callback after EarlyStopping sees at each epoch's end, the
    sum the model ends with, and what is printed."""
    capsys.readouterr()
    seen = []

    def record(epoch, logs):
        seen.append(round(float(np.asarray(watcher.model.get_weights()[0]).sum()), 5))

    watcher = module.callbacks.LambdaCallback(on_epoch_end=record)
    stopping = module.callbacks.EarlyStopping(
        monitor="loss", patience=2, restore_best_weights=True, verbose=1
    )
    model = one_unit_net(module)
    fit(module, [forcing(module, [3.0, 2.0, 2.5, 2.6, 2.7]), stopping, watcher], 5, model=model)
    final = round(float(model.get_weights()[0].sum()), 5)
    return seen, final, stopping.stopped_epoch, capsys.readouterr().out


def test_early_stopping_restores_when_training_ends_as_keras(capsys):
    # Keras 3 restores in on_train_end: at the epoch it stops, the callbacks after it still
    # see that epoch's weights (deepgrad restored at once, and printed in the other order)
    ours = weights_seen_after_early_stopping(dg, capsys)
    assert ours == (
        [1.05454, 1.56371, 1.9063, 2.13573],
        1.56371,
        3,
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n",
    )
    assert ours == weights_seen_after_early_stopping(keras_or_skip(), capsys)


# ReduceLROnPlateau -----------------------------------------------------------------------


def plateau_run(module, capsys, sequence, **settings):
    """The logged rates, the rate after each epoch, and what is printed, when the logged
    loss is ``sequence``."""
    capsys.readouterr()
    rates = []

    def record(epoch, logs):
        rates.append(round(float(np.asarray(watcher.model.optimizer.learning_rate)), 7))

    watcher = module.callbacks.LambdaCallback(on_epoch_end=record)
    plateau = module.callbacks.ReduceLROnPlateau(monitor="loss", verbose=1, **settings)
    history = fit(module, [forcing(module, sequence), plateau, watcher], len(sequence))
    logged = [round(rate, 7) for rate in history.history["learning_rate"]]
    return logged, rates, capsys.readouterr().out


def test_reduce_lr_on_plateau_is_silent_once_at_min_lr(capsys):
    # Keras prints (and starts a cooldown) only when it does reduce the rate
    ours = plateau_run(dg, capsys, [1, 2, 3, 4, 5, 6], factor=0.5, patience=1, min_lr=0.05)
    assert ours == (
        [0.1, 0.1, 0.05, 0.05, 0.05, 0.05],
        [0.1, 0.05, 0.05, 0.05, 0.05, 0.05],
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n",
    )
    keras = keras_or_skip()
    assert ours == plateau_run(
        keras, capsys, [1, 2, 3, 4, 5, 6], factor=0.5, patience=1, min_lr=0.05
    )


def test_reduce_lr_on_plateau_factor_zero_drops_to_min_lr_as_keras(capsys):
    ours = plateau_run(dg, capsys, [1, 2, 3], factor=0.0, patience=0, min_lr=0.01)
    assert ours[:2] == ([0.1, 0.1, 0.01], [0.1, 0.01, 0.01])
    assert ours == plateau_run(
        keras_or_skip(), capsys, [1, 2, 3], factor=0.0, patience=0, min_lr=0.01
    )
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be in \[0, 1\), got 1"):
        dg.callbacks.ReduceLROnPlateau(factor=1)


# ModelCheckpoint -------------------------------------------------------------------------


def checkpoint_run(module, capsys, tmp_path, **settings):
    """The files written (under a folder the callback makes) and what is printed when
    the logged val_loss runs 3, 2, 2.5, 1; Keras' extensions and the folder dropped."""
    capsys.readouterr()
    weights_only = settings.get("save_weights_only", False)
    suffix = ".dg" if module is dg else (".weights.h5" if weights_only else ".keras")
    folder = tmp_path / module.__name__
    path = str(folder / "sub" / "m-{epoch:02d}-{val_loss:.2f}") + suffix
    checkpoint = module.callbacks.ModelCheckpoint(path, verbose=1, **settings)
    sequence = [3.0, 2.0, 2.5, 1.0]
    fit(module, [forcing(module, sequence, "val_loss"), checkpoint], 4, validation_data=data())
    files = sorted(p.name.removesuffix(suffix) for p in (folder / "sub").iterdir())
    return files, capsys.readouterr().out.replace(str(folder), "D").replace(suffix, "")


BEST_ONLY_MESSAGES = (
    "\nEpoch 1: val_loss improved from None to 3.00000, saving model to D/sub/m-01-3.00\n"
    "\nEpoch 1: finished saving model to D/sub/m-01-3.00\n"
    "\nEpoch 2: val_loss improved from 3.00000 to 2.00000, saving model to D/sub/m-02-2.00\n"
    "\nEpoch 2: finished saving model to D/sub/m-02-2.00\n"
    "\nEpoch 3: val_loss did not improve from 2.00000\n"
    "\nEpoch 4: val_loss improved from 2.00000 to 1.00000, saving model to D/sub/m-04-1.00\n"
    "\nEpoch 4: finished saving model to D/sub/m-04-1.00\n"
)


@pytest.mark.parametrize("weights_only", [True, False])
def test_model_checkpoint_files_and_messages_match_keras(capsys, tmp_path, weights_only):
    # Keras 3.15 writes "improved from None" (deepgrad wrote "inf") and a "finished saving"
    # line after each save, each message after a newline
    settings = {"save_best_only": True, "save_weights_only": weights_only}
    ours = checkpoint_run(dg, capsys, tmp_path, **settings)
    assert ours == (["m-01-3.00", "m-02-2.00", "m-04-1.00"], BEST_ONLY_MESSAGES)
    assert ours == checkpoint_run(keras_or_skip(), capsys, tmp_path, **settings)


def test_model_checkpoint_every_epoch_matches_keras(capsys, tmp_path):
    files, printed = ours = checkpoint_run(dg, capsys, tmp_path, save_weights_only=True)
    assert files == ["m-01-3.00", "m-02-2.00", "m-03-2.50", "m-04-1.00"]
    assert printed.startswith(
        "\nEpoch 1: saving model to D/sub/m-01-3.00\n"
        "\nEpoch 1: finished saving model to D/sub/m-01-3.00\n"
    )
    assert ours == checkpoint_run(keras_or_skip(), capsys, tmp_path, save_weights_only=True)


# History ---------------------------------------------------------------------------------


def reused_history(module):
    """A ``History`` passed to two fits: whether fit returns it, and what it holds."""
    history = module.callbacks.History()
    model = one_unit_net(module)
    first = fit(module, [history], 2, model=model)
    second = fit(module, [history], 3, model=model, initial_epoch=1)
    lengths = {key: len(values) for key, values in history.history.items()}
    return first is history, second is history, model.history is history, history.epoch, lengths


def test_a_history_passed_in_is_the_one_fit_fills_and_returns():
    # Keras 3 returns the History it was given; its epoch list restarts at each fit,
    # its history goes on (deepgrad returned a new one: epoch [0, 1, 1, 2])
    ours = reused_history(dg)
    assert ours == (True, True, True, [1, 2], {"loss": 4})
    assert ours == reused_history(keras_or_skip())


# CSVLogger -------------------------------------------------------------------------------


def csv_rows_after(module, tmp_path, before, append, stop_at_once=False):
    """The file a CSVLogger leaves (its rows, the numbers rounded) when it held
    ``before`` (None: no file), after a fit of two epochs or one stopped before any."""
    path = tmp_path / f"{module.__name__}.csv"
    if before is not None:
        path.write_text(before)
    model = one_unit_net(module)
    logger = module.callbacks.CSVLogger(path, append=append)
    if stop_at_once:  # on_train_begin only, as a fit stopped before its first epoch
        logger.set_model(model)
        logger.on_train_begin({})
        logger.on_train_end({})
    else:
        fit(module, [logger], 2, model=model)
    if not path.exists():
        return None
    rows = [line.split(",") for line in path.read_text().splitlines()]
    return [[str(round(float(cell), 4)) if "." in cell else cell for cell in row] for row in rows]


@pytest.mark.parametrize(
    ("before", "append", "stop_at_once"),
    [("", True, False), ("old\n", False, True), (None, False, True)],
    ids=["append-to-empty-file", "overwrite-before-any-epoch", "new-before-any-epoch"],
)
def test_csv_logger_file_matches_keras(tmp_path, before, append, stop_at_once):
    # Keras writes the header into an empty file it appends to, and empties (or makes) the
    # file when training begins (deepgrad wrote no header, and left the file as it was)
    ours = csv_rows_after(dg, tmp_path, before, append, stop_at_once)
    rows = [["epoch", "loss", "val_loss"], ["0", "4.8666", "NA"], ["1", "2.3144", "NA"]]
    expected = [] if stop_at_once else rows
    assert ours == expected
    assert ours == csv_rows_after(keras_or_skip(), tmp_path, before, append, stop_at_once)


# BackupAndRestore ------------------------------------------------------------------------


def backup_left_after(module, tmp_path, own_file):
    """Whether ``backup_dir`` (holding a file of the user's or not) is left after a fit
    interrupted at its second epoch and resumed: the epochs resumed too."""
    folder = tmp_path / module.__name__
    if own_file:
        folder.mkdir()
        (folder / "notes.txt").write_text("mine")

    class Interrupt(module.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    model = one_unit_net(module)
    backup = module.callbacks.BackupAndRestore(str(folder))
    with pytest.raises(RuntimeError, match="interrupted"):
        fit(module, [backup, Interrupt()], 4, model=model)
    history = fit(module, [backup], 4, model=model)
    return history.epoch, folder.exists()


def test_backup_dir_is_removed_at_the_end_as_keras(tmp_path):
    # Keras 3 removes backup_dir when fit ends; deepgrad removed only its file in it
    ours = backup_left_after(dg, tmp_path, own_file=False)
    assert ours == ([2, 3], False)
    assert ours == backup_left_after(keras_or_skip(), tmp_path, own_file=False)


def test_backup_dir_holding_files_of_your_own_is_kept(tmp_path):
    assert backup_left_after(dg, tmp_path, own_file=True) == ([2, 3], True)


# The progress display's numbers ---------------------------------------------------------


def shown_numbers(module, capsys, verbose):
    """The logged values an ``evaluate`` prints, for an MSE of 1e-4 and a negative loss."""
    capsys.readouterr()
    x, _ = data()
    y = x.sum(axis=1, keepdims=True) * 0.1 + 0.01  # the net's output + 0.01
    model = one_unit_net(module)
    model.compile(optimizer="sgd", loss="cosine_similarity", metrics=["mse"])
    model.predict(x, verbose=0)
    model.set_weights([np.full((3, 1), 0.1, np.float32), np.zeros(1, np.float32)])
    model.evaluate(x, y, verbose=verbose)
    line = capsys.readouterr().out.split("\r")[-1]
    return line[line.index("loss") :].strip()


@pytest.mark.parametrize("verbose", [1, 2])
def test_small_values_are_shown_in_scientific_notation_as_keras(capsys, verbose):
    # Keras shows a value of at most 1e-3 as 1.0000e-04 (deepgrad: 0.0001, and 1e-6 as
    # 0.0000); its line (verbose=2) takes negative values as small too
    if verbose == 1:
        pytest.importorskip("tqdm")
    ours = shown_numbers(dg, capsys, verbose)
    loss = "-0.7500" if verbose == 1 else "-7.5000e-01"
    assert ours == f"loss: {loss} - mse: 1.0000e-04"
    assert ours == shown_numbers(keras_or_skip(), capsys, verbose)


def progress_lines(module, capsys, epochs, batch_size):
    """What ``fit(verbose=2)`` prints, the durations replaced by T."""
    capsys.readouterr()
    x, y = data()
    one_unit_net(module).fit(
        x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=2, validation_data=(x, y)
    )
    out = capsys.readouterr().out
    return re.sub(r"\d+(s|ms|us)/step", "T/step", re.sub(r" \d+s - ", " Ts - ", out))


@pytest.mark.parametrize(("epochs", "batch_size"), [(2, 8), (1, 3)])
def test_fit_lines_match_keras(capsys, epochs, batch_size):
    # Keras prints "Epoch 1/2" (when there is more than one) above "1/1 - 0s - 3ms/step -
    # loss: ..."; deepgrad printed "Epoch 1/2 - 0.01s - loss: ..." on one line
    ours = progress_lines(dg, capsys, epochs, batch_size)
    if epochs == 2:
        assert ours == (
            "Epoch 1/2\n1/1 - Ts - T/step - loss: 4.8666 - val_loss: 2.3144\n"
            "Epoch 2/2\n1/1 - Ts - T/step - loss: 2.3144 - val_loss: 1.1247\n"
        )
    assert ours == progress_lines(keras_or_skip(), capsys, epochs, batch_size)


# LearningRateScheduler on an optimizer made with a schedule -------------------------------


def scheduled_over_a_schedule(module):
    """Fit with LearningRateScheduler on an optimizer made with ExponentialDecay."""
    model = one_unit_net(module)
    decay = module.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    model.compile(optimizer=module.optimizers.SGD(learning_rate=decay), loss="mse")
    fit(module, [module.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.9)], 2, model)


def test_a_scheduler_refuses_an_optimizer_made_with_a_schedule_as_keras():
    # Keras 3 refuses to set such a rate; deepgrad replaced the schedule with 0.09 for good
    with pytest.raises(TypeError, match=r"learning_rate is a schedule \(ExponentialDecay\)"):
        scheduled_over_a_schedule(dg)
    with pytest.raises(TypeError, match="its learning rate is not settable"):
        scheduled_over_a_schedule(keras_or_skip())


# One callback alone ------------------------------------------------------------------------


def one_callback_alone(module):
    """Epochs seen by a LambdaCallback passed alone, not in a list, to fit, evaluate, predict."""
    seen = []
    hook = module.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(epoch),
        on_test_end=lambda logs: seen.append("test"),
        on_predict_end=lambda logs: seen.append("predict"),
    )
    model = one_unit_net(module)
    fit(module, hook, 2, model=model)
    model.evaluate(*data(), verbose=0, callbacks=hook)
    model.predict(data()[0], verbose=0, callbacks=hook)
    return seen


def test_one_callback_alone_is_taken_as_keras_takes_it():
    # deepgrad raised TypeError("'LambdaCallback' object is not iterable")
    ours = one_callback_alone(dg)
    assert ours == [0, 1, "test", "predict"]
    assert ours == one_callback_alone(keras_or_skip())
    with pytest.raises(TypeError, match="expected a Callback or a list of them, got function"):
        fit(dg, lambda epoch: None, 1)

"""The callbacks that watch one logged quantity (EarlyStopping, ReduceLROnPlateau,
ModelCheckpoint), side by side with Keras 3 (on JAX).

Keras compares with ``keras.ops.less``/``greater``, which round Python floats to float32:
``current + min_delta`` (``current - min_delta`` in "max" mode) against the best, both in
float32. deepgrad compared them in float64, so 0.4999999999 beat 0.5, and 0.7 with
``min_delta=0.1`` beat 0.8, where Keras counts no improvement. And Keras settles
``mode="auto"`` at each epoch's end before it reads the value, so a monitor of no known
direction (a misspelt one) raises at the first epoch; deepgrad only warned that it was
not logged, every epoch, and the callback did nothing."""

import numpy as np
import pytest

import deepgrad as dg
from tests.training.test_callbacks_match_keras import fit, forcing, keras_or_skip


def early_stopping_run(module, sequence, **settings):
    """How many epochs ran, and ``stopped_epoch``, when the logged loss is ``sequence``."""
    stopping = module.callbacks.EarlyStopping(monitor="loss", patience=0, **settings)
    history = fit(module, [forcing(module, sequence), stopping], len(sequence))
    return len(history.history["loss"]), stopping.stopped_epoch


@pytest.mark.parametrize(
    "sequence, settings",
    [
        ([0.5, 0.4999999999, 0.4], {}),  # the same float32
        ([0.8, 0.7, 0.6], {"min_delta": 0.1}),  # 0.7 + 0.1 is 0.8 in float32
        ([0.4, 0.3, 0.2], {"min_delta": 0.1}),
        ([0.7, 0.8, 0.9], {"min_delta": 0.1, "mode": "max"}),  # 0.8 - 0.1 is 0.7
    ],
)
def test_early_stopping_compares_in_float32_as_keras(sequence, settings):
    ours = early_stopping_run(dg, sequence, **settings)
    assert ours == (2, 1)  # Keras 3.15: no improvement at the second epoch, so it stops
    assert ours == early_stopping_run(keras_or_skip(), sequence, **settings)


def plateau_rates(module, sequence):
    """The learning rates logged, and the rate at the end, with ``min_delta=0.1``."""
    plateau = module.callbacks.ReduceLROnPlateau(monitor="loss", min_delta=0.1, patience=1)
    history = fit(module, [forcing(module, sequence), plateau], len(sequence))
    final = float(np.asarray(history.model.optimizer.learning_rate))
    return [round(rate, 7) for rate in history.history["learning_rate"]], round(final, 7)


def test_reduce_lr_on_plateau_compares_in_float32_as_keras():
    # 0.8 is an improvement on 1.0 by more than 0.1; 0.7 on 0.8 is not, in float32
    ours = plateau_rates(dg, [1.0, 0.9, 0.8, 0.7])
    assert ours == ([0.1, 0.1, 0.01, 0.01], 0.001)  # Keras 3.15 (deepgrad: 0.01 at the end)
    assert ours == plateau_rates(keras_or_skip(), [1.0, 0.9, 0.8, 0.7])


def checkpoints_saved(module, tmp_path):
    """The epochs ModelCheckpoint(save_best_only) saves when the loss is 0.5, 0.4999999999."""
    suffix = ".dg" if module is dg else ".weights.h5"
    folder = tmp_path / module.__name__
    path = str(folder / "m-{epoch}") + suffix
    checkpoint = module.callbacks.ModelCheckpoint(
        path, monitor="loss", save_best_only=True, save_weights_only=True
    )
    fit(module, [forcing(module, [0.5, 0.4999999999]), checkpoint], 2)
    return sorted(p.name.removesuffix(suffix) for p in folder.iterdir())


def test_model_checkpoint_compares_in_float32_as_keras(tmp_path):
    ours = checkpoints_saved(dg, tmp_path)
    assert ours == ["m-1"]
    assert ours == checkpoints_saved(keras_or_skip(), tmp_path)


MISSPELT = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]


def misspelt_monitor(module, name, tmp_path):
    """Fit one epoch with ``monitor="val_acuracy"`` (not logged, no known direction)."""
    settings = {"monitor": "val_acuracy"}
    if name == "ModelCheckpoint":  # Keras settles the mode without save_best_only too
        suffix = ".dg" if module is dg else ".keras"
        settings["filepath"] = str(tmp_path / "m") + suffix
    fit(module, [getattr(module.callbacks, name)(**settings)], 1)


@pytest.mark.parametrize("name", MISSPELT)
def test_auto_mode_with_a_monitor_of_no_known_direction_raises_as_keras(name, tmp_path):
    with pytest.raises(ValueError, match=f"{name}: mode='auto' cannot tell whether 'val_acuracy'"):
        misspelt_monitor(dg, name, tmp_path)
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        misspelt_monitor(keras_or_skip(), name, tmp_path)


def misnamed_field(module, tmp_path):
    suffix = ".dg" if module is dg else ".keras"
    checkpoint = module.callbacks.ModelCheckpoint(str(tmp_path / "m-{val_los:.2f}") + suffix)
    fit(module, [checkpoint], 1)


def test_a_field_of_the_path_not_logged_is_named_as_keras_names_it(tmp_path):
    # deepgrad raised the bare KeyError('val_los') of str.format
    with pytest.raises(KeyError, match=r"failed to format the filepath .*m-\{val_los:\.2f\}"):
        misnamed_field(dg, tmp_path)
    with pytest.raises(KeyError, match=r"Failed to format this callback filepath"):
        misnamed_field(keras_or_skip(), tmp_path)

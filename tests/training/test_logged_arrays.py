"""Callbacks given a logged value of several numbers (F1Score per class), against Keras 3
(on JAX). CSVLogger: Keras writes it ``"[a, b, c]"``, quotes included, so the field reads
back as one list; deepgrad wrote NumPy's ``[a b c]`` with padding spaces.
ModelCheckpoint(save_best_only): Keras warns and saves as without save_best_only;
deepgrad raised "unsupported format string passed to numpy.ndarray.__format__".
EarlyStopping and ReduceLROnPlateau fail in both, NumPy's "truth value ... is ambiguous"
in Keras; deepgrad's error names the callback and the quantity."""

import csv
import re

import numpy as np
import pytest

import deepgrad as dg
from tests.training.test_callbacks_match_keras import keras_or_skip

X = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
LABELS = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 2, 1, 0, 0]]
KERNEL = np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32) * 0.5


def f1_net(module):
    """A softmax net logging F1Score per class, with fixed weights."""
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(3, activation="softmax")])
    else:
        model = module.Sequential([module.Input((4,)), module.layers.Dense(3, "softmax")])
    model.compile(
        optimizer=module.optimizers.SGD(1.0),
        loss="categorical_crossentropy",
        metrics=[module.metrics.F1Score()],
    )
    model.predict(X, verbose=0)
    model.set_weights([KERNEL, np.zeros(3, np.float32)])
    return model


def fit(module, callback, epochs=1):
    options = {"batch_size": 4, "shuffle": False, "verbose": 0}
    f1_net(module).fit(X, LABELS, epochs=epochs, callbacks=[callback], **options)


def csv_rows(module, path):
    """The rows CSVLogger writes over one epoch."""
    fit(module, module.callbacks.CSVLogger(str(path)))
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def per_class(field):
    """The numbers of a field written as Keras writes a list: '"[a, b, c]"'."""
    match = re.fullmatch(r'"\[(.*)\]"', field)
    assert match, field
    return [float(value) for value in match.group(1).split(", ")]


def test_a_logged_array_is_written_as_keras_writes_it(tmp_path):
    header, row = csv_rows(dg, tmp_path / "ours.csv")
    assert header == ["epoch", "f1_score", "loss", "val_f1_score", "val_loss"]
    ours = per_class(row[1])
    # Keras 3.15: "[0.24999994, 0.24999994, 0.49999997]"
    assert ours == pytest.approx([0.24999994, 0.24999994, 0.49999997], abs=1e-6)
    theirs = csv_rows(keras_or_skip(), tmp_path / "keras.csv")
    assert theirs[0] == header
    assert ours == pytest.approx(per_class(theirs[1][1]), abs=1e-6)
    assert row[3:] == theirs[1][3:] == ["NA", "NA"]


def best_checkpoints(module, folder):
    """The files ModelCheckpoint(save_best_only, monitor="f1_score") writes in 3 epochs."""
    suffix = ".dg" if module is dg else ".weights.h5"
    path = str(folder / "m-{epoch}") + suffix
    settings = {"save_best_only": True, "save_weights_only": True, "mode": "max"}
    with pytest.warns(UserWarning, match="(?i)can save (the )?best model only when"):
        fit(module, module.callbacks.ModelCheckpoint(path, monitor="f1_score", **settings), 3)
    return sorted(p.name.removesuffix(suffix) for p in folder.iterdir())


def test_model_checkpoint_saves_as_without_save_best_only_as_keras(tmp_path):
    (tmp_path / "ours").mkdir()
    ours = best_checkpoints(dg, tmp_path / "ours")
    assert ours == ["m-1", "m-2", "m-3"]
    (tmp_path / "keras").mkdir()
    assert ours == best_checkpoints(keras_or_skip(), tmp_path / "keras")


@pytest.mark.parametrize("name", ["EarlyStopping", "ReduceLROnPlateau"])
def test_a_monitor_of_several_numbers_is_refused_by_name(name):
    callback = getattr(dg.callbacks, name)(monitor="f1_score", mode="max")
    with pytest.raises(ValueError, match=rf"{name}: 'f1_score' is 3 values \(shape \(3,\)\)"):
        fit(dg, callback, 2)
    keras = keras_or_skip()
    with pytest.raises(ValueError, match="ambiguous"):
        fit(keras, getattr(keras.callbacks, name)(monitor="f1_score", mode="max"), 2)

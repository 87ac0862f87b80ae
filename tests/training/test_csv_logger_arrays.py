"""CSVLogger with a logged value of several numbers (F1Score per class), against Keras 3
(on JAX): Keras writes it ``"[a, b, c]"``, quotes included, so the field reads back as
one list; deepgrad wrote NumPy's ``[a b c]`` with padding spaces."""

import csv
import re

import numpy as np
import pytest

import deepgrad as dg
from tests.training.test_callbacks_match_keras import keras_or_skip

X = np.random.default_rng(0).standard_normal((10, 4)).astype(np.float32)
LABELS = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2, 2, 1, 0, 0]]
KERNEL = np.random.default_rng(4).standard_normal((4, 3)).astype(np.float32) * 0.5


def csv_rows(module, path):
    """The rows CSVLogger writes over one epoch of a softmax net logging F1Score."""
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
    logger = module.callbacks.CSVLogger(str(path))
    model.fit(X, LABELS, epochs=1, batch_size=4, shuffle=False, verbose=0, callbacks=[logger])
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

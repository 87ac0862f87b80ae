"""A ``BackupAndRestore`` backup whose metadata was changed after it was written (an entry
deleted, JSON cut short, a random state of another generator, an epoch that is no epoch)
failed to restore with a bare ``KeyError``, a ``json.JSONDecodeError`` or an error from
NumPy's generator naming neither the file nor the entry; and a random state the generator
refused was found only after the backup's optimizer state had been loaded. Each raises a
``ValueError`` that names the file and the entry, and the model's weights, its optimizer's
state and the random state are as they were."""

import json
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, optimizers
from deepgrad.saving.safetensors import decode, encode
from tests.saving.metadata_edits import drop_entry, edit_entry, set_entry

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


def _model():
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def backup(tmp_path_factory):
    dg.random.seed(0)
    folder = tmp_path_factory.mktemp("backup")
    restore = callbacks.BackupAndRestore(folder, delete_checkpoint=False)
    _model().fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[restore])
    return restore.path.read_bytes()


NOT_A_STATE = "the 'random_state' entry of its metadata is not a state of the random generator"
TAMPERED = {
    "no random state": (drop_entry("random_state"), "its metadata has no 'random_state' entry"),
    "random state cut short": (
        set_entry("random_state", '{"bit_generator": "PC'),
        "'random_state' entry .* is not JSON",
    ),
    "random state a list": (
        set_entry("random_state", "[1, 2]"),
        "'random_state' entry .* not an object",
    ),
    "random state without its generator": (
        edit_entry("random_state", lambda s: s.pop("bit_generator")),
        "'random_state' entry of its metadata has no bit_generator",
    ),
    "random state of another generator": (
        edit_entry("random_state", lambda s: s.update(bit_generator="MT19937")),
        NOT_A_STATE + ".*PCG64",
    ),
    "random state without its increment": (
        edit_entry("random_state", lambda s: s["state"].pop("inc")),
        NOT_A_STATE + ".*inc",
    ),
    "random state out of range": (
        edit_entry("random_state", lambda s: s["state"].update(state=-1)),
        NOT_A_STATE,
    ),
    "no epoch": (drop_entry("epoch"), "its metadata has no 'epoch' entry"),
    "epoch a word": (set_entry("epoch", "one"), "'epoch' entry .* is not JSON"),
    "epoch a fraction": (set_entry("epoch", "1.5"), "'epoch' entry .* is not an epoch number"),
    "epoch negative": (set_entry("epoch", "-1"), "'epoch' entry .* is not an epoch number"),
}


def _tamper(blob, change, tmp_path):
    tensors, metadata = decode(blob)
    change(metadata)
    path = tmp_path / "latest.dg"
    path.write_bytes(encode(tensors, metadata))
    return path


def _snapshot(model):
    optimizer = model.optimizer
    state = (
        {k: np.array(v) for k, v in optimizer.state_arrays().items()} if optimizer.params else {}
    )
    return model.get_weights(), state, dg.random.get_state()


def _assert_unchanged(model, snapshot):
    weights, state, random_state = _snapshot(model)
    for now, then in zip(weights, snapshot[0], strict=True):
        np.testing.assert_array_equal(now, then)
    assert state.keys() == snapshot[1].keys()
    for name, array in state.items():
        np.testing.assert_array_equal(array, snapshot[1][name], err_msg=name)
    assert random_state == snapshot[2]


@pytest.mark.parametrize("variant", list(TAMPERED))
def test_a_tampered_backup_names_the_file_and_changes_nothing(backup, tmp_path, variant):
    change, message = TAMPERED[variant]
    path = _tamper(backup, change, tmp_path)
    dg.random.seed(1)
    model = _model()
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)  # trained: its optimizer has state
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message) as caught:
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert type(caught.value) is ValueError  # not a JSONDecodeError, itself a ValueError
    _assert_unchanged(model, snapshot)


def _without_a_weight(tensors, metadata):
    del tensors["model/layers.0.kernel"]


def _on_metadata(change):
    return lambda tensors, metadata: change(metadata)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_on_metadata(drop_entry("architecture")), "its metadata has no 'architecture' entry"),
        (
            _on_metadata(edit_entry("architecture", lambda a: a.pop("build_input_shape"))),
            "'architecture' entry of its metadata has no build_input_shape",
        ),
        (
            _on_metadata(edit_entry("architecture", lambda a: a.update(build_input_shape=None))),
            "cannot build .* for the saved input shape None",
        ),
        (_without_a_weight, "model/layers.0.kernel"),
    ],
    ids=["no architecture", "no input shape", "input shape None", "a weight missing"],
)
def test_a_failed_restore_into_a_new_model_leaves_the_random_state(
    backup, tmp_path, change, message
):
    # a new process resumes into an unbuilt model: the restore builds it, drawing its
    # initial weights from the generator, before the backup's weights are checked
    tensors, metadata = decode(backup)
    change(tensors, metadata)
    path = tmp_path / "latest.dg"
    path.write_bytes(encode(tensors, metadata))
    dg.random.seed(2)
    model = _model()
    random_state = dg.random.get_state()
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert dg.random.get_state() == random_state
    assert not model.optimizer.params  # not bound to the weights


def test_an_optimizer_state_the_optimizer_refuses_names_the_file(backup, tmp_path):
    path = _tamper(backup, lambda metadata: None, tmp_path)
    dg.random.seed(3)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.01, momentum=0.9), loss="mse")  # backup: Adam
    random_state = dg.random.get_state()
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": SGD: optimizer state has"):
        model.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert dg.random.get_state() == random_state


def test_an_intact_backup_still_restores(backup, tmp_path):
    tensors, metadata = decode(backup)
    _tamper(backup, lambda metadata: None, tmp_path)
    model = _model()
    restore = callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[restore])  # both epochs were backed up
    assert model.history.epoch == []
    for (name, _, _, _), weight in zip(model.named_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(weight, tensors[f"model/{name}"])
    assert dg.random.get_state() == json.loads(metadata["random_state"])

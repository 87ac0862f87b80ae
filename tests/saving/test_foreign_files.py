"""Files deepgrad does not read (Keras' .keras and .weights.h5, PyTorch's .pt) and
directories are refused with an error that says what they are; a directory was reported
as "no such file", a Keras file as a safetensors header "length 85966670672". The model
given to ``load_weights`` keeps its weights."""

import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.saving.safetensors import CorruptFileError


def _model():
    dg.random.seed(0)
    return dg.Sequential([dg.Input((4,)), layers.Dense(3)])


def _refused_by_both(path, error, message):
    with pytest.raises(error, match=message):
        dg.load_model(path)
    model = _model()
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_keras_files_are_named(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    _refused_by_both(tmp_path / "model.keras", CorruptFileError, r"zip archive \(a Keras \.keras")
    _refused_by_both(tmp_path / "model.weights.h5", CorruptFileError, "an HDF5 file")


def test_a_pytorch_file_is_named(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(4, 3).state_dict(), tmp_path / "model.pt")
    _refused_by_both(tmp_path / "model.pt", CorruptFileError, r"model\.pt: a zip archive")


def test_a_directory_is_named(tmp_path):
    _refused_by_both(tmp_path, IsADirectoryError, f"{re.escape(str(tmp_path))} is a directory")


def test_saving_to_a_directory_names_it_and_leaves_nothing(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=f"{re.escape(str(folder))} is a directory"):
        _model().save(folder)
    with pytest.raises(IsADirectoryError, match=f"{re.escape(str(folder))} is a directory"):
        _model().save_weights(folder)
    assert sorted(tmp_path.iterdir()) == [folder]  # no temporary file left
    assert not any(folder.iterdir())


def test_other_damage_keeps_its_own_message(tmp_path):
    path = tmp_path / "model.dg"
    _model().save(path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="exceeds the file"):
        dg.load_model(path)

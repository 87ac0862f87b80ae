"""An optimizer's step count was saved only with its state arrays, which exist once the
first training step binds it to the weights. A model compiled with an optimizer whose
``iterations`` was set (to resume a learning-rate schedule) and saved before training
came back at step 0, and its next step ran at the schedule's first rate. Keras 3 saves
``iterations`` always; deepgrad now saves it whenever it is not 0."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers
from deepgrad.optimizers import schedules
from deepgrad.saving.backup import restore_backup, write_backup
from deepgrad.saving.safetensors import decode, encode

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


def _model(iterations):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    rate = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = optimizers.Adam(rate)
    optimizer.iterations = iterations
    model.compile(optimizer=optimizer, loss="mse")
    model(X[:1])
    return model


def _optimizer_entries(path):
    tensors, _ = decode(path.read_bytes())
    return sorted(name for name in tensors if name.startswith("optimizer/"))


def test_the_step_count_of_an_optimizer_not_yet_bound_round_trips(tmp_path):
    model = _model(iterations=50)
    assert model.optimizer.params == []  # bound on the first training step
    model.save(tmp_path / "m.dg")
    assert _optimizer_entries(tmp_path / "m.dg") == ["optimizer/iterations"]
    restored = dg.load_model(tmp_path / "m.dg")
    assert restored.optimizer.iterations == 50
    assert restored.optimizer.current_learning_rate() == model.optimizer.current_learning_rate()
    model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    restored.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert restored.optimizer.iterations == model.optimizer.iterations == 52
    for now, then in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(now, then)
    assert dg.load_model(tmp_path / "m.dg", compile=False).optimizer is None


def test_a_step_count_of_0_leaves_the_file_as_it_was(tmp_path):
    model = _model(iterations=0)
    model.save(tmp_path / "m.dg")
    assert _optimizer_entries(tmp_path / "m.dg") == []
    assert dg.load_model(tmp_path / "m.dg").optimizer.iterations == 0


def test_the_step_count_of_a_trained_optimizer_round_trips(tmp_path):
    model = _model(iterations=7)
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.dg")
    assert "optimizer/0.m" in _optimizer_entries(tmp_path / "m.dg")
    assert dg.load_model(tmp_path / "m.dg").optimizer.iterations == 9


def test_a_backup_taken_before_binding_restores_the_step_count(tmp_path):
    write_backup(_model(iterations=50), tmp_path / "b.dg", epoch=0)
    other = _model(iterations=0)
    assert restore_backup(other, tmp_path / "b.dg") == 0
    assert other.optimizer.iterations == 50


def test_a_tampered_step_count_names_the_file(tmp_path):
    model = _model(iterations=50)
    model.save(tmp_path / "m.dg")
    tensors, metadata = decode((tmp_path / "m.dg").read_bytes())
    tensors["optimizer/iterations"] = np.array([50, 51], np.int64)
    (tmp_path / "bad.dg").write_bytes(encode(tensors, metadata))
    with pytest.raises(ValueError, match=r"bad\.dg: optimizer state 'iterations' has shape"):
        dg.load_model(tmp_path / "bad.dg")

"""Saving and loading: identical predictions, optimizer state bit for bit, corrupt and
tampered files rejected with the model untouched, atomic writes, safetensors compatibility."""

import json
import os
import struct

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, optimizers
from deepgrad.saving.safetensors import CorruptFileError, decode, encode


def _trained(tmp_path=None):
    dg.random.seed(0)
    x = np.random.default_rng(0).standard_normal((40, 5)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    model = dg.Sequential(
        [
            layers.Dense(8, activation="relu", kernel_regularizer="l2"),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Dense(2),
        ]
    )
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.01),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    return model, x, y


def test_save_load_predicts_identically_and_resumes_bit_for_bit(tmp_path):
    model, x, y = _trained()
    path = tmp_path / "model.dg"
    model.save(path)
    restored = dg.load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    for a, b in zip(
        restored.optimizer.state_arrays().values(),
        model.optimizer.state_arrays().values(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    assert restored.optimizer.iterations == model.optimizer.iterations
    state = dg.random.get_state()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    dg.random.set_state(state)
    restored.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_learned_sigma_is_saved(tmp_path):
    x, y = dg.datasets.make_shallow_net_regression(n=50)
    model = dg.Sequential([layers.Dense(2, activation="sigmoid"), layers.Dense(1)])
    model.compile(optimizer="adam", loss=losses.GaussianNLL())
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.dg")
    assert dg.load_model(tmp_path / "m.dg").loss.sigma == pytest.approx(model.loss.sigma)


def test_weights_only(tmp_path):
    model, x, _ = _trained()
    model.save_weights(tmp_path / "w.dg")
    dg.random.seed(1)
    other = dg.Sequential(
        [
            layers.Dense(8, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Dense(2),
        ]
    )
    other(x[:1])
    other.load_weights(tmp_path / "w.dg")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def _corrupt_variants(blob: bytes) -> dict[str, bytes]:
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    name = next(k for k in header if k != "__metadata__")
    bigger = dict(header)
    bigger[name] = {**header[name], "shape": [n + 1 for n in header[name]["shape"]]}
    tampered = json.dumps(bigger).encode()
    tampered += b" " * (-len(tampered) % 8)
    return {
        "empty": b"",
        "truncated data": blob[:-10],
        "truncated header": blob[: 8 + size // 2],
        "huge header length": struct.pack("<Q", 10**12) + blob[8:],
        "garbage header": blob[:8] + b"{" * size + blob[8 + size :],
        "tampered shape": struct.pack("<Q", len(tampered)) + tampered + blob[8 + size :],
        "trailing bytes": blob + b"\0" * 8,
    }


@pytest.mark.parametrize(
    "variant", list(_corrupt_variants(encode({"a": np.ones((2, 3))}, {"x": "y"})))
)
def test_corrupt_files_fail_cleanly_and_change_nothing(tmp_path, variant):
    model, _, _ = _trained()
    model.save(tmp_path / "good.dg")
    blob = (tmp_path / "good.dg").read_bytes()
    (tmp_path / "bad.dg").write_bytes(_corrupt_variants(blob)[variant])
    before = model.get_weights()
    with pytest.raises((CorruptFileError, ValueError)):
        model.load_weights(tmp_path / "bad.dg")
    with pytest.raises((CorruptFileError, ValueError)):
        dg.load_model(tmp_path / "bad.dg")
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_mismatched_weights_leave_the_model_untouched(tmp_path):
    model, x, _ = _trained()
    model.save_weights(tmp_path / "w.dg")
    wider = dg.Sequential(
        [
            layers.Dense(9, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.1),
            layers.Dense(2),
        ]
    )
    wider(x[:1])
    before = wider.get_weights()
    with pytest.raises(
        ValueError, match=r"weight 'model/layers.0.kernel' is float32\[5, 8\] in the file"
    ):
        wider.load_weights(tmp_path / "w.dg")
    for a, b in zip(wider.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_loading_never_runs_code_or_unknown_classes(tmp_path):
    model, _, _ = _trained()
    model.save(tmp_path / "m.dg")
    tensors, metadata = decode((tmp_path / "m.dg").read_bytes())
    architecture = json.loads(metadata["architecture"])
    architecture["class_name"] = "os.system"
    metadata["architecture"] = json.dumps(architecture)
    (tmp_path / "evil.dg").write_bytes(encode(tensors, metadata))
    with pytest.raises(ValueError, match="register_serializable"):
        dg.load_model(tmp_path / "evil.dg")
    architecture["class_name"] = "Sequential"
    architecture["config"]["layers"][0]["class_name"] = "Popen"
    metadata["architecture"] = json.dumps(architecture)
    (tmp_path / "evil2.dg").write_bytes(encode(tensors, metadata))
    with pytest.raises(ValueError, match="unknown layer class 'Popen'"):
        dg.load_model(tmp_path / "evil2.dg")


def test_writes_are_atomic(tmp_path, monkeypatch):
    model, _, _ = _trained()
    path = tmp_path / "m.dg"
    model.save(path)
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    model.layers[0].kernel.data[...] = 0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.dg"]  # no temporary file left behind


def test_compatible_with_the_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    arrays = {
        "w": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array([1.5]),
        "i": np.array(3),
    }
    (tmp_path / "ours.safetensors").write_bytes(encode(arrays, {"k": "v"}))
    loaded = st.load_file(str(tmp_path / "ours.safetensors"))
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].shape == array.shape
    st.save_file(arrays, str(tmp_path / "theirs.safetensors"), metadata={"k": "v"})
    ours, metadata = decode((tmp_path / "theirs.safetensors").read_bytes())
    assert metadata == {"k": "v"}
    for name, array in arrays.items():
        np.testing.assert_array_equal(ours[name], array)


def test_custom_layers_need_registration(tmp_path):
    @layers.register_serializable
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.factor = self.add_weight("factor", (input_shape[-1],), "ones")

        def call(self, inputs):
            return inputs * self.factor

    model = dg.Sequential([Scale(), layers.Dense(1)])
    model(np.ones((1, 2), np.float32))
    model.save(tmp_path / "m.dg")
    np.testing.assert_array_equal(
        dg.load_model(tmp_path / "m.dg").predict(np.ones((1, 2))), model.predict(np.ones((1, 2)))
    )


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_get_the_mode_of_any_new_file(tmp_path, umask):
    """The atomic write goes through a temporary file (made 0o600); the file it renames
    into place gets what open() would give, like the run's other outputs."""
    model, _, _ = _trained()
    previous = os.umask(umask)
    try:
        model.save(tmp_path / "model.dg")
        model.save_weights(tmp_path / "weights.safetensors")
    finally:
        os.umask(previous)
    for name in ("model.dg", "weights.safetensors"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name

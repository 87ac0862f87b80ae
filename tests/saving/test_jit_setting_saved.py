"""``compile``'s ``jit`` (and ``run_eagerly=True``, which is ``jit=False``) is saved with
the compile settings and restored by ``load_model`` and ``model_from_json``, as Keras 3
restores ``jit_compile`` and ``run_eagerly``; it came back as ``"auto"``, which compiles
a model of deepgrad's own layers on the CPU that was compiled with ``jit=False``."""

import json

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.saving.safetensors import decode, encode

X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)


def _model(**compile_arguments):
    dg.random.seed(0)
    model = dg.Sequential([dg.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", **compile_arguments)
    return model


@pytest.mark.parametrize(
    ("arguments", "jit"),
    [({"jit": False}, False), ({"run_eagerly": True}, False), ({"jit": True}, True)],
)
def test_load_model_restores_jit(tmp_path, arguments, jit):
    model = _model(**arguments)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    assert restored.jit is jit


def test_auto_stays_auto_and_is_decided_afresh(tmp_path):
    model = _model()
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    assert restored._jit == "auto"
    assert restored.jit is model.jit


def test_jit_set_by_hand_after_compile_is_saved(tmp_path):
    model = _model()
    model.jit = False
    model.save(tmp_path / "model.dg")
    assert dg.load_model(tmp_path / "model.dg").jit is False


def test_model_from_json_restores_jit():
    restored = dg.models.model_from_json(_model(jit=False).to_json())
    assert restored.jit is False


def test_keras_restores_jit_compile_and_run_eagerly(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", jit_compile=False, run_eagerly=True)
    model.save(tmp_path / "model.keras")
    restored = keras.models.load_model(tmp_path / "model.keras")
    assert (restored.jit_compile, restored.run_eagerly) == (False, True)


def test_a_file_without_the_setting_loads_with_the_default(tmp_path):
    model = _model(jit=False)
    model.save(tmp_path / "model.dg")
    tensors, metadata = decode((tmp_path / "model.dg").read_bytes())
    settings = json.loads(metadata["compile"])
    del settings["jit"]  # as files written before it was saved
    metadata["compile"] = json.dumps(settings)
    (tmp_path / "old.dg").write_bytes(encode(tensors, metadata))
    assert dg.load_model(tmp_path / "old.dg")._jit == "auto"


def test_a_tampered_setting_is_refused_naming_it(tmp_path):
    _model().save(tmp_path / "model.dg")
    tensors, metadata = decode((tmp_path / "model.dg").read_bytes())
    settings = json.loads(metadata["compile"])
    settings["jit"] = "sometimes"
    metadata["compile"] = json.dumps(settings)
    (tmp_path / "bad.dg").write_bytes(encode(tensors, metadata))
    with pytest.raises(ValueError, match=r"bad\.dg: cannot compile .*jit must be .*'sometimes'"):
        dg.load_model(tmp_path / "bad.dg")

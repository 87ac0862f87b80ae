"""A model file whose JSON metadata was changed after it was saved (an entry deleted, a
key taken out of the compile settings, JSON cut short) failed to load with a bare
``KeyError: 'loss'``, a ``json.JSONDecodeError`` or a ``TypeError`` from deep inside
the load, none naming the file. Each now raises a ``ValueError`` that names the file and
the entry at fault; the model a failed load was meant to fill keeps its weights."""

import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.saving.safetensors import decode, encode
from tests.saving.metadata_edits import drop_entry, edit_entry, set_entry

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = RNG.normal(size=(16, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path_factory.mktemp("saved") / "model.dg"
    model.save(path)
    return model, path.read_bytes()


def _first_layer_config(architecture):
    return architecture["config"]["layers"][0]["config"]


TAMPERED = {
    "compile without loss": (
        edit_entry("compile", lambda c: c.pop("loss")),
        "the 'compile' entry of its metadata has no loss",
    ),
    "compile without optimizer": (
        edit_entry("compile", lambda c: c.pop("optimizer")),
        "the 'compile' entry of its metadata has no optimizer",
    ),
    "compile cut short": (set_entry("compile", '{"loss": "ms'), "'compile' entry .* is not JSON"),
    "compile a list": (set_entry("compile", "[1, 2]"), "'compile' entry .* is not an object"),
    "unknown optimizer": (
        edit_entry("compile", lambda c: c["optimizer"].update(class_name="Nope")),
        "cannot compile the model with its saved settings .*Nope",
    ),
    "no architecture": (drop_entry("architecture"), "its metadata has no 'architecture' entry"),
    "architecture cut short": (
        set_entry("architecture", '{"class_name": "Seq'),
        "'architecture' entry .* is not JSON",
    ),
    "architecture without config": (
        edit_entry("architecture", lambda a: a.pop("config")),
        "the 'architecture' entry of its metadata has no config",
    ),
    "a layer without its units": (
        edit_entry("architecture", lambda a: _first_layer_config(a).pop("units")),
        "cannot rebuild the Sequential from its saved architecture .*units",
    ),
    "trainable cut short": (
        set_entry("trainable", '[["Sequential", tr'),
        "'trainable' entry .* JSON",
    ),
    "trainable not pairs": (
        set_entry("trainable", "[1, 2, 3]"),
        "not a list of \\[layer class, flag",
    ),
}


@pytest.mark.parametrize("variant", list(TAMPERED))
def test_tampered_metadata_names_the_file_and_the_entry(saved, tmp_path, variant):
    model, blob = saved
    tensors, metadata = decode(blob)
    change, message = TAMPERED[variant]
    change(metadata)
    path = tmp_path / "tampered.dg"
    path.write_bytes(encode(tensors, metadata))
    before = model.get_weights()
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message) as caught:
        dg.load_model(path)
    assert type(caught.value) is ValueError  # not a JSONDecodeError, itself a ValueError
    model.load_weights(path)  # the weights in the file are intact: they load
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_a_tampered_optimizer_state_names_the_file(saved, tmp_path):
    _, blob = saved
    tensors, metadata = decode(blob)
    name = next(k for k in sorted(tensors) if k.startswith("optimizer/") and k.endswith(".m"))
    del tensors[name]
    path = tmp_path / "tampered.dg"
    path.write_bytes(encode(tensors, metadata))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": Adam: optimizer state has"):
        dg.load_model(path)
    assert dg.load_model(path, compile=False).get_weights()[0].shape == (3, 4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda blob: blob[: len(blob) // 2], "header length .* exceeds the file"),
        (lambda blob: blob[:-7], "which the file does not hold"),
        (lambda blob: b"a text file, not a model\n" * 4, "not safetensors"),
        (lambda blob: encode({"a": np.ones(3)}, {"k": "v"}), "not a deepgrad model file"),
    ],
    ids=["truncated header", "truncated data", "text", "other safetensors"],
)
def test_a_file_that_is_no_model_names_itself(saved, tmp_path, content, message):
    model, blob = saved
    path = tmp_path / "bad.dg"
    path.write_bytes(content(blob))
    before = model.get_weights()
    for load in (dg.load_model, model.load_weights):
        with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
            load(path)
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)

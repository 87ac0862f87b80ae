"""Keras 3's arguments of ``model.save`` (``overwrite``, ``zipped``), ``save_weights``
(``overwrite``, ``max_shard_size``) and ``load_model`` (``custom_objects``, ``compile``,
``safe_mode``, in Keras' order): they were refused as unknown."""

import inspect

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


def _model():
    dg.random.seed(0)
    return dg.Sequential([dg.Input((3,)), layers.Dense(2)])


@pytest.mark.parametrize("method", ["save", "save_weights"])
def test_overwrite_false_refuses_an_existing_file(tmp_path, method):
    path = tmp_path / "model.dg"
    path.write_bytes(b"before")
    with pytest.raises(FileExistsError, match=r"model\.dg exists and overwrite=False"):
        getattr(_model(), method)(path, overwrite=False)
    assert path.read_bytes() == b"before"
    getattr(_model(), method)(tmp_path / "new.dg", overwrite=False)  # a new file is written
    getattr(_model(), method)(path, overwrite=True)
    assert path.read_bytes() != b"before"


@pytest.mark.parametrize(
    ("method", "argument", "message"),
    [
        ("save", {"zipped": True}, "zipped=True chooses a Keras file format"),
        ("save_weights", {"max_shard_size": 1}, "max_shard_size=1 splits"),
    ],
)
def test_keras_formats_are_refused(tmp_path, method, argument, message):
    with pytest.raises(ValueError, match=message):
        getattr(_model(), method)(tmp_path / "model.dg", **argument)
    assert not (tmp_path / "model.dg").exists()


def test_overwrite_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError, match="overwrite must be True or False, got 'no'"):
        _model().save(tmp_path / "model.dg", overwrite="no")


class Doubled(layers.Layer):  # not registered: found through custom_objects only
    def call(self, inputs, training=False):
        return inputs * 2


def test_load_model_finds_custom_objects_for_its_duration_only(tmp_path):
    model = dg.Sequential([dg.Input((3,)), layers.Dense(2), Doubled()])
    model.save(tmp_path / "model.dg")
    with pytest.raises(ValueError, match="unknown layer class 'Doubled'"):
        dg.load_model(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg", custom_objects={"Doubled": Doubled})
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(ValueError, match="unknown layer class 'Doubled'"):
        dg.load_model(tmp_path / "model.dg")


def test_load_model_refuses_what_it_cannot_take(tmp_path):
    _model().save(tmp_path / "model.dg")
    with pytest.raises(TypeError, match=r"custom_objects\['f'\] is .*Layer subclasses"):
        dg.load_model(tmp_path / "model.dg", custom_objects={"f": np.tanh})  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match="compile is the third argument"):
        # the old second argument
        dg.load_model(tmp_path / "model.dg", False)  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match="safe_mode must be True or False, got 'yes'"):
        dg.load_model(tmp_path / "model.dg", safe_mode="yes")  # pyright: ignore[reportArgumentType]


def test_safe_mode_and_compile_by_position_as_keras(tmp_path):
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "model.dg")
    assert dg.load_model(tmp_path / "model.dg", None, False, False).optimizer is None
    assert dg.load_model(tmp_path / "model.dg", safe_mode=False).optimizer is not None


def test_the_signatures_are_keras():
    keras = pytest.importorskip("keras")

    def names(function):
        return list(inspect.signature(function).parameters)[:4]

    assert names(dg.load_model) == names(keras.saving.load_model)
    assert names(dg.Model.save) == names(keras.Model.save)
    assert names(dg.Model.save_weights) == names(keras.Model.save_weights)
    assert names(dg.Model.load_weights) == names(keras.Model.load_weights)[:3]

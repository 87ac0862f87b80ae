"""``model.export(path)`` and ``deepgrad export MODEL OUTPUT``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.onnx
from deepgrad import layers
from deepgrad.cli import main

from .conftest import run_onnx


def _model():
    model = dg.Sequential([layers.Dense(4, activation="selu", input_shape=(3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_model_export_writes_onnx(onnx_path):
    model = _model()
    model.export(onnx_path)
    x = np.ones((3, 3), np.float32)
    np.testing.assert_allclose(run_onnx(onnx_path, x), model.predict(x), rtol=1e-5, atol=1e-5)


def test_model_export_names_an_unknown_format(onnx_path):
    with pytest.raises(ValueError, match=r"no exporter for 'tflite' \(known: \['onnx'\]\)"):
        _model().export(onnx_path, format="tflite")


def test_the_export_command(tmp_path, capsys):
    model = _model()
    model.save(tmp_path / "model.dg")
    assert main(["export", str(tmp_path / "model.dg"), str(tmp_path / "model.onnx")]) == 0
    assert "opset 17" in capsys.readouterr().out
    x = np.ones((2, 3), np.float32)
    got = run_onnx(tmp_path / "model.onnx", x)
    np.testing.assert_allclose(got, model.predict(x), rtol=1e-5, atol=1e-5)


def test_the_export_command_reports_a_missing_file(tmp_path, capsys):
    assert main(["export", str(tmp_path / "absent.dg"), str(tmp_path / "m.onnx")]) == 1
    assert "deepgrad: error:" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()

"""ONNX Runtime is the judge: an exported model must give deepgrad's predictions.

The tests need the ``onnx`` extra and ONNX Runtime (both in ``dev``); without them this
folder is not collected.
"""

import importlib.util

import numpy as np
import pytest

if importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None:
    collect_ignore_glob = ["test_*.py"]

BATCH_SIZES = (1, 7)  # the batch dimension is dynamic: two sizes through one file


def run_onnx(path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(["output"], {"input": x})
    return output


@pytest.fixture
def onnx_path(tmp_path):
    return tmp_path / "model.onnx"

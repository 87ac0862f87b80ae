"""ONNX Runtime is the judge: an exported model must give deepgrad's predictions."""

import numpy as np
import pytest

pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

BATCH_SIZES = (1, 7)  # the batch dimension is dynamic: two sizes through one file


def run_onnx(path, x: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(["output"], {"input": x})
    return output


@pytest.fixture
def onnx_path(tmp_path):
    return tmp_path / "model.onnx"

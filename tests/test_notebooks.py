"""The lab notebook (examples/notebooks/) runs top to bottom in a Jupyter kernel, with no
error and nothing on stderr; it is kept in git without outputs. Models, evaluation traces
and inference summaries show as HTML tables in a notebook (``_repr_html_``)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import layers

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "examples" / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_runs(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    notebook = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    stderr = [o["text"] for o in outputs if o.get("name") == "stderr"]
    assert stderr == []  # no warning (a progress bar's IProgress warning would land here)
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<table>" in h and "Total params" in h for h in html)  # the model's summary
    assert any("Reverse adjoint trace" in h for h in html)  # the evaluation trace
    text = "".join(o.get("text", "") for o in outputs)
    accuracy = float(re.search(r"test accuracy (\d\.\d+)", text).group(1))
    assert accuracy > 0.9


def test_a_model_shows_its_summary_as_an_html_table():
    model = dg.Sequential([layers.Dense(4, input_shape=(3,), name="hidden"), layers.Dense(2)])
    html = model._repr_html_()
    assert html.count("<tr>") == 3  # the header and two layers
    assert "<td>hidden (Dense)</td><td>(None, 4)</td><td>16</td>" in html
    assert "Total params: 26" in html


def test_a_functional_model_shows_what_each_layer_is_connected_to():
    inputs = dg.Input((3,), name="x")
    model = dg.Model(inputs, layers.Dense(2, name="out")(inputs))
    assert "<th>Connected to</th>" in model._repr_html_()
    assert "<td>x[0][0]</td>" in model._repr_html_()


def test_an_evaluation_trace_shows_its_three_tables():
    def f(x1, x2):
        return dnp.log(x1) + x1 * x2 - dnp.sin(x2)

    html = dg.trace(f, 2.0, 5.0)._repr_html_()
    for title in ("Forward primal trace", "Forward tangent trace", "Reverse adjoint trace"):
        assert f"<b>{title}</b>" in html
    assert "11.6521" in html and "5.5000" in html


def test_an_inference_summary_shows_its_table():
    inference = pytest.importorskip("deepgrad.inference")
    summary_class = inference.summary.Summary
    table = summary_class(
        names=["w<0>"],
        estimates=np.array([1.5]),
        standard_errors=np.array([0.5]),
        statistics=np.array([3.0]),
        p_values=np.array([0.0027]),
        lower=np.array([0.52]),
        upper=np.array([2.48]),
        level=0.95,
        degrees_of_freedom=None,
        condition_number=1.0,
        notes=["a note"],
    )
    html = table._repr_html_()
    assert "<th>w&lt;0&gt;</th><td>1.5000</td><td>0.5000</td><td>3.0000</td>" in html
    assert "<th>P&gt;|z|</th>" in html and "<p>Note: a note</p>" in html

"""``deepgrad.onnx.load``: models exported by PyTorch, inside the test, read back with their
weights: the same predictions as PyTorch, and fine-tunable."""

import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import deepgrad as dg
from deepgrad import layers
from deepgrad.onnx import ImportGraphError, export, load

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(1)


def _torch_export(net, path, features, dynamo):
    example = (torch.zeros(2, features),)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")
            batch = torch.export.Dim("batch")
            torch.onnx.export(net, example, str(path), dynamo=True, dynamic_shapes=({0: batch},))
        else:
            torch.onnx.export(
                net,
                example,
                str(path),
                dynamo=False,
                input_names=["x"],
                dynamic_axes={"x": {0: "batch"}},
            )


NETS = {
    "linear_relu": lambda: torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    ),
    "deep_mixed": lambda: torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 8),
        torch.nn.Sigmoid(),
        torch.nn.Linear(8, 8),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(8, 8),
        torch.nn.ELU(0.5),
        torch.nn.Linear(8, 8),
        torch.nn.GELU(),
        torch.nn.Linear(8, 8),
        torch.nn.GELU(approximate="tanh"),
        torch.nn.Linear(8, 8),
        torch.nn.SELU(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(8, 4, bias=False),
        torch.nn.Softmax(dim=-1),
    ),
    # the dynamo exporter writes Softplus(threshold=20) as Greater/Where/Softplus nodes, a
    # branch; the TorchScript exporter writes one Softplus node
    "softplus": lambda: torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Softplus()),
    "batch_norm": lambda: _with_running_statistics(
        torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8, eps=0.1))
    ),
    "layer_norm": lambda: torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.LayerNorm(8, eps=0.1), torch.nn.Linear(8, 3)
    ),
}


def _with_running_statistics(net):
    """Running mean and variance, γ and β away from their defaults, so that a reader
    ignoring one of them is caught."""
    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.normal_()
            module.bias.data.normal_()
    return net


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
@pytest.mark.parametrize("name", sorted(NETS))
def test_a_pytorch_sequential_gives_pytorchs_predictions(name, dynamo, tmp_path):
    if name == "softplus" and dynamo:
        with pytest.raises(ImportGraphError, match="'Greater'"):
            _check_against_torch(name, dynamo, tmp_path)
        return
    _check_against_torch(name, dynamo, tmp_path)


def _check_against_torch(name, dynamo, tmp_path):
    torch.manual_seed(0)
    net = NETS[name]().eval()
    path = tmp_path / "net.onnx"
    _torch_export(net, path, 5, dynamo)
    model = load(path)
    assert isinstance(model, dg.Sequential) and model.input_shape == (None, 5)
    for batch in (1, 9):
        x = RNG.normal(size=(batch, 5)).astype(np.float32)
        with torch.no_grad():
            expected = net(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


def test_a_loaded_model_can_be_fine_tuned(tmp_path):
    torch.manual_seed(0)
    net = NETS["linear_relu"]()
    path = tmp_path / "net.onnx"
    _torch_export(net, path, 5, dynamo=False)
    model = load(path)
    x = RNG.normal(size=(64, 5)).astype(np.float32)
    y = RNG.integers(0, 3, size=64)
    model.compile(optimizer="adam", loss=dg.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert float(np.ravel(after)[0]) < float(np.ravel(before)[0])


def test_a_deepgrad_export_reads_back(tmp_path):
    model = dg.Sequential([layers.Dense(6, input_shape=(4,)), layers.ReLU(), layers.Dense(2)])
    export(model, tmp_path / "m.onnx")
    loaded = load(tmp_path / "m.onnx")
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def _write(tmp_path, nodes, initializers, outputs="y"):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info(outputs, TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_matmul_then_add_is_one_dense_layer(tmp_path):
    w = RNG.normal(size=(3, 3)).astype(np.float32)
    b = RNG.normal(size=(3,)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["y"]),
    ]
    model = load(_write(tmp_path, nodes, {"w": w, "b": b}))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"]
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x), x @ w + b, rtol=1e-6)


def test_an_op_it_cannot_read_is_named(tmp_path):
    nodes = [helper.make_node("Cos", ["x"], ["y"], name="the_cos")]
    with pytest.raises(ImportGraphError, match=r"'the_cos' has op type 'Cos'"):
        load(_write(tmp_path, nodes, {}))


def test_a_branch_is_refused(tmp_path):
    w = RNG.normal(size=(3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "w"], ["h"], name="g"),
        helper.make_node("Add", ["h", "x"], ["y"], name="residual"),
    ]
    with pytest.raises(ImportGraphError, match=r"'residual' \(Add\) reads 'x'"):
        load(_write(tmp_path, nodes, {"w": w}))


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_a_flatten_before_the_linear_layers(dynamo, tmp_path):
    """nn.Flatten is a Reshape to (-1, 6) from the dynamo exporter, a Flatten otherwise."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 2), torch.nn.ReLU()).eval()
    path = tmp_path / "net.onnx"
    example = (torch.zeros(2, 2, 3),)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")
            shapes = ({0: torch.export.Dim("batch")},)
            torch.onnx.export(net, example, str(path), dynamo=True, dynamic_shapes=shapes)
        else:
            axes = {"x": {0: "batch"}}
            torch.onnx.export(
                net, example, str(path), dynamo=False, input_names=["x"], dynamic_axes=axes
            )
    model = load(path)
    x = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)


def test_a_reshape_that_loses_the_batch_axis_is_refused(tmp_path):
    shape = np.array([3, -1], np.int64)
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["y"], name="flat")]
    with pytest.raises(ImportGraphError, match=r"'flat' \(Reshape\) reshapes to \[3, -1\]"):
        load(_write(tmp_path, nodes, {"shape": shape}))

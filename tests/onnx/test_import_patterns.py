"""``deepgrad.onnx.load`` on what PyTorch's two exporters write for GELU, SiLU, hard swish,
Mish, ReLU6, Hardtanh and LayerNorm, at the opsets they support: one node, or several
(GELU before opset 20, SiLU, LayerNorm before opset 17). ONNX Runtime on the same file and
PyTorch are the references; a pattern that is only partly there is refused by name."""

import functools
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.onnx import ImportGraphError, load
from deepgrad.tensor import raw_data

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(5)
nn = torch.nn


def _layer_norm(**options):
    """LayerNorm with γ and β away from 1 and 0, so a reader dropping either is caught."""
    norm = nn.LayerNorm(8, eps=0.1, **options)
    with torch.no_grad():
        if norm.weight is not None:
            norm.weight.normal_()
        if norm.bias is not None:
            norm.bias.normal_()
    return norm


PIECES = {
    "gelu": lambda: nn.GELU(),
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "silu": lambda: nn.SiLU(),
    "hardswish": lambda: nn.Hardswish(),
    "hardsigmoid": lambda: nn.Hardsigmoid(),
    "mish": lambda: nn.Mish(),
    "relu6": lambda: nn.ReLU6(),
    "hardtanh": lambda: nn.Hardtanh(),
    "hardtanh_0_3": lambda: nn.Hardtanh(0.0, 3.0),
    "hardtanh_wide": lambda: nn.Hardtanh(-2.0, 3.0),
    "layer_norm": lambda: _layer_norm(),
    "layer_norm_no_bias": lambda: _layer_norm(bias=False),
    "layer_norm_plain": lambda: _layer_norm(elementwise_affine=False),
}

# TorchScript: opset 9 (Clip's bounds as attributes, hard swish as HardSigmoid and Mul), 11
# (Clip's bounds as inputs), 16 (LayerNorm and GELU decomposed, HardSwish one node), 20
# (LayerNormalization, Gelu); dynamo: its lowest (18, GELU decomposed) and its default
EXPORTS = [("torchscript", 9), ("torchscript", 11), ("torchscript", 16), ("torchscript", 20)]
EXPORTS += [("dynamo", 18), ("dynamo", None)]


def _export(net, path, exporter, opset):
    example = (torch.zeros(2, 5),)
    options = {} if opset is None else {"opset_version": opset}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            pytest.importorskip("onnxscript")
            shapes = ({0: torch.export.Dim("batch")},)
            torch.onnx.export(
                net, example, str(path), dynamo=True, dynamic_shapes=shapes, **options
            )
        else:
            axes = {"x": {0: "batch"}}
            torch.onnx.export(
                net,
                example,
                str(path),
                dynamo=False,
                input_names=["x"],
                dynamic_axes=axes,
                **options,
            )


def _runtime(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize(("exporter", "opset"), EXPORTS, ids=[f"{e}-{o}" for e, o in EXPORTS])
@pytest.mark.parametrize("piece", sorted(PIECES))
def test_a_pytorch_piece_gives_onnx_runtimes_and_pytorchs_predictions(
    piece, exporter, opset, tmp_path
):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), PIECES[piece](), nn.Linear(8, 3)).eval()
    path = tmp_path / "net.onnx"
    _export(net, path, exporter, opset)
    model = load(path)
    assert len(model.layers) == 3
    for batch in (1, 9):
        x = (3 * RNG.normal(size=(batch, 5))).astype(np.float32)  # past the clipping bounds
        with torch.no_grad():
            expected = net(torch.from_numpy(x)).numpy()
        predicted = model.predict(x, verbose=0)
        np.testing.assert_allclose(predicted, _runtime(path, x), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [9, 16])
def test_a_decomposed_layer_norm_is_a_layer_normalization_with_its_weights(opset, tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), _layer_norm()).eval()
    path = tmp_path / "net.onnx"
    _export(net, path, "torchscript", opset)
    norm = load(path).layers[1]
    assert isinstance(norm, layers.LayerNormalization)
    assert norm.epsilon == pytest.approx(0.1) and norm.axis == -1
    np.testing.assert_array_equal(raw_data(norm.gamma), net[1].weight.detach().numpy())
    np.testing.assert_array_equal(raw_data(norm.beta), net[1].bias.detach().numpy())


def test_a_read_gelu_can_be_fine_tuned(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 1)).eval()
    path = tmp_path / "net.onnx"
    _export(net, path, "torchscript", 16)
    model = load(path)
    x = RNG.normal(size=(64, 5)).astype(np.float32)
    y = RNG.normal(size=(64, 1)).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    before = float(np.ravel(model.evaluate(x, y, verbose=0))[0])
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert float(np.ravel(model.evaluate(x, y, verbose=0))[0]) < before


def test_deepgrads_own_gelu_and_layer_norm_read_back(tmp_path):
    """deepgrad's exporter writes the same functions with other orders of the products."""
    model = dg.Sequential(
        [
            layers.Dense(6, activation="gelu", input_shape=(4,)),
            layers.Activation("silu"),
            layers.LayerNormalization(epsilon=0.01),
            layers.Activation(dg.activations.hard_silu),
            layers.Dense(2, activation="mish"),
        ]
    )
    model.export(tmp_path / "m.onnx")
    loaded = load(tmp_path / "m.onnx")
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# ---- hand-written graphs: a pattern only partly there -------------------------------------


def _write(tmp_path, nodes, constants, opset=17, run=True):
    """Gemm by ``w`` (3×3) and ``b`` then ``nodes``, from ``x`` to ``y``; checked to be a graph ONNX
    Runtime runs, unless ``run`` is false."""
    constants = {"w": RNG.normal(size=(3, 3)), "b": RNG.normal(size=3), **constants}
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="dense"), *nodes],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(_float32(v), k) for k, v in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    path = tmp_path / "g.onnx"
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    if run:
        _runtime(path, np.ones((2, 3), np.float32))
    return path


def _float32(value):
    value = np.asarray(value)
    return value if value.dtype == np.int64 else value.astype(np.float32)


def _gelu_nodes(root2=1.4142135, one=1.0, half=0.5, last_input="h"):
    nodes = [
        helper.make_node("Div", ["h", "root2"], ["d"], name="divide"),
        helper.make_node("Erf", ["d"], ["e"], name="erf"),
        helper.make_node("Add", ["e", "one"], ["a"], name="one_plus"),
        helper.make_node("Mul", [last_input, "a"], ["m"], name="times_x"),
        helper.make_node("Mul", ["m", "half"], ["y"], name="half"),
    ]
    return nodes, {"root2": root2, "one": one, "half": half}


def test_a_hand_written_exact_gelu_reads(tmp_path):
    path = _write(tmp_path, *_gelu_nodes())
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(load(path).predict(x, verbose=0), _runtime(path, x), atol=1e-6)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"root2": 2.0}, r"'divide' \(Div\) divides 'h' by 2, not √2"),
        ({"one": 2.0}, r"'one_plus' \(Add\) adds \['e', 'one'\] to 'e', not 1"),
        ({"half": 0.25}, r"'half' \(Mul\) computes 0.25·a·h, not 0.5·h·a"),
        ({"last_input": "x"}, r"'times_x' \(Mul\) computes 1·a·x, not 0.5·h·a"),
    ],
)
def test_a_gelu_that_differs_is_refused_naming_the_node(change, message, tmp_path):
    path = _write(tmp_path, *_gelu_nodes(**change))
    with pytest.raises(ImportGraphError, match=message):
        load(path)


def test_a_mul_of_a_sigmoid_of_another_tensor_is_refused(tmp_path):
    nodes = [
        helper.make_node("Sigmoid", ["h"], ["s"], name="gate"),
        helper.make_node("Mul", ["s", "x"], ["y"], name="product"),
    ]
    with pytest.raises(ImportGraphError, match=r"'product' \(Mul\) multiplies 's' by 'x'"):
        load(_write(tmp_path, nodes, {}))


def test_a_silu_whose_gate_is_also_read_elsewhere_is_refused(tmp_path):
    nodes = [
        helper.make_node("Sigmoid", ["h"], ["s"], name="gate"),
        helper.make_node("Mul", ["h", "s"], ["m"], name="product"),
        helper.make_node("Add", ["m", "h"], ["y"], name="residual"),
    ]
    with pytest.raises(ImportGraphError, match=r"'residual' \(Add\) reads 'h'.*a branch"):
        load(_write(tmp_path, nodes, {}))


def test_a_hard_sigmoid_other_than_pytorchs_is_refused(tmp_path):
    nodes = [helper.make_node("HardSigmoid", ["h"], ["y"], name="hs")]  # ONNX's α = 0.2
    with pytest.raises(ImportGraphError, match=r"'hs' \(HardSigmoid\) computes .*0.2·x"):
        load(_write(tmp_path, nodes, {}))


def test_a_clip_with_a_bound_that_is_not_a_constant_is_refused(tmp_path):
    """In a chain, a computed bound can only come from the chain itself. (ONNX Runtime
    would refuse this bound when run, it is not a scalar; the reader refuses it first.)"""
    nodes = [
        helper.make_node("Relu", ["h"], ["r"], name="relu"),
        helper.make_node("Clip", ["r", "h", "high"], ["y"], name="clip"),
    ]
    with pytest.raises(ImportGraphError, match=r"'clip' \(Clip\) takes its min from 'h'"):
        load(_write(tmp_path, nodes, {"high": 6.0}, run=False))


@pytest.mark.parametrize(
    ("bounds", "opset", "expected"),
    [
        ({"min": 0.0}, 9, "relu"),
        ({"max": 2.0}, 9, "clip"),
        ({"min": -1.0, "max": 1.0}, 9, "hard_tanh"),
    ],
)
def test_a_clip_with_bounds_as_attributes(bounds, opset, expected, tmp_path):
    """Before opset 11 a bound left out is no bound (the float32 extreme)."""
    path = _write(tmp_path, [helper.make_node("Clip", ["h"], ["y"], **bounds)], {}, opset)
    model = load(path)
    activation = model.layers[-1].activation
    assert getattr(activation, "func", activation).__name__ == expected
    x = (3 * RNG.normal(size=(6, 3))).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), _runtime(path, x), atol=1e-6)


def _layer_norm_nodes(opset, power=2.0):
    """Below opset 18 ReduceMean takes its axes as an attribute, from 18 on as an input."""
    if opset < 18:
        reduce = functools.partial(helper.make_node, "ReduceMean", axes=[-1])
        axes = []
    else:
        reduce = functools.partial(helper.make_node, "ReduceMean")
        axes = ["axes"]
    nodes = [
        reduce(["h", *axes], ["mean"], name="mean"),
        helper.make_node("Sub", ["h", "mean"], ["c"], name="centre"),
        helper.make_node("Pow", ["c", "power"], ["p"], name="square"),
        reduce(["p", *axes], ["v"], name="variance"),
        helper.make_node("Add", ["v", "eps"], ["ve"], name="plus_eps"),
        helper.make_node("Sqrt", ["ve"], ["r"], name="root"),
        helper.make_node("Div", ["c", "r"], ["n"], name="divide"),
        helper.make_node("Mul", ["gamma", "n"], ["g"], name="scale"),
        helper.make_node("Add", ["g", "beta"], ["y"], name="shift"),
    ]
    constants = {"power": power, "eps": 0.01, "gamma": RNG.normal(size=3)}
    constants.update(beta=RNG.normal(size=(1, 3)), axes=np.array([-1], np.int64))
    return nodes, constants


@pytest.mark.parametrize("opset", [13, 18])
def test_a_hand_written_layer_norm_reads(opset, tmp_path):
    path = _write(tmp_path, *_layer_norm_nodes(opset), opset=opset)
    x = RNG.normal(size=(4, 3)).astype(np.float32)
    model = load(path)
    assert model.layers[-1].epsilon == pytest.approx(0.01)
    np.testing.assert_allclose(model.predict(x, verbose=0), _runtime(path, x), atol=1e-5)


def test_a_layer_norm_squared_by_another_power_is_refused(tmp_path):
    path = _write(tmp_path, *_layer_norm_nodes(13, power=3.0), opset=13)
    with pytest.raises(ImportGraphError, match=r"'centre' \(Sub\) is not squared"):
        load(path)


def test_a_layer_norm_over_the_batch_axis_is_refused(tmp_path):
    nodes = [
        helper.make_node("ReduceMean", ["h"], ["mean"], name="mean", axes=[0]),
        helper.make_node("Sub", ["h", "mean"], ["y"], name="centre"),
    ]
    path = _write(tmp_path, nodes, {}, opset=13)
    with pytest.raises(ImportGraphError, match=r"'mean' \(ReduceMean\) averages over axes \[0\]"):
        load(path)


def test_a_gelu_node_with_an_unknown_approximation_is_refused(tmp_path):
    """ONNX defines approximate="none" and "tanh"; another value was read as exact GELU."""
    nodes = [helper.make_node("Gelu", ["h"], ["y"], name="gelu", approximate="fast")]
    path = _write(tmp_path, nodes, {}, opset=20, run=False)
    with pytest.raises(ImportGraphError, match=r"'gelu' \(Gelu\) has approximate='fast'"):
        load(path)

"""The device model on the CPU: names, the current device, DEEPGRAD_DEVICE, clear errors
without CuPy, tensors and layers moved between devices, device random generators, and mixed
devices named in one error. The guard backend (tests/backend/guard.py) is registered as the
device ``guard:0``, a stand-in for a GPU whose arrays refuse implicit conversion to NumPy."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import device as device_module
from deepgrad.device import Device, DeviceError, device_of, to_device
from deepgrad.tensor import raw_data
from tests.backend.guard import GuardArray, ImplicitConversionError

HAS_CUPY = importlib.util.find_spec("cupy") is not None


@pytest.fixture(autouse=True)
def _back_on_the_cpu():
    yield
    dg.set_device("cpu")


# ---- names and the current device -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cpu", "cpu"), ("gpu", "cuda:0"), ("cuda", "cuda:0"), ("cuda:3", "cuda:3"),
     ("GPU:1", "cuda:1"), ("guard", "guard:0")],
)  # fmt: skip
def test_device_names_parse(name, expected):
    assert str(device_module.device(name)) == expected


@pytest.mark.parametrize("name", ["tpu", "cuda:x", "cpu:1", "cuda:-1"])
def test_a_device_name_that_is_not_one_is_an_error(name):
    with pytest.raises(DeviceError, match="device"):
        device_module.device(name)


def test_devices_compare_with_each_other_and_with_names():
    assert Device("cuda", 1) == "cuda:1"
    assert Device("cuda", 0) != Device("cuda", 1)
    assert len({Device("cpu"), device_module.device("cpu")}) == 1
    assert Device("cpu") != "not a device" and Device("cpu") != 0


def test_the_default_device_is_the_cpu():
    assert dg.get_device() == "cpu"
    assert dg.tensor([1.0]).device == "cpu"


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed here: the GPU tests cover it")
@pytest.mark.parametrize("name", ["gpu", "cuda:1"])
def test_set_device_without_cupy_is_a_clear_error_at_once(name):
    with pytest.raises(DeviceError, match=r"set_device\('" + name + r"'\): CuPy is not installed"):
        dg.set_device(name)
    assert dg.get_device() == "cpu"  # nothing changed
    with pytest.raises(DeviceError, match="CuPy is not installed"):
        dg.tensor([1.0], device=name)


def test_set_device_checks_the_device_number():
    with pytest.raises(DeviceError, match=r"there is 1 guard device \(numbered from 0\)"):
        dg.set_device("guard:1")


def _run_with_environment(value: str, code: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DEEPGRAD_DEVICE": value}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )


def test_deepgrad_device_cpu_in_the_environment():
    result = _run_with_environment("cpu", "import deepgrad as dg; print(dg.get_device())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cpu"


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed here: the GPU tests cover it")
def test_deepgrad_device_gpu_without_cupy_fails_at_import_naming_the_variable():
    result = _run_with_environment("gpu", "import deepgrad")
    assert result.returncode != 0
    assert "DEEPGRAD_DEVICE('gpu'): CuPy is not installed" in result.stderr
    assert "unset DEEPGRAD_DEVICE" in result.stderr


def test_using_device_sets_and_restores_the_current_device():
    with dg.using_device("guard") as where:
        assert where == "guard:0" and dg.get_device() == "guard:0"
        assert isinstance(raw_data(dg.tensor([1.0, 2.0])), np.ndarray)  # data keep their place
    assert dg.get_device() == "cpu"


# ---- tensors between devices -----------------------------------------------------------------


def test_a_tensor_made_on_a_device_and_brought_back():
    host = np.arange(6.0).reshape(2, 3)
    on_device = dg.tensor(host, device="guard")
    assert isinstance(raw_data(on_device), GuardArray)
    assert on_device.device == "guard:0" and on_device.dtype == np.float64
    assert "device='guard:0'" in repr(on_device)
    back = on_device.to("cpu")
    assert isinstance(raw_data(back), np.ndarray)
    np.testing.assert_array_equal(back.numpy(), host)
    np.testing.assert_array_equal(on_device.cpu().numpy(), host)
    np.testing.assert_array_equal(on_device.numpy(), host)  # .numpy() copies from the device
    host[0, 0] = 100.0
    assert on_device.numpy()[0, 0] == 0.0  # dg.tensor copied


def test_to_the_same_device_is_the_tensor_itself():
    x = dg.tensor([1.0, 2.0])
    assert x.to("cpu") is x
    y = x.to("guard")
    assert y.to("guard") is y


def test_a_tensor_requiring_grad_is_not_silently_cut_off_by_to():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.to("guard")
    y = dg.tensor([1.0, 2.0], device="guard", requires_grad=True)
    (y * y).sum().backward()
    assert isinstance(raw_data(y.grad), GuardArray)
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 4.0])


def test_a_device_tensor_refuses_implicit_conversion_to_numpy():
    x = dg.tensor([1.0, 2.0], device="guard")
    with pytest.raises(TypeError, match=r"guard:0 cannot become a NumPy array implicitly"):
        np.asarray(x)


def test_to_device_moves_arrays_and_passes_none_through():
    assert to_device(None, "guard") is None
    moved = to_device(np.ones(2), "guard")
    assert device_of(moved) == "guard:0"
    assert to_device(moved, "guard") is moved
    assert device_of(to_device(moved, "cpu")) == "cpu"
    assert device_of(1.5) == "cpu"


# ---- mixing devices ------------------------------------------------------------------------


def test_mixing_devices_in_one_op_names_both_devices():
    on_device = dg.tensor(np.ones((2, 3)), device="guard")
    on_host = dg.tensor(np.ones((3, 2)))
    with pytest.raises(
        DeviceError, match=r"matmul: arguments on different devices \(cpu and guard:0\)"
    ):
        on_device @ on_host
    with pytest.raises(
        DeviceError, match=r"add: .*\(2, 3\) float64 on guard:0, \(2, 3\) float64 on cpu"
    ):
        on_device + np.ones((2, 3))


def test_a_python_number_mixes_with_any_device():
    on_device = dg.tensor([1.0, 2.0], device="guard")
    np.testing.assert_array_equal((on_device * 2.0 + 1).numpy(), [3.0, 5.0])


# ---- random numbers on devices ----------------------------------------------------------------


def test_device_draws_are_made_on_the_device_and_seeded_by_dg_random_seed():
    with dg.using_device("guard"):
        dg.random.seed(7)
        first = dg.random.normal(size=(3, 2), dtype="float32")
        uniform_first = dg.random.uniform(-1, 1, size=5)
        dg.random.seed(7)
        again = dg.random.normal(size=(3, 2), dtype="float32")
        uniform_again = dg.random.uniform(-1, 1, size=5)
    assert isinstance(first, GuardArray) and first.dtype == np.float32 and first.shape == (3, 2)
    np.testing.assert_array_equal(first.get(), again.get())
    np.testing.assert_array_equal(uniform_first.get(), uniform_again.get())
    assert (uniform_first.get() >= -1).all() and (uniform_first.get() < 1).all()


def test_device_draws_do_not_move_the_host_stream():
    dg.random.seed(3)
    expected = dg.random.normal(size=4)
    dg.random.seed(3)
    with dg.using_device("guard"):
        dg.random.normal(size=100)
    np.testing.assert_array_equal(dg.random.normal(size=4), expected)


def test_each_device_stream_differs_from_the_host_stream():
    dg.random.seed(0)
    host = dg.random.default_rng().random(8)
    dg.random.seed(0)
    device = dg.random.device_generator("guard").random(8)
    assert not np.array_equal(host, device.get())


# ---- layers and models on devices ----------------------------------------------------------


def _model():
    dg.random.seed(0)
    return dg.Sequential(
        [dg.layers.Dense(4, activation="tanh", input_shape=(3,)), dg.layers.Dense(1)]
    )


def test_model_to_moves_every_weight_and_back():
    model = _model()
    before = model.get_weights()
    assert model.to("guard") is model
    assert model.device == "guard:0"
    assert all(isinstance(raw_data(w), GuardArray) for w in model.weights)
    for got, expected in zip(model.get_weights(), before, strict=True):  # copies to the host
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, expected)
    model.to("cpu")
    assert model.device == "cpu"
    assert all(type(raw_data(w)) is np.ndarray for w in model.weights)


def test_a_layer_built_after_to_creates_its_weights_there():
    layer = dg.layers.Dense(2).to("guard")
    assert layer.device == "guard:0"  # no weights yet: where they will go
    out = layer(np.ones((4, 3), np.float32))  # host data move to the layer's device
    assert isinstance(raw_data(out), GuardArray)
    assert all(isinstance(raw_data(w), GuardArray) for w in layer.weights)


def test_weights_are_created_on_the_current_device():
    with dg.using_device("guard"):
        model = _model()
        assert model.device == "guard:0"
    assert isinstance(raw_data(model.weights[0]), GuardArray)


def test_set_weights_on_a_device_model_copies_from_the_host():
    model = _model().to("guard")
    values = [np.full(w.shape, 0.5, w.dtype) for w in model.weights]
    model.set_weights(values)
    assert all(isinstance(raw_data(w), GuardArray) for w in model.weights)
    np.testing.assert_array_equal(model.get_weights()[0], values[0])


def test_moving_a_model_after_its_optimizer_was_built_is_an_error():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)
    with pytest.raises(RuntimeError, match="optimizer was built with the weights on cpu"):
        model.to("guard")


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_plain_training_loop_on_a_device_model_matches_the_cpu(optimizer):
    """model.to(device), then forward, backward and the optimizer's update on device arrays:
    the same numbers as on the host."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))

    def train(where):
        model = _model()
        model.to(where)
        opt = getattr(dg.optimizers, optimizer)(model.trainable_weights, learning_rate=0.05)
        xs, ys = dg.tensor(x, "float32", device=where), dg.tensor(y, "float32", device=where)
        for _ in range(3):
            loss = ((model(xs, training=True) - ys) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model

    on_device, on_host = train("guard"), train("cpu")
    assert all(isinstance(raw_data(w), GuardArray) for w in on_device.weights)
    for got, expected in zip(on_device.get_weights(), on_host.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_the_guard_device_refuses_what_cupy_refuses():
    with pytest.raises(ImplicitConversionError):
        np.asarray(to_device(np.ones(2), "guard"))


# ---- saving and loading ------------------------------------------------------------------------


def test_a_device_model_saves_the_same_file_and_loads_onto_the_current_device(tmp_path):
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = model.predict(x)
    model.save(tmp_path / "host.dg")
    model.to("guard")
    model.save(tmp_path / "device.dg")
    model.save_weights(tmp_path / "device.weights.dg")
    assert (tmp_path / "host.dg").read_bytes() == (tmp_path / "device.dg").read_bytes()

    on_host = dg.load_model(tmp_path / "device.dg")
    assert on_host.device == "cpu"
    np.testing.assert_array_equal(on_host.predict(x), expected)
    with dg.using_device("guard"):
        on_device = dg.load_model(tmp_path / "host.dg")
    assert on_device.device == "guard:0"
    assert all(isinstance(raw_data(w), GuardArray) for w in on_device.weights)
    np.testing.assert_allclose(on_device.predict(x), expected, rtol=1e-6)

    fresh = _model().to("guard")
    fresh.load_weights(tmp_path / "device.weights.dg")
    assert all(isinstance(raw_data(w), GuardArray) for w in fresh.weights)
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("jit", [False, True])
def test_fit_on_a_device_model_learns_as_on_the_cpu(jit):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    histories = {}
    for where in ("cpu", "guard"):
        model = _model().to(where)
        model.compile(optimizer="adam", loss="mse", jit=jit)
        histories[where] = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"]
        assert model.device == where
        assert isinstance(model.predict(x[:4]), np.ndarray)
    np.testing.assert_allclose(histories["guard"], histories["cpu"], rtol=1e-5)


def test_jit_auto_leaves_a_device_models_step_eager():
    """compile's default compiles a model of deepgrad's layers on the CPU only."""
    model = _model().to("guard")
    model.compile(optimizer="adam", loss="mse")
    assert model.jit is False
    on_cpu = _model()
    on_cpu.compile(optimizer="adam", loss="mse")
    assert on_cpu.jit is True


def test_a_trained_device_model_saves_its_optimizer_state_and_resumes(tmp_path):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((32, 3)).astype(np.float32), rng.standard_normal((32, 1))
    model = _model().to("guard")
    model.compile(optimizer="adam", loss="mse", jit=True)
    model.fit(x, y.astype(np.float32), epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "trained.dg")
    with dg.using_device("guard"):
        again = dg.load_model(tmp_path / "trained.dg")
    assert again.device == "guard:0"
    np.testing.assert_array_equal(again.get_weights()[0], model.get_weights()[0])


def test_floating_device_inputs_take_the_layers_dtype():
    layer = dg.layers.Dense(2).to("guard")
    out = layer(to_device(np.ones((4, 3), np.float64), "guard"))
    assert out.dtype == np.float32 and isinstance(raw_data(out), GuardArray)


def test_a_model_moved_to_a_device_draws_its_dropout_masks_there():
    dg.random.seed(0)
    model = dg.Sequential([dg.layers.Dense(8, input_shape=(3,)), dg.layers.Dropout(0.5)])
    model.to("guard")
    out = model(np.ones((4, 3), np.float32), training=True)  # the current device is the cpu
    assert isinstance(raw_data(out), GuardArray)
    dropped = out.numpy() == 0
    assert dropped.any() and not dropped.all()
    assert dg.get_device() == "cpu"


@pytest.mark.parametrize(
    "initializer",
    ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
     "truncated_normal", "orthogonal", "random_normal", "random_uniform", "zeros", "ones"],
)  # fmt: skip
def test_every_initializer_makes_its_weights_on_the_current_device(initializer):
    with dg.using_device("guard"):
        dg.random.seed(0)
        layer = dg.layers.Dense(4, kernel_initializer=initializer)
        layer(np.ones((2, 3), np.float32))
    kernel = raw_data(layer.kernel)
    assert isinstance(kernel, GuardArray) and kernel.dtype == np.float32
    assert np.isfinite(kernel.get()).all()


def test_sparse_categorical_crossentropy_on_device_labels():
    rng = np.random.default_rng(7)
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    loss = dg.losses.SparseCategoricalCrossentropy(from_logits=True)
    expected = loss(labels, dg.tensor(logits))
    got = loss(to_device(labels, "guard"), dg.tensor(logits, device="guard"))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)


def test_normalization_given_mean_and_variance_runs_on_a_device_model():
    """Its given mean and variance are constants (no weights, as Keras keeps them), moved
    to the inputs' device when it runs there."""
    norm = dg.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], invert=True)
    model = dg.Sequential([dg.Input((3,)), norm])
    model.to("guard")
    out = model(np.ones((2, 3), np.float32))
    assert isinstance(raw_data(out), GuardArray)
    np.testing.assert_array_equal(out.numpy(), [[2.0, 4.0, 6.0], [2.0, 4.0, 6.0]])

"""Training, the optimizer kernels, random numbers, compiled steps, saving and device errors
on a real GPU (CuPy). Runs only where CuPy sees a GPU (tests/gpu/gpu.py); not run yet."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from tests.gpu.gpu import require_gpu

cupy = require_gpu()

import deepgrad as dg  # noqa: E402
from deepgrad.device import DeviceError  # noqa: E402
from deepgrad.tensor import raw_data  # noqa: E402
from tests.optimizers.test_elementwise import RULES, _inputs  # noqa: E402


@pytest.fixture(autouse=True)
def _back_on_the_cpu():
    yield
    dg.set_device("cpu")


def _is_cupy(array):
    return type(array).__module__.startswith("cupy")


def test_set_device_gpu_and_tensors_on_it():
    assert dg.set_device("gpu") == "cuda:0"
    x = dg.tensor([1.0, 2.0])
    assert x.device == "cpu"  # dg.tensor of host data keeps it where it is
    y = dg.tensor([1.0, 2.0], device="gpu")
    assert y.device == "cuda:0" and _is_cupy(raw_data(y))
    np.testing.assert_array_equal((y * 2).numpy(), [2.0, 4.0])
    with pytest.raises(TypeError, match="cannot become a NumPy array implicitly"):
        np.asarray(y)


def test_mixing_the_gpu_and_the_host_names_both_devices():
    on_gpu = dg.tensor(np.ones((2, 3)), device="gpu")
    with pytest.raises(DeviceError, match=r"arguments on different devices \(cpu and cuda:0\)"):
        on_gpu @ dg.tensor(np.ones((3, 2)))


def test_a_missing_gpu_number_is_an_error_at_set_device():
    count = cupy.cuda.runtime.getDeviceCount()
    with pytest.raises(DeviceError, match=f"cuda:{count}"):
        dg.set_device(f"cuda:{count}")


def test_device_random_numbers_are_seeded():
    with dg.using_device("gpu"):
        dg.random.seed(3)
        a = dg.random.normal(size=(100,), dtype="float32")
        dg.random.seed(3)
        b = dg.random.normal(size=(100,), dtype="float32")
    assert _is_cupy(a) and a.dtype == np.float32
    np.testing.assert_array_equal(cupy.asnumpy(a), cupy.asnumpy(b))
    assert abs(float(a.mean())) < 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(RULES))
def test_the_generated_kernel_equals_the_numpy_plan_bit_for_bit(name, dtype):
    """The CuPy ElementwiseKernel made from each rule against its NumPy plan on the host:
    0 ulp (the kernel is built with --fmad=false; division and sqrt are IEEE-rounded)."""
    rule = RULES[name]
    for arrays, scalars in _inputs(rule, dtype, 4099, seed=4):
        on_host = [a.copy() for a in arrays]
        on_device = [cupy.asarray(a) for a in arrays]
        rule.numpy(*on_host, *scalars, scratch={})
        rule(*on_device, *scalars)  # a CuPy gradient: the generated kernel
        for device_array, host_array in zip(on_device[1:], on_host[1:], strict=True):
            np.testing.assert_array_equal(cupy.asnumpy(device_array), host_array)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.1 * rng.standard_normal((256, 1))).astype(np.float32)
    return x, y


def _model():
    dg.random.seed(0)
    return dg.Sequential(
        [
            dg.layers.Dense(32, activation="relu", input_shape=(8,)),
            dg.layers.Dense(1),
        ]
    )


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_plain_training_loop_on_the_gpu_matches_the_cpu(optimizer):
    x, y = _data()

    def train(where):
        model = _model().to(where)
        opt = getattr(dg.optimizers, optimizer)(model.trainable_weights, learning_rate=0.01)
        xs, ys = dg.tensor(x, device=where), dg.tensor(y, device=where)
        for _ in range(5):
            loss = ((model(xs, training=True) - ys) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model

    on_gpu, on_cpu = train("gpu"), train("cpu")
    assert all(_is_cupy(raw_data(w)) for w in on_gpu.weights)
    for got, expected in zip(on_gpu.get_weights(), on_cpu.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("jit", [False, True])
def test_fit_on_the_gpu_learns_as_on_the_cpu(jit):
    x, y = _data()
    histories = {}
    for where in ("cpu", "gpu"):
        model = _model().to(where)
        model.compile(optimizer="adam", loss="mse", jit=jit)
        histories[where] = model.fit(x, y, epochs=5, batch_size=32, verbose=0).history["loss"]
        assert model.device == ("cuda:0" if where == "gpu" else "cpu")
        assert isinstance(model.predict(x[:4]), np.ndarray)
    np.testing.assert_allclose(histories["gpu"], histories["cpu"], rtol=1e-3)
    assert histories["gpu"][-1] < histories["gpu"][0] / 2


def test_save_on_the_gpu_and_load_anywhere(tmp_path):
    x, _ = _data()
    model = _model().to("gpu")
    expected = model.predict(x)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "model.dg")
    on_host = dg.load_model(tmp_path / "model.dg")
    assert on_host.device == "cpu"
    np.testing.assert_allclose(on_host.predict(x), expected, rtol=1e-5, atol=1e-6)
    with dg.using_device("gpu"):
        on_gpu = dg.load_model(tmp_path / "model.dg")
    assert on_gpu.device == "cuda:0"
    np.testing.assert_allclose(on_gpu.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_a_compiled_step_replays_on_the_gpu():
    x, y = _data()
    model = _model().to("gpu")
    opt = dg.optimizers.Adam(model.trainable_weights, learning_rate=0.01)
    xs, ys = dg.tensor(x, device="gpu"), dg.tensor(y, device="gpu")

    def step(xb, yb):
        loss = ((model(xb, training=True) - yb) ** 2).mean()
        loss.backward()
        return loss

    compiled = dg.compile(step)
    values = []
    for _ in range(6):
        opt.zero_grad()
        values.append(float(raw_data(compiled(xs, ys))))
        opt.step()
    assert values[-1] < values[0]
    assert all(_is_cupy(raw_data(w.grad)) for w in model.trainable_weights)


def test_rules_take_cupy_arrays_through_the_generated_kernel():
    rule = RULES["adam"]
    names = list(inspect.signature(rule.function).parameters)
    assert names[:4] == ["gradient", "parameter", "m", "v"]
    arrays = [cupy.ones(10, cupy.float32) for _ in range(4)]
    rule(*arrays, 0.1, 0.1, 0.9, 0.1, 1.0, 1e-8)
    assert _is_cupy(arrays[1])

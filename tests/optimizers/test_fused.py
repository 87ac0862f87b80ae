"""The numba kernels and the NumPy plans of the same rules agree (to rounding here; bit for
bit in test_elementwise.py), and the switches that turn the kernels off."""

import os
import subprocess
import sys

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels
from deepgrad import optimizers as O

pytest.importorskip("numba")

CONFIGS = {
    "sgd": lambda p: O.SGD(p, 0.05),
    "sgd_weight_decay": lambda p: O.SGD(p, 0.05, weight_decay=0.1),
    "momentum": lambda p: O.SGD(p, 0.05, momentum=0.9),
    "dampening": lambda p: O.SGD(p, 0.05, momentum=0.9, dampening=0.5),
    "nesterov": lambda p: O.SGD(p, 0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: O.Adam(p, 0.01),
    "amsgrad": lambda p: O.Adam(p, 0.01, amsgrad=True),
    "adamw": lambda p: O.AdamW(p, 0.01, weight_decay=0.1),
}
SHAPES = [(50, 100), (100,), (100, 13)]  # 6,400 elements: above kernels.MIN_SIZE


def _train(make, dtype, steps=30):
    rng = np.random.default_rng(0)
    params = [dg.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in SHAPES]
    opt = make(params)
    for _ in range(steps):
        for p in params:
            p.grad.data[...] = rng.standard_normal(p.shape)
        opt.step()
    return opt, [p.numpy() for p in params]


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-5)])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fused_kernel_agrees_with_the_numpy_rule(name, dtype, rtol, monkeypatch):
    fast_opt, fast = _train(CONFIGS[name], dtype)
    assert kernels.available(fast_opt.flat.groups[0].values)
    with kernels.disabled():
        slow_opt, slow = _train(CONFIGS[name], dtype)
        assert not kernels.available(slow_opt.flat.groups[0].values)
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    for key in fast_opt.state[0]:
        np.testing.assert_allclose(
            fast_opt.state[0][key], slow_opt.state[0][key], rtol=rtol, atol=rtol
        )


def test_small_buffers_use_numpy():
    assert not kernels.available(np.zeros(kernels.MIN_SIZE - 1, np.float32))
    assert kernels.available(np.zeros(kernels.MIN_SIZE, np.float32))


def test_the_environment_switch_keeps_numba_out():
    code = (
        "import sys, numpy as np, deepgrad as dg\n"
        "p = dg.tensor(np.ones(10_000, np.float32), requires_grad=True)\n"
        "opt = dg.optimizers.Adam([p], learning_rate=0.1)\n"
        "p.grad.data[...] = 1.0\n"
        "opt.step()\n"
        "print('numba' in sys.modules, float(p.numpy()[0]))\n"
    )
    env = {**os.environ, "DEEPGRAD_FUSED": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded, first = done.stdout.split()
    assert loaded == "False"
    assert abs(float(first) - 0.9) < 1e-6  # Adam's first step: lr · sign(g)

"""Kernels loaded from numba's on-disk cache skip numba's full set-up (kernels._KernelCache)
and still compute what they computed when they were compiled, and what NumPy computes.

Each check runs fresh processes on one new cache folder: the first compiles every kind of
kernel deepgrad has and saves them, the second loads them.
"""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

# Runs every kind of kernel (an optimizer rule's loop, the fused bias + ReLU in both of its
# loops, ReLU's backward, the column sums, the two cross-entropy passes, the outer
# product), once with the kernels and once with NumPy's forms, and prints the results'
# bits, whether numba's full set-up ran, and numba's cache hits and misses.
SCRIPT = r"""
import json, sys
import numpy as np
import deepgrad as dg
from deepgrad import kernels
from deepgrad.compiler.column_sums import column_sum
from deepgrad.compiler.fusion import bias_relu, relu_backward
from deepgrad.ops.cross_entropy_kernels import losses, softmax_minus_one_hot
from deepgrad.ops.outer_products import outer_matmul

def run():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 96)).astype(dtype)
    b = rng.standard_normal(96).astype(dtype)
    g = rng.standard_normal((64, 96)).astype(dtype)
    y = bias_relu(x, b)
    in_place = x.copy()
    bias_relu(in_place, b, out=in_place)
    back = relu_backward(g, y)
    sums = column_sum(g, out=np.empty(96, dtype))
    logits = rng.standard_normal((64, 10)).astype(dtype)
    labels = rng.integers(0, 10, 64)
    loss, gradient = losses(logits, labels), softmax_minus_one_hot(logits, labels)
    outer = outer_matmul(x[:, :1].copy(), b[None, :].copy())
    w = dg.tensor(rng.standard_normal(8192).astype(dtype), requires_grad=True)
    opt = dg.optimizers.Adam([w], 0.01)
    for _ in range(3):
        w.grad.data[...] = rng.standard_normal(8192)
        opt.step()
    arrays = [y, in_place, back, sums, loss, gradient, outer, w.numpy()]
    return [a.tobytes().hex() for a in arrays]

for dtype in map(np.dtype, sys.argv[1].split(",")):  # the last one is reported
    with_kernels = run()
    with kernels.disabled():
        with_numpy = run()
from numba.core.registry import CPUDispatcher
import gc
dispatchers = [o for o in gc.get_objects() if isinstance(o, CPUDispatcher)]
print(json.dumps({
    "kernels": with_kernels,
    "numpy": with_numpy,
    "full_setup": "numba.np.arraymath" in sys.modules,
    "arrayobj": "numba.np.arrayobj" in sys.modules,
    "hits": sum(sum(d.stats.cache_hits.values()) for d in dispatchers),
    "misses": sum(sum(d.stats.cache_misses.values()) for d in dispatchers),
}))
"""


def _run(cache: str, dtype: str) -> dict:
    # DEEPGRAD_NATIVE=0: the optimizer's update on numba's loop, not on its C loop
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "DEEPGRAD_FUSED": "1", "DEEPGRAD_NATIVE": "0"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, dtype], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_warm_process_loads_every_kernel_without_numbas_setup_and_gets_the_same_bits(
    tmp_path,
):
    cold = _run(str(tmp_path), "float32")
    warm = _run(str(tmp_path), "float32")
    assert cold["misses"] > 0 and cold["full_setup"]  # compiled: numba's set-up ran
    assert warm["misses"] == 0 and warm["hits"] >= 8  # every kernel came from the cache
    assert not warm["full_setup"]  # ... without numba importing its whole library
    # nor numba.np.arrayobj (40-100 ms), which a cached kernel's environment imports when
    # the kernel calls an array function such as np.atleast_2d (docs/fusion.md)
    assert not warm["arrayobj"]
    assert warm["kernels"] == cold["kernels"]
    assert warm["kernels"] == warm["numpy"]  # every kernel gives its NumPy rule's bits


def test_a_kernel_missing_from_the_cache_compiles_after_others_were_loaded(tmp_path):
    """float64 was never compiled into this cache: after loading the float32 kernels
    without numba's set-up, the process compiles the float64 ones (numba's compiler then
    sets itself up) and they give NumPy's bits."""
    _run(str(tmp_path), "float32")
    result = _run(str(tmp_path), "float32,float64")
    assert result["misses"] > 0 and result["hits"] > 0
    assert result["kernels"] == result["numpy"]


def test_numbas_own_cache_is_kept_where_its_internals_differ(monkeypatch):
    """A numba whose cache is not built as ``_KernelCache`` expects keeps its own loads."""
    from numba.core import caching

    from deepgrad import kernels

    monkeypatch.delattr(caching.Cache, "_load_overload")
    kernels._kernel_cache_class.cache_clear()
    try:
        assert kernels._kernel_cache_class() is None

        def double(a, out):
            for i in range(a.shape[0]):
                out[i] = 2 * a[i]

        compiled = kernels.numba_kernel(double)
        assert type(compiled._cache) is caching.FunctionCache
    finally:
        kernels._kernel_cache_class.cache_clear()

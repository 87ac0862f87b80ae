"""The training step of ``frameworks.py`` on an NVIDIA GPU, for ``suite.py --device gpu``:
deepgrad on CuPy (eager and compiled), PyTorch on CUDA (eager and ``torch.compile``), JAX
on its GPU backend, and the GEMM floor measured with CuPy's matmul.

Every step takes the suite's host batches; each batch is copied to the GPU once, the first
time it is seen (the suite cycles through four), so the timings are of the step, not of the
transfer. Each step ends by reading the loss back to the host, which waits for the GPU: the
time of a step is the time of its kernels. Every framework multiplies in full float32:
TF32 (10-bit mantissas in the matrix products, the default of JAX on recent GPUs) is turned
off where it is on by default, so that the same arithmetic is compared and the losses agree.
Nothing here has been run on a GPU yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from frameworks import deepgrad_eager, jax_jit, torch_model

Step = Callable[[np.ndarray, np.ndarray], float]


def _cached(put: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], Any]:
    """``put`` (a host-to-GPU copy) made once per host array."""
    copies: dict[int, tuple[np.ndarray, Any]] = {}

    def on_device(array: np.ndarray) -> Any:
        entry = copies.get(id(array))
        if entry is None or entry[0] is not array:
            entry = copies[id(array)] = (array, put(array))
        return entry[1]

    return on_device


def deepgrad_gpu(weights: list, optimizer: str, compiled: bool = False) -> Step:
    import cupy

    import deepgrad as dg

    dg.set_device("gpu")  # the model's weights, its optimizer's buffers: on the GPU
    step = deepgrad_eager(weights, optimizer, compiled=compiled)
    put = _cached(cupy.asarray)
    return lambda x, y: step(put(x), put(y))


def deepgrad_gpu_compiled(weights: list, optimizer: str) -> Step:
    return deepgrad_gpu(weights, optimizer, compiled=True)


def torch_cuda(weights: list, optimizer: str, compiled: bool = False) -> Step:
    """``frameworks.torch_eager`` with the model, its optimizer and the batches on CUDA."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False  # full float32, as everyone here
    model, opt, loss_fn = torch_model(weights, optimizer, device="cuda")

    def train_step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = torch.compile(train_step) if compiled else train_step
    put = _cached(lambda array: torch.from_numpy(array).to("cuda"))
    return lambda x, y: float(run(put(x), put(y)))  # float(): waits for the GPU


def torch_cuda_compiled(weights: list, optimizer: str) -> Step:
    return torch_cuda(weights, optimizer, compiled=True)


def jax_gpu(weights: list, optimizer: str) -> Step:
    import jax

    if jax.default_backend() != "gpu":
        raise RuntimeError(f"JAX runs on {jax.default_backend()!r}, not on a GPU")
    jax.config.update("jax_default_matmul_precision", "highest")  # no TF32: full float32
    step = jax_jit(weights, optimizer)
    put = _cached(jax.device_put)
    return lambda x, y: step(put(x), put(y))


def gemm_floor_gpu(sizes: list[int], batch: int, weights: list) -> Step:
    """The step's matrix products alone, as CuPy matmuls at the step's shapes (a·W forward,
    aᵀ·δ and δ·Wᵀ backward), then a wait for the GPU."""
    import cupy

    kernels = [cupy.asarray(w) for w, _ in weights]
    rng = np.random.default_rng(2)
    activations = [cupy.asarray(rng.standard_normal((batch, n)).astype(np.float32)) for n in sizes]

    def step(*_: Any) -> float:
        for a, w in zip(activations, kernels, strict=False):
            a @ w
        for layer, w in enumerate(kernels):
            activations[layer].T @ activations[layer + 1]
            if layer > 0:
                activations[layer + 1] @ w.T
        cupy.cuda.get_current_stream().synchronize()
        return 0.0

    return step


GPU_FRAMEWORKS: dict[str, Callable[[list, str], Step]] = {
    "deepgrad eager": deepgrad_gpu,
    "deepgrad compiled": deepgrad_gpu_compiled,
    "PyTorch eager": torch_cuda,
    "torch.compile": torch_cuda_compiled,
    "JAX jit": jax_gpu,
}


def gpu_missing() -> str | None:
    """Why no GPU benchmark can run here, or None when CuPy sees a GPU (and CuPy would not
    use TF32: CUPY_TF32 must be unset)."""
    if os.environ.get("CUPY_TF32", "0") != "0":
        return "CUPY_TF32 is set: CuPy's matmuls would not be full float32; unset it"
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install cupy-cuda12x)"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError: no driver, no device
        return f"CuPy finds no GPU ({error})"
    return None if count > 0 else "CuPy finds no GPU (0 devices)"

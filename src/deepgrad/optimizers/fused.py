"""Single-pass update kernels for the most used rules (SGD, momentum, Adam), compiled with
numba when it is installed (``pip install "deepgrad[fast]"``, part of ``all``).

Why: a rule written with NumPy's in-place operations makes one pass over memory per
operation (Adam: thirteen, each reading or writing a whole buffer), on one core. These
kernels read each array once and write each once, in one loop over the flat buffer split
across the cores. Measured by ``benchmarks/optimizer_step.py`` on 1.86 million float32
parameters, 2 cores: Adam 7.2–7.7 ms with NumPy, 1.8–2.1 ms fused; PyTorch's ``foreach``
2.5–2.9 ms. Inside ``fit`` on that net: 2.2 ms against NumPy's 10 ms (docs/optimizers.md).

The NumPy rules in ``sgd.py`` and ``adam.py`` stay the definition: they run whenever numba
is missing or the buffer is small (below ``MIN_SIZE`` a kernel launch costs more than it
saves), and the tests check that both paths agree to rounding.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
from collections.abc import Iterator

import numpy as np

# Imported on the first fused update, not with deepgrad: numba takes 0.25 s to import.
numba = None
_INSTALLED = importlib.util.find_spec("numba") is not None

# Below this many elements a kernel launch costs as much as NumPy's few in-place operations
# (measured: at 1,024 float32, SGD 6 µs fused against 5 µs; at 4,096 Adam 11 against 23).
MIN_SIZE = 1 << 12
# Plain SGD is two NumPy passes, so the ~35 µs launch of the threads pays only on larger
# buffers (measured: at 100k float32, fused 0.075 ms against NumPy's 0.039; at 300k, 0.14
# against 0.20; at 2M, 0.47 against 1.34).
SGD_MIN_SIZE = 1 << 18
# DEEPGRAD_FUSED=0 runs the NumPy rules only: numba is never imported, which keeps about
# 110 MiB of resident memory (its compiler) out of the process, at the update's speed.
_enabled = os.environ.get("DEEPGRAD_FUSED", "1") != "0"


def available(values: np.ndarray, min_size: int = MIN_SIZE) -> bool:
    """Whether ``values`` gets a fused kernel (numba installed, buffer large enough)."""
    return _enabled and _INSTALLED and values.size >= min_size


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the NumPy rules inside the block (to compare both paths, or to profile)."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def _compile(function):
    """Compile on first use (from numba's on-disk cache after the first run)."""
    compiled = None

    def run(*args):
        nonlocal compiled
        if compiled is None:
            global numba
            import numba

            if "NUMBA_THREADING_LAYER" not in os.environ:
                # OpenMP's worker threads spin after each kernel and fight OpenBLAS's
                # for the same cores: measured inside fit, an Adam update over 74k
                # parameters took 3.3 ms with OpenMP against 0.2 ms with numba's own
                # workqueue threads, which sleep when idle.
                numba.config.THREADING_LAYER = "workqueue"
            compiled = numba.njit(parallel=True, cache=True)(function)
        return compiled(*args)

    run.__doc__ = function.__doc__
    return run


def _sgd(values, grads, rate):
    """θ ← θ − ηg."""
    for i in numba.prange(values.size):
        values[i] -= rate * grads[i]


def _sgd_momentum(values, grads, velocity, rate, momentum, dampening, nesterov, first):
    """v ← μv + (1 − d)g (v ← g at the first step); θ ← θ − ηv, or θ − η(g + μv)."""
    for i in numba.prange(values.size):
        g = grads[i]
        v = g if first else momentum * velocity[i] + (1.0 - dampening) * g
        velocity[i] = v
        values[i] -= rate * (g + momentum * v if nesterov else v)


def _adam(values, grads, m, v, v_max, amsgrad, step_size, beta_1, beta_2, inv_root_bias_2, eps):
    """m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², (AMSGrad: v̂ ← max(v̂, v)),
    θ ← θ − η/(1 − β₁ᵗ) · m/(√v · (1 − β₂ᵗ)^(−½) + ε). A multiplication by the inverse
    root, not a division: a quarter of the kernel's time, and NumPy's rule does the same."""
    for i in numba.prange(values.size):
        g = grads[i]
        mi = m[i] + (1.0 - beta_1) * (g - m[i])
        vi = beta_2 * v[i] + (1.0 - beta_2) * g * g
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = max(v_max[i], vi)
            v_max[i] = vi
        values[i] -= step_size * mi / (math.sqrt(vi) * inv_root_bias_2 + eps)


sgd = _compile(_sgd)
sgd_momentum = _compile(_sgd_momentum)
adam = _compile(_adam)

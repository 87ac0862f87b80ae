"""Single-pass update kernels for the most used rules (SGD, momentum, Adam), compiled with
numba when it is installed (``pip install "deepgrad[fast]"``, part of ``all``).

Why: a rule written with NumPy's in-place operations makes one pass over memory per
operation (Adam: thirteen, each reading or writing a whole buffer). These kernels read each
array once and write each once, in one loop over the flat buffer. Measured by
``benchmarks/optimizer_step.py`` on 1.86 million float32 parameters, 2 cores: Adam
3.4–3.9 ms with NumPy, 0.84–0.93 ms fused; PyTorch's ``foreach`` 2.2–2.6 ms.

How they are compiled was measured (docs/optimizers.md, "Speed"): the arithmetic runs in
the buffer's dtype (the wrapper casts the scalars, and the kernels hold no float literal:
a float64 would widen every operation, 3–5x slower in float32); one thread (launching
numba's threads costs 80–90 µs, and the loop is bound by memory bandwidth); and
``error_model="numpy"`` (a division by zero gives inf instead of a check that keeps the
loop from vectorising).

The NumPy rules in ``sgd.py`` and ``adam.py`` stay the definition: they run whenever numba
is missing or the buffer is small (below ``MIN_SIZE`` a call costs more than it saves),
and the tests check that both paths agree to rounding.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator

import numpy as np

# Imported on the first fused update, not with deepgrad: numba takes 0.25 s to import.
numba = None
_INSTALLED = importlib.util.find_spec("numba") is not None

# Below this many elements a call into numba costs as much as NumPy's few in-place
# operations (measured, plain SGD: 1.3 µs fused against 1.2 at 1,024 float32, 1.6 against
# 1.8 at 4,096, 11 against 21 at 100k).
MIN_SIZE = 1 << 12
# DEEPGRAD_FUSED=0 runs the NumPy rules only: numba is never imported, which keeps about
# 65 MiB of resident memory (its compiler) out of the process, at the update's speed.
_enabled = os.environ.get("DEEPGRAD_FUSED", "1") != "0"


def enabled() -> bool:
    """Whether numba kernels may run: numba installed, and not turned off by
    ``DEEPGRAD_FUSED=0`` or inside ``disabled()``.

    >>> with disabled():
    ...     enabled()
    False
    """
    return _enabled and _INSTALLED


def available(values: np.ndarray) -> bool:
    """Whether ``values`` gets a fused kernel (numba installed, buffer large enough)."""
    return enabled() and values.size >= MIN_SIZE


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Run the NumPy rules inside the block (to compare both paths, or to profile)."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def compile_kernel(function):
    """Compile on first use (from numba's on-disk cache after the first run); the wrapper
    casts every float argument to the first array's dtype (see the module docstring)."""
    compiled = None

    def run(values, *args):
        nonlocal compiled
        if compiled is None:
            global numba
            import numba

            compiled = numba.njit(error_model="numpy", cache=True)(function)
        scalar = values.dtype.type
        return compiled(values, *(scalar(a) if isinstance(a, float) else a for a in args))

    run.__doc__ = function.__doc__
    return run


def _sgd(values, grads, rate):
    """θ ← θ − ηg."""
    for i in range(values.size):
        values[i] -= rate * grads[i]


def _sgd_momentum(values, grads, velocity, rate, momentum, one_minus_dampening, nesterov, first):
    """v ← μv + (1 − d)g (v ← g at the first step); θ ← θ − ηv, or θ − η(g + μv)."""
    for i in range(values.size):
        g = grads[i]
        v = g if first else momentum * velocity[i] + one_minus_dampening * g
        velocity[i] = v
        values[i] -= rate * (g + momentum * v if nesterov else v)


def _adam(
    values, grads, m, v, v_max, amsgrad, step_size, one_minus_beta_1, beta_2,
    one_minus_beta_2, inv_root_bias_2, eps,
):  # fmt: skip
    """m ← m + (1 − β₁)(g − m), v ← β₂v + (1 − β₂)g², (AMSGrad: v̂ ← max(v̂, v)),
    θ ← θ − η/(1 − β₁ᵗ) · m/(√v · (1 − β₂ᵗ)^(−½) + ε). A multiplication by the inverse
    root, not a division: a quarter of the kernel's time, and NumPy's rule does the same."""
    for i in range(values.size):
        g = grads[i]
        mi = m[i] + one_minus_beta_1 * (g - m[i])
        vi = beta_2 * v[i] + one_minus_beta_2 * g * g
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vi = max(v_max[i], vi)
            v_max[i] = vi
        values[i] -= step_size * mi / (np.sqrt(vi) * inv_root_bias_2 + eps)


sgd = compile_kernel(_sgd)
sgd_momentum = compile_kernel(_sgd_momentum)
adam = compile_kernel(_adam)

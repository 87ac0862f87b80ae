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

import numpy as np

from deepgrad.kernels import compile_kernel


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

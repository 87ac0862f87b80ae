"""The op table on CuPy: every row's forward and VJP on GPU arrays equal the same on NumPy
arrays, in float64 (to the row's tolerances) and float32 (to float32's), and the results
stay on the GPU. Runs only where CuPy sees a GPU (tests/gpu/gpu.py); not run yet."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gpu.gpu import on_gpu, require_gpu

cupy = require_gpu()

import deepgrad as dg  # noqa: E402
from deepgrad.backend import to_numpy  # noqa: E402
from deepgrad.tensor import raw_data  # noqa: E402
from tests.backend.test_guard import HOST_CONSTANT_ROWS, KNOWN_HOST_ARRAYS  # noqa: E402
from tests.ops.op_table import OP_TABLE  # noqa: E402

ROWS = [s for s in OP_TABLE if s.name not in HOST_CONSTANT_ROWS and s.name not in KNOWN_HOST_ARRAYS]


def _host(value):
    return [to_numpy(raw_data(v)) for v in dg.tree_flatten(value)[0]]


def _floating(args, positions, dtype):
    return tuple(a.astype(dtype) if i in positions else a for i, a in enumerate(args))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.name)
def test_op_forward_and_vjp_on_the_gpu_equal_numpy(spec, dtype):
    rng = np.random.default_rng(0)
    kwargs = spec.kwargs[0]
    args = tuple(np.asarray(a) for a in spec.arguments(rng, spec.shapes.examples[0]))
    positions = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    args = _floating(args, positions, dtype)
    tolerance = (
        dict(rtol=spec.rtol, atol=spec.atol) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    )
    device_args = on_gpu(args, cupy)

    expected = spec.fn(*args, **kwargs)
    actual = spec.fn(*device_args, **kwargs)
    for value in dg.tree_flatten(actual)[0]:
        assert type(raw_data(value)).__module__.startswith("cupy"), type(raw_data(value))
    for a, e in zip(_host(actual), _host(expected), strict=True):
        np.testing.assert_allclose(a, e, **tolerance)
    if not positions:
        return

    def with_inputs(base, xs):
        full = list(base)
        for i, x in zip(positions, xs, strict=True):
            full[i] = x
        return spec.fn(*full, **kwargs)

    out, pullback = dg.vjp(
        lambda *xs: with_inputs(device_args, xs), *(device_args[i] for i in positions)
    )
    out_host, pullback_host = dg.vjp(
        lambda *xs: with_inputs(args, xs), *(args[i] for i in positions)
    )
    grads = pullback(dg.tree_map(lambda o: cupy.ones_like(raw_data(o)), out))
    grads_host = pullback_host(dg.tree_map(lambda o: np.ones_like(raw_data(o)), out_host))
    for a, e in zip(_host(grads), _host(grads_host), strict=True):
        np.testing.assert_allclose(a, e, **tolerance)

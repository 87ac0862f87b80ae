"""``erf`` keeps its input's floating dtype, as jax.scipy.special.erf and torch.erf do:
SciPy answers float16 in float64, so a float16 model's GELU predicted float64."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erf_keeps_a_floating_dtype(dtype):
    x = np.array([-1.0, 0.5, 2.0], dtype=dtype)
    result = dnp.erf(x)
    assert result.dtype == dtype
    torch = pytest.importorskip("torch")
    expected = torch.erf(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(result, expected, rtol=2 * np.finfo(dtype).eps)


def test_integers_give_float64_and_gelu_keeps_float16():
    assert dnp.erf(np.array([0, 1], dtype=np.int32)).dtype == np.float64
    assert dg.activations.gelu(np.array([0.5], dtype=np.float16)).dtype == np.float16

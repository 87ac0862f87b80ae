"""A layer's ``dtype`` is one NumPy computes in. Once JAX (or ml_dtypes) is imported,
``np.dtype("bfloat16")`` exists, and deepgrad took ``dtype="bfloat16"``: a GELU
``Activation`` then returned float64 and an ``ELU`` float32 (NumPy promotes bfloat16 in
arithmetic), where Keras 3 returns bfloat16, and a layer with weights failed in the
autodiff engine without naming the layer. A Keras dtype policy's config (a dict) failed
with NumPy's "entry not a 2- or 3- tuple"."""

import os

import numpy as np
import pytest

from deepgrad import layers

X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)


@pytest.fixture
def bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")  # what makes np.dtype("bfloat16") exist
    return np.dtype(ml_dtypes.bfloat16)


@pytest.mark.parametrize(
    "make",
    [
        lambda dtype: layers.Activation("gelu", dtype=dtype),
        lambda dtype: layers.ELU(dtype=dtype),
        lambda dtype: layers.Dense(2, dtype=dtype),
        lambda dtype: layers.LayerNormalization(dtype=dtype),
    ],
)
@pytest.mark.parametrize("name", ["bfloat16", None])
def test_bfloat16_is_refused_naming_the_layer(make, name, bfloat16):
    with pytest.raises(ValueError, match=r"'bfloat16' is not supported: deepgrad computes in"):
        make(name or bfloat16)


def test_keras_keeps_bfloat16_which_deepgrad_would_have_left():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    for layer in (
        keras.layers.Activation("gelu", dtype="bfloat16"),
        keras.layers.ELU(dtype="bfloat16"),
    ):
        assert str(layer(X).dtype) == "bfloat16"


def test_a_dtype_policy_config_is_refused_naming_the_layer():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
    with pytest.raises(ValueError, match=r"relu_policy: dtype .* is not a dtype deepgrad knows"):
        layers.ReLU(dtype=policy, name="relu_policy")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "bool"])
def test_numpy_dtypes_are_kept(dtype):
    assert layers.Identity(dtype=dtype).dtype == np.dtype(dtype)

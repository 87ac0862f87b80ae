"""``Input((None, 3))``: Keras allows an axis of unknown size besides the batch's (sequences
of any length); deepgrad's symbolic calls need every size, and calling a layer on such an
input raised a bare ``'NoneType' object cannot be interpreted as an integer``."""

import pytest

import deepgrad as dg
from deepgrad import layers


@pytest.mark.parametrize("layer", [layers.Dense(2), layers.Flatten()])
def test_calling_a_layer_on_an_input_of_unknown_size_is_refused_by_name(layer):
    inputs = dg.Input((None, 3), name="tokens")
    with pytest.raises(ValueError, match=r"'tokens' of shape \(None, None, 3\).*every axis"):
        layer(inputs)


def test_a_sequential_model_on_an_input_of_unknown_size_is_refused_by_name():
    # It failed with NumPy's bare "'NoneType' object cannot be interpreted as an integer".
    with pytest.raises(ValueError, match=r"'seq'.*\(None, None, 4\): every axis but"):
        dg.Sequential([layers.Input((None, 4)), layers.Dense(3)], name="seq")


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_a_keras_mixed_precision_policy_is_refused_with_the_layer_named(policy):
    # It failed with NumPy's "data type 'mixed_float16' not understood", no layer named.
    with pytest.raises(ValueError, match=rf"head: dtype '{policy}' is not a dtype"):
        layers.Dense(3, dtype=policy, name="head")

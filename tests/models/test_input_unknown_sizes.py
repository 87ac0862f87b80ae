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

"""``count_params`` of a layer or model not built yet raises, as in Keras 3 ("You tried to
call `count_params` on layer 'dense', but the layer isn't built"); deepgrad returned 0,
a wrong count. ``summary()`` of an unbuilt model still prints, with 0 in its totals, as
Keras' does."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(2),
        lambda: layers.Flatten(),
        lambda: dg.Sequential([layers.Dense(2)]),
        lambda: dg.Sequential(),
    ],
)
def test_count_params_of_an_unbuilt_layer_raises(make):
    layer = make()
    with pytest.raises(ValueError, match=f"{layer.name}.*count_params needs the layer built"):
        layer.count_params()


def test_count_params_once_built():
    model = dg.Sequential([layers.Dense(3), layers.Flatten(), layers.Dense(2)])
    model.build((None, 4))
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2  # Keras 3.15: 23
    flatten = layers.Flatten()
    flatten(np.ones((2, 3), np.float32))
    assert flatten.count_params() == 0  # built, without weights: 0, as Keras


def test_summary_of_an_unbuilt_model_prints_zero_totals():
    lines: list[str] = []
    dg.Sequential([layers.Dense(2)]).summary(print_fn=lines.append)
    assert "Total params: 0" in lines and "Trainable params: 0" in lines


def test_a_sequential_popped_empty_is_unbuilt_until_a_layer_is_added():
    # Keras 3.15: built False and count_params raises after popping the only layer;
    # deepgrad stayed built and counted 0. Adding a layer builds it on the Input again.
    model = dg.Sequential([dg.Input((3,)), layers.Dense(2)])
    model.pop()
    assert not model.built
    with pytest.raises(ValueError, match="count_params needs the layer built"):
        model.count_params()
    model.add(layers.Dense(4))
    assert model.built and model.count_params() == 16
    assert [tuple(t.shape) for t in model.outputs] == [(None, 4)]

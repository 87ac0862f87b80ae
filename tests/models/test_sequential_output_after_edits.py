"""A built ``Sequential``'s ``output_shape`` and symbolic ``outputs`` follow its stack, as
Keras 3's do: ``output_shape`` was None until the model was first called on data, and
after ``pop`` or ``add`` both kept describing the stack as it was ((None, 2) after
popping the layer that made it)."""

import os

import numpy as np
import pytest

import deepgrad as dg


def shapes_through_edits(module):
    """(output_shape, outputs[0].shape, predict's shape) after building, pop and add."""
    x = np.ones((2, 3), np.float32)
    model = module.Sequential([module.Input((3,)), module.layers.Dense(4), module.layers.Dense(2)])
    seen = [(model.output_shape, tuple(model.outputs[0].shape))]
    model.pop()
    seen.append(
        (model.output_shape, tuple(model.outputs[0].shape), model.predict(x, verbose=0).shape)
    )
    model.add(module.layers.Dense(5))
    seen.append(
        (model.output_shape, tuple(model.outputs[0].shape), model.predict(x, verbose=0).shape)
    )
    built = module.Sequential([module.layers.Dense(2)])
    built.build((None, 3))
    seen.append(built.output_shape)
    return seen


EXPECTED = [  # Keras 3.15
    ((None, 2), (None, 2)),
    ((None, 4), (None, 4), (2, 4)),
    ((None, 5), (None, 5), (2, 5)),
    (None, 2),
]


def test_output_shape_and_outputs_follow_the_stack():
    assert shapes_through_edits(dg) == EXPECTED


def test_a_functional_model_on_the_edited_stack_ends_at_its_last_layer():
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(4), dg.layers.Dense(2)])
    assert model.outputs[0].shape == (None, 2)  # the graph, made on the stack of two layers
    model.pop()
    features = dg.Model(model.input, model.output)
    assert features.predict(np.ones((2, 3), np.float32), verbose=0).shape == (2, 4)


def test_matches_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    assert shapes_through_edits(dg) == shapes_through_edits(keras)

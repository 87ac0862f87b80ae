"""A functional model lists its layers (and so its weights and summary rows) in Keras 3's
order: by depth from the outputs, deepest first, ties in the order a walk back from the
outputs meets them. The expected names were printed by Keras 3.15."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers


def two_towers(lib):
    """Two inputs, two branches of different lengths, one output."""
    Input, Model, Dense, Concatenate = (
        lib.Input,
        lib.Model,
        lib.layers.Dense,
        lib.layers.Concatenate,
    )
    a, b = Input((3,), name="a"), Input((2,), name="b")
    x = Dense(2, name="x3")(Dense(2, name="x2")(Dense(2, name="x1")(a)))
    y = Dense(2, name="y1")(b)
    return Model([a, b], Dense(1, name="out")(Concatenate(name="cat")([x, y])))


def shared_layer_model(lib):
    """A layer called twice, at two depths: listed once, at its greater depth."""
    Input, Model, Dense = lib.Input, lib.Model, lib.layers.Dense
    Concatenate, Add = lib.layers.Concatenate, lib.layers.Add
    a, b = Input((3,), name="a"), Input((2,), name="b")
    shared = Dense(4, activation="tanh", name="shared")
    h1 = shared(Concatenate(name="cat1")([a, Dense(1, name="pb")(b)]))
    h2 = shared(Concatenate(name="cat2")([b, Dense(2, name="pa")(a)]))
    added = Add(name="add")([h1, h2])
    return Model(
        [a, b],
        [Dense(1, name="o1")(added), Dense(2, activation="softmax", name="o2")(added)],
    )


def test_layers_follow_keras_depth_order():
    # Keras 3.15: ['a', 'x1', 'x2', 'b', 'x3', 'y1', 'cat', 'out']; before: a, b, x1, ...
    model = two_towers(dg)
    names = ["a", "x1", "x2", "b", "x3", "y1", "cat", "out"]
    assert [layer.name for layer in model.layers] == names
    assert [w.shape for w in model.weights] == [
        (3, 2), (2,), (2, 2), (2,), (2, 2), (2,), (2, 2), (2,), (4, 1), (1,)
    ]  # fmt: skip


def test_a_shared_layer_is_listed_at_its_greatest_depth():
    # Keras 3.15 lists pa before cat1 and shared after both concatenations; deepgrad
    # listed them in call order (pb, cat1, shared, pa, cat2), so Keras' get_weights
    # did not fit set_weights.
    model = shared_layer_model(dg)
    assert [layer.name for layer in model.layers] == [
        "a", "b", "pb", "pa", "cat1", "cat2", "shared", "add", "o1", "o2"
    ]  # fmt: skip
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    rows = [line.split()[0] for line in lines[4:14]]
    assert rows == [layer.name for layer in model.layers]


def test_an_unused_input_is_listed_with_the_output_layers():
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="unused")
    model = dg.Model([a, b], layers.Dense(1, name="d")(a))
    assert [layer.name for layer in model.layers] == ["a", "unused", "d"]  # as Keras 3.15


@pytest.mark.parametrize("build", [two_towers, shared_layer_model])
def test_keras_weights_load_in_order_and_give_keras_predictions(build):
    keras = pytest.importorskip("keras")
    keras_model, model = build(keras), build(dg)
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    model.set_weights(keras_model.get_weights())
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((5, 3)).astype("f"), rng.standard_normal((5, 2)).astype("f")]
    expected = keras_model.predict(x, verbose=0)
    got = model.predict(x, verbose=0)
    flatten = dg.layers.structure.flatten
    for want, have in zip(flatten(expected), flatten(got), strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6)

"""A generator (or list) of batches whose inputs or targets are lists of arrays, one per
input or output, as Keras 3 takes them: deepgrad stacked the list into one array and
failed with NumPy's "setting an array element with a sequence" (a dict worked). Such a
batch is now packed as ``fit`` packs lists of arrays. The numbers were printed by Keras
3.15 (JAX) for the same model."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
XA = RNG.normal(size=(10, 3)).astype(np.float32)
XB = RNG.normal(size=(10, 2)).astype(np.float32)
Y1 = RNG.normal(size=(10, 1)).astype(np.float32)
Y2 = RNG.normal(size=(10, 2)).astype(np.float32)
SW = np.arange(10, dtype=np.float32)


def two_by_two():
    """Two inputs, two outputs, weights of 0.1."""
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    hidden = layers.Concatenate()([a, b])
    o1 = layers.Dense(1, kernel_initializer=dg.initializers.Constant(0.1), name="o1")(hidden)
    o2 = layers.Dense(2, kernel_initializer=dg.initializers.Constant(0.1), name="o2")(hidden)
    model = dg.Model([a, b], [o1, o2])
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.05), loss=["mse", "mae"])
    return model


def batches(weights=None):
    for start in range(0, 10, 4):
        part = slice(start, start + 4)
        batch = ([XA[part], XB[part]], [Y1[part], Y2[part]])
        yield batch if weights is None else (*batch, weights(part))


@pytest.mark.parametrize(
    "weights",
    [None, lambda part: SW[part], lambda part: {"o1": SW[part], "o2": SW[part]}],
    ids=["unweighted", "one weight", "per output"],
)
def test_lists_of_arrays_in_a_generators_batches(weights):
    model, reference = two_by_two(), two_by_two()
    history = model.fit(batches(weights), epochs=1, verbose=0).history
    sample_weight = None if weights is None else weights(slice(None))
    expected = reference.fit(
        [XA, XB], [Y1, Y2], batch_size=4, shuffle=False, verbose=0, sample_weight=sample_weight
    ).history
    assert history.keys() == expected.keys()
    for name, values in expected.items():
        assert history[name] == pytest.approx(values, rel=1e-6)
    assert model.evaluate(batches(weights), verbose=0) == pytest.approx(
        reference.evaluate(
            [XA, XB], [Y1, Y2], batch_size=4, verbose=0, sample_weight=sample_weight
        ),
        rel=1e-6,
    )


def test_the_numbers_are_keras():
    history = two_by_two().fit(batches(), epochs=1, verbose=0).history
    # Keras 3.15 (JAX), the same model and batches
    keras = {"loss": 1.7125098705, "o1_loss": 0.7057148218, "o2_loss": 1.0067950487}
    assert {name: values[0] for name, values in history.items()} == pytest.approx(keras, rel=1e-5)

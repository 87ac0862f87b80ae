"""A ``PyDataset``'s ``on_epoch_begin`` was never called (deepgrad's own base class
documented it as "called before each epoch"), so a data set that reorders or redraws
its samples there trained on the same batches every epoch, with no error: Keras 3 calls
it before each pass, and ``on_epoch_end`` after it, also after a pass that ``steps``
cuts short."""

import numpy as np
import pytest

import deepgrad as dg

RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y = RNG.normal(size=(10, 1)).astype(np.float32)
KERNEL = RNG.normal(size=(3, 1)).astype(np.float32)


def reversing(base):
    """Batches of 4 that ``on_epoch_begin`` reverses: what a data set redrawing its order
    each epoch does, with every hook call recorded."""

    class Reversing(base):
        def __init__(self):
            super().__init__()
            self.x, self.y, self.calls = X, Y, []

        def __len__(self):
            return 3

        def __getitem__(self, index):
            self.calls.append(index)
            part = slice(4 * index, 4 * index + 4)
            return self.x[part], self.y[part]

        def on_epoch_begin(self):
            self.calls.append("begin")
            self.x, self.y = self.x[::-1], self.y[::-1]

        def on_epoch_end(self):
            self.calls.append("end")

    return Reversing()


def linear(module):
    """Dense(1) with fixed weights, trained once on the arrays: Keras' first fit reads one
    extra pass of a PyDataset to build itself (its hooks too), a later one does not."""
    model = module.Sequential([module.layers.Dense(1)])
    model.build((None, 3))
    model.set_weights([KERNEL, np.zeros(1, np.float32)])
    model.compile(optimizer=module.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(X, Y, epochs=1, shuffle=False, verbose=0)
    return model


def test_fit_calls_on_epoch_begin_before_each_epoch():
    data = reversing(dg.utils.PyDataset)
    history = linear(dg).fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.calls == ["begin", 0, 1, 2, "end"] * 2
    # Keras 3.15 (JAX) on the same data and weights (deepgrad gave 1.689756, 1.334309):
    assert history.history["loss"] == pytest.approx([1.7200572, 1.4199445], rel=1e-5)


def test_fit_matches_keras_when_on_epoch_begin_changes_the_data():
    keras = pytest.importorskip("keras")
    ours, theirs = reversing(dg.utils.PyDataset), reversing(keras.utils.PyDataset)
    model, reference = linear(dg), linear(keras)
    history = model.fit(ours, epochs=3, shuffle=False, verbose=0)
    expected = reference.fit(theirs, epochs=3, shuffle=False, verbose=0)
    assert history.history["loss"] == pytest.approx(expected.history["loss"], rel=1e-5)
    for weight, reference_weight in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(weight, reference_weight, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("how", ["evaluate", "predict"])
def test_a_pass_cut_short_by_steps_begins_and_ends(how):
    data = reversing(dg.utils.PyDataset)
    model = linear(dg)
    for _ in range(2):
        if how == "evaluate":
            model.evaluate(data, steps=2, verbose=0)
        else:
            model.predict(data, steps=2, verbose=0)
    assert data.calls == ["begin", 0, 1, "end"] * 2


def test_validation_data_begins_and_ends_each_pass():
    data = reversing(dg.utils.PyDataset)
    linear(dg).fit(X, Y, epochs=2, validation_data=data, verbose=0)
    assert data.calls == ["begin", 0, 1, 2, "end"] * 2

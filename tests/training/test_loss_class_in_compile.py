"""``compile(loss=dg.losses.MeanSquaredError)`` (the class, not an object) is made with its
defaults, as Keras 3's compile makes it; deepgrad called the class as a loss function
and failed in fit with NumPy's "ufunc 'equal' did not contain a loop". The model saves
and loads with it."""

import numpy as np
import pytest

import deepgrad as dg


@pytest.mark.parametrize("loss", [dg.losses.MeanSquaredError, dg.losses.Huber])
def test_a_loss_class_trains_as_its_default_object_and_saves(tmp_path, loss):
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
    y = x.sum(axis=1, keepdims=True)
    histories, models = [], []
    for given in (loss, loss()):
        dg.random.seed(0)
        model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1)])
        model.compile("sgd", given)
        histories.append(model.fit(x, y, epochs=2, verbose=0).history["loss"])
        models.append(model)
    assert histories[0] == histories[1]
    models[0].save(tmp_path / "model.dg")
    loaded = dg.saving.load_model(tmp_path / "model.dg")
    assert type(loaded.loss) is loss
    assert loaded.evaluate(x, y, verbose=0) == models[0].evaluate(x, y, verbose=0)

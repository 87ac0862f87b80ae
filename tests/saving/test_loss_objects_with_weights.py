"""A model compiled with a loss object and loss_weights loads back compiled as it was.

The file holds the loss in its saved form, ``{"class_name": ..., "config": ...}``; with
``loss_weights`` given, compile read that dict as losses keyed by output name, and the
file saved without a word could not be loaded compiled.
"""

import numpy as np
import pytest

from deepgrad import layers, losses, models


@pytest.mark.parametrize("loss_weights", [0.5, [0.5], {"out": 0.5}])
def test_a_loss_object_with_loss_weights_loads_back(tmp_path, loss_weights):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 2)).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)
    model = models.Sequential([layers.Dense(3), layers.Dense(1)], name="out")
    model.compile(optimizer="sgd", loss=losses.Huber(delta=2.0), loss_weights=loss_weights)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "model.deepgrad")

    loaded = models.load_model(tmp_path / "model.deepgrad")

    assert loaded.loss.losses[0].delta == 2.0
    assert loaded.loss.weights == (0.5,)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

"""An optimizer state flat over other weights than the ones the model trains now (a
layer frozen or unfrozen after the optimizer was built) is refused when saving: loaded,
it was laid over the weights trained now, one layer's Adam moments on another's."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, optimizers


def _trained_with_second_layer_frozen():
    dg.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    model = dg.Sequential([dg.Input((4,)), layers.Dense(4), layers.Dense(4), layers.Dense(2)])
    model.layers[1].trainable = False
    model.compile(optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return model, x, y


def test_save_refuses_a_state_built_on_other_weights_of_the_same_size(tmp_path):
    model, _, _ = _trained_with_second_layer_frozen()
    # the same number of trained values, on another layer: the state's shapes still fit
    model.layers[0].trainable, model.layers[1].trainable = False, True
    path = tmp_path / "model.dg"
    path.write_bytes(b"before")
    with pytest.raises(ValueError, match=r"sequential.*changed since its optimizer was built"):
        model.save(path)
    assert path.read_bytes() == b"before"  # nothing written
    with pytest.raises(RuntimeError, match="call compile"):  # as the model itself says
        model.fit(np.zeros((4, 4), np.float32), np.zeros((4, 2), np.float32), verbose=0)


def test_save_refuses_a_state_built_before_a_layer_was_frozen(tmp_path):
    model, _, _ = _trained_with_second_layer_frozen()
    model.layers[0].trainable = False  # the saved state would not load: refused at once
    with pytest.raises(ValueError, match="4 weights then, 2 now"):
        model.save(tmp_path / "model.dg")


def test_compiled_again_it_saves_and_resumes_bit_for_bit(tmp_path):
    model, x, y = _trained_with_second_layer_frozen()
    model.layers[0].trainable, model.layers[1].trainable = False, True
    model.compile(optimizers.Adam(learning_rate=0.01), "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    restored.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

"""A model with weight constraints saves and loads (JSON architecture, no pickle): the
loaded model's weights keep their constraints and train on exactly as the saved one."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import constraints, layers

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 4)).astype(np.float32)
Y = RNG.standard_normal((32, 2)).astype(np.float32)


def _model(kernel_constraint=None):
    model = dg.Sequential(
        [
            layers.Dense(
                6,
                "tanh",
                kernel_constraint=kernel_constraint or constraints.MaxNorm(0.9, axis=[0]),
                bias_constraint="non_neg",
            ),
            layers.LayerNormalization(gamma_constraint=constraints.MinMaxNorm(0.5, 1.5, 0.5)),
            layers.BatchNormalization(beta_constraint="unit_norm"),
            layers.Dense(2),
        ]
    )
    model.compile(dg.optimizers.Adam(learning_rate=0.05), "mse")
    return model


def _constraints_of(model):
    return {
        name: (type(weight.constraint).__name__, getattr(weight.constraint, "get_config", dict)())
        for name, weight, *_ in model.named_weights()
    }


def test_a_model_with_constraints_saves_loads_and_trains_on_identically(tmp_path):
    model = _model()
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "constrained.dg")
    restored = dg.load_model(tmp_path / "constrained.dg")
    assert _constraints_of(restored) == _constraints_of(model)
    assert _constraints_of(model)["layers.0.kernel"] == ("MaxNorm", {"max_value": 0.9, "axis": [0]})
    for trained in (model, restored):
        trained.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for ours, saved in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, saved)
    assert restored.get_weights()[1].min() >= 0  # the bias still non-negative


def test_a_constraint_of_ones_own_cannot_be_saved_and_says_so(tmp_path):
    model = _model(kernel_constraint=lambda w: dg.numpy.clip(w, -1.0, 1.0))
    model.build((None, 4))
    with pytest.raises(ValueError, match=r"constraint .* cannot be saved"):
        model.save(tmp_path / "mine.dg")
    assert not (tmp_path / "mine.dg").exists()

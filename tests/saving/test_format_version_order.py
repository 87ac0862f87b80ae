"""Model files of format "1" listed a functional model's weights in call order; since the
weights follow Keras' order by depth, a two-branch model lists them otherwise. Weights
load by name either way, but the optimizer state is flat over the weights in the listed
order: loading a format-"1" state into such a model would put Adam's moments on other
weights without a word. It is refused; where the order is unchanged it loads."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.saving import model_file

RNG = np.random.default_rng(0)
X1 = RNG.normal(size=(8, 3)).astype(np.float32)
X2 = RNG.normal(size=(8, 2)).astype(np.float32)
Y = RNG.normal(size=(8, 1)).astype(np.float32)


def two_branches():
    dg.random.seed(0)
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    y = layers.Dense(4, name="y1")(b)
    x = layers.Dense(4, name="x2")(layers.Dense(4, name="x1")(a))
    # Keras lists the deeper x1 first (x1, y1, x2); format "1" listed y1, x1, x2
    out = layers.Dense(1, name="out")(layers.Concatenate()([y, x]))
    return dg.Model([a, b], out), [X1, X2]


def chain():
    dg.random.seed(0)
    a = dg.Input((3,))
    return dg.Model(a, layers.Dense(1)(layers.Dense(4)(a))), X1


def saved_as_format_1(make, path, monkeypatch):
    model, x = make()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, Y, epochs=2, verbose=0)
    with monkeypatch.context() as patch:
        patch.setattr(model_file, "FORMAT_VERSION", "1")
        model.save(path)
    return model


def test_the_call_order_differs_for_two_branches_only():
    assert two_branches()[0].weights_listed_otherwise_before()
    assert not chain()[0].weights_listed_otherwise_before()


def test_a_format_1_optimizer_state_listed_otherwise_is_refused(tmp_path, monkeypatch):
    model = saved_as_format_1(two_branches, tmp_path / "m.dg", monkeypatch)
    with pytest.raises(ValueError, match="listed this functional model's weights in another"):
        dg.load_model(tmp_path / "m.dg")
    loaded = dg.load_model(tmp_path / "m.dg", compile=False)  # the weights load by name
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_format_1_state_whose_order_is_unchanged_loads(tmp_path, monkeypatch):
    model = saved_as_format_1(chain, tmp_path / "m.dg", monkeypatch)
    loaded = dg.load_model(tmp_path / "m.dg")
    for name, array in model.optimizer.state_arrays().items():
        np.testing.assert_array_equal(loaded.optimizer.state_arrays()[name], array)


def test_a_file_of_this_format_resumes_the_two_branches_bit_for_bit(tmp_path):
    model, x = two_branches()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.dg")
    loaded = dg.load_model(tmp_path / "m.dg")
    model.fit(x, Y, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, Y, epochs=1, verbose=0, shuffle=False)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)

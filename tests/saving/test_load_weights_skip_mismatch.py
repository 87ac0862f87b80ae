"""``load_weights(path, skip_mismatch=True)``, Keras 3's argument: each layer whose weights
the file holds (as many, of the same shapes) loads, the others are skipped whole with a
warning naming them. deepgrad did not take the argument."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

SAVED = [(3, True), (2, True)]  # (units, use_bias) of each Dense after Input((4,))
# which layers of each changed model Keras 3.15 loads from SAVED's weights (run below)
CASES = {
    "a layer wider": ([(3, True), (5, True)], [True, False]),
    "a layer added": ([(3, True), (2, True), (2, True)], [True, True, False]),
    "a layer removed": ([(3, True)], [True]),
    "a bias dropped": ([(3, True), (2, False)], [True, False]),
    "the same": (SAVED, [True, True]),
}


def _deepgrad_model(spec, seed):
    dg.random.seed(seed)
    dense = [layers.Dense(units, use_bias=bias, bias_initializer="ones") for units, bias in spec]
    return dg.Sequential([dg.Input((4,)), *dense])


def _loaded(model, saved):
    """Per layer, whether its weights are the saved model's (fresh ones differ: another
    seed, and biases of ones where the saved ones were trained away from them)."""
    return [
        all(any(np.array_equal(w, s) for s in saved) for w in layer.get_weights())
        for layer in model.layers
    ]


def _saved(tmp_path):
    model = _deepgrad_model(SAVED, seed=0)
    model.set_weights([w + 0.5 for w in model.get_weights()])
    model.save_weights(tmp_path / "w.dg")
    return model.get_weights()


@pytest.mark.parametrize("case", list(CASES))
def test_loads_the_layers_keras_loads(tmp_path, case):
    saved = _saved(tmp_path)
    spec, expected = CASES[case]
    model = _deepgrad_model(spec, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.load_weights(tmp_path / "w.dg", skip_mismatch=True)
    assert _loaded(model, saved) == expected
    messages = [str(w.message) for w in caught]
    if case == "the same":
        assert messages == []
    else:  # each skipped layer, and the file's layers the model lacks, are named
        assert len(messages) == 1 and "skip_mismatch=True" in messages[0]
        assert f"skipped {expected.count(False)} layer(s)" in messages[0]
        unused = "['model/layers.1']" if case == "a layer removed" else "none"
        assert messages[0].endswith(f"layers of the file not in the model: {unused}")


def test_without_it_a_mismatch_is_refused_and_nothing_loads(tmp_path):
    _saved(tmp_path)
    model = _deepgrad_model(CASES["a layer wider"][0], seed=1)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"layers\.1\.kernel' is float32\[3, 2\] in the file"):
        model.load_weights(tmp_path / "w.dg")
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_dtype_mismatch_is_skipped_where_keras_casts(tmp_path):
    saved = _saved(tmp_path)
    dg.random.seed(1)
    model = dg.Sequential([dg.Input((4,)), layers.Dense(3, dtype="float16"), layers.Dense(2)])
    with pytest.warns(UserWarning, match=r"float32\[4, 3\] in the file, float16\[4, 3\]"):
        model.load_weights(tmp_path / "w.dg", skip_mismatch=True)
    assert _loaded(model, saved) == [False, True]


def test_skip_mismatch_must_be_a_bool(tmp_path):
    _saved(tmp_path)
    with pytest.raises(TypeError, match="skip_mismatch must be True or False, got 'yes'"):
        _deepgrad_model(SAVED, seed=1).load_weights(tmp_path / "w.dg", skip_mismatch="yes")


@pytest.mark.parametrize("case", [c for c in CASES if c != "the same"])
def test_the_expectations_are_keras(tmp_path, case):
    keras = pytest.importorskip("keras")

    def build(spec):
        dense = [keras.layers.Dense(u, use_bias=b, bias_initializer="ones") for u, b in spec]
        return keras.Sequential([keras.Input((4,)), *dense])

    saved = build(SAVED)
    saved.set_weights([w + 0.5 for w in saved.get_weights()])
    saved.save_weights(tmp_path / "w.weights.h5")
    spec, expected = CASES[case]
    model = build(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    assert _loaded(model, saved.get_weights()) == expected

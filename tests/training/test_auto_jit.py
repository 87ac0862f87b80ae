"""``compile(jit="auto")``, the default: compiled when every part of the step is deepgrad's,
eager as soon as code of the user's runs inside it."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, regularizers


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((48, 5)).astype(np.float32), rng.integers(0, 3, 48)


def _mlp(*hidden: layers.Layer) -> dg.Sequential:
    return dg.Sequential([*hidden, layers.Dense(8, activation="relu"), layers.Dense(3)])


def _compiled(model: dg.Model, loss=None, **options) -> dg.Model:
    loss = loss or losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile("adam", loss, metrics=["accuracy"], **options)
    return model


def test_a_model_of_deepgrads_layers_is_compiled_by_default():
    model = _compiled(_mlp(layers.Dropout(0.2), layers.BatchNormalization()))
    assert model.jit is True
    dg.random.seed(3)
    model.fit(*_data(), batch_size=16, epochs=1, verbose=0)
    assert model._compiled_steps, "fit ran eagerly"


def test_the_default_trains_to_the_same_bits_as_eager():
    histories, weights = {}, {}
    for jit in ("auto", False):
        dg.random.seed(0)
        model = _compiled(_mlp(layers.Dropout(0.2)), jit=jit)
        dg.random.seed(1)
        history = model.fit(*_data(), batch_size=16, epochs=3, verbose=0).history
        histories[jit], weights[jit] = history, model.get_weights()
    assert histories["auto"] == histories[False]
    for compiled, eager in zip(weights["auto"], weights[False], strict=True):
        np.testing.assert_array_equal(compiled, eager)


class Doubling(layers.Layer):
    def call(self, inputs, training=False):
        return inputs * 2.0


class TwiceDense(layers.Dense):
    pass


class Squares(regularizers.Regularizer):
    def __call__(self, weight):
        return 0.01 * dg.numpy.sum(weight * weight)


class Subclassed(dg.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = layers.Dense(8, activation="relu"), layers.Dense(3)

    def call(self, inputs, training=False):
        return self.out(self.hidden(inputs))


def _functional(*inside: layers.Layer) -> dg.Model:
    inputs = dg.Input((5,))
    hidden = dg.Sequential([layers.Dense(8, activation="relu"), *inside])(inputs)
    return dg.Model(inputs, layers.Dense(3)(hidden))


def _squared_error(y_true, y_pred):
    return dg.numpy.mean((y_pred - y_true) ** 2)


def _twice(z):
    return z * 2.0


def _scaled(z, factor):
    return z * factor


USERS_CODE = {
    "a layer class of the user's": lambda: _compiled(_mlp(Doubling())),
    "a subclass of a deepgrad layer": lambda: _compiled(dg.Sequential([TwiceDense(3)])),
    "a subclassed model": lambda: _compiled(Subclassed()),
    "an activation function": lambda: _compiled(
        dg.Sequential([layers.Dense(8, activation=_twice), layers.Dense(3)])
    ),
    "an Activation layer's function": lambda: _compiled(_mlp(layers.Activation(_twice))),
    "a partial of the user's function": lambda: _compiled(
        _mlp(layers.Activation(functools.partial(_scaled, factor=2.0)))
    ),
    "a regularizer": lambda: _compiled(
        dg.Sequential([layers.Dense(8, kernel_regularizer=Squares()), layers.Dense(3)])
    ),
    "a loss function": lambda: _compiled(_mlp(), loss=_squared_error),
    "a layer of the user's nested in a Sequential": lambda: _compiled(
        dg.Sequential([dg.Sequential([layers.Dense(4), Doubling()]), layers.Dense(3)])
    ),
    "a layer of the user's inside a functional model": lambda: _compiled(_functional(Doubling())),
    "a NumPy function as activation": lambda: _compiled(
        dg.Sequential([layers.Dense(8, activation=np.tanh), layers.Dense(3)])
    ),
}


@pytest.mark.parametrize("where", list(USERS_CODE))
def test_code_of_the_users_keeps_the_step_eager(where):
    model = USERS_CODE[where]()
    model.build((None, 5))
    assert model.jit is False


def test_a_functional_model_of_deepgrads_layers_is_compiled():
    model = _compiled(_functional(layers.Dropout(0.1)))
    model.build((None, 5))
    assert model.jit is True


def test_a_partial_of_deepgrads_own_function_is_deepgrads():
    model = _compiled(_mlp(layers.Activation(functools.partial(dg.activations.leaky_relu))))
    model.build((None, 5))
    assert model.jit is True


def test_a_custom_layers_python_runs_on_every_batch_by_default():
    """What "auto" protects: the layer's Python (here a counter) runs on every batch, as
    it would not in a compiled step (there only while recording)."""
    calls = []

    class Counting(layers.Layer):
        def call(self, inputs, training=False):
            calls.append(training)
            return inputs

    model = _compiled(_mlp(Counting()))
    model.fit(*_data(), batch_size=16, epochs=2, verbose=0)
    assert calls.count(True) == 6


def test_a_layer_vouches_for_itself_with_supports_jit():
    class Vouched(Doubling):
        supports_jit = True

    model = _compiled(_mlp(Vouched()))
    assert model.jit is True

    class Refusing(layers.Dense):
        supports_jit = False

    model = _compiled(dg.Sequential([Refusing(3)]))
    assert model.jit is False


def test_run_eagerly_and_the_explicit_settings():
    model = _compiled(_mlp(), run_eagerly=True)
    assert model.jit is False
    model = _compiled(_mlp(Doubling()), jit=True)
    assert model.jit is True
    model.jit = False
    assert model.jit is False
    with pytest.raises(ValueError, match="jit=True and run_eagerly=True"):
        _compiled(_mlp(), jit=True, run_eagerly=True)
    with pytest.raises(ValueError, match="jit must be True, False or 'auto', got 'yes'"):
        _compiled(_mlp(), jit="yes")


def test_compile_decides_again():
    model = _compiled(_mlp())
    assert model.jit is True
    model.compile("sgd", _squared_error)
    assert model.jit is False


def test_auto_runs_eagerly_once_a_step_has_met_too_many_batch_shapes(monkeypatch):
    """jit=True refuses a step's 65th batch shape; "auto" runs it eagerly (the refusal
    comes before the step runs anything), with a warning, and stays eager."""
    from deepgrad.compiler import jit as compiler_jit

    monkeypatch.setattr(compiler_jit, "MAX_SIGNATURES", 3)
    x, y = _data()
    explicit = _compiled(_mlp(), jit=True)
    for size in (4, 5, 6):
        explicit.train_on_batch(x[:size], y[:size])
    with pytest.raises(dg.CompileError, match="different argument signatures"):
        explicit.train_on_batch(x[:7], y[:7])

    models = {}
    for jit in ("auto", False):
        dg.random.seed(0)
        models[jit] = _compiled(_mlp(), jit=jit)
        models[jit].build((None, 5))
    auto, eager = models["auto"], models[False]
    for size in (4, 5, 6):
        assert auto.train_on_batch(x[:size], y[:size]) == eager.train_on_batch(x[:size], y[:size])
    with pytest.warns(UserWarning, match='batch shapes; jit="auto" runs it eagerly'):
        assert auto.train_on_batch(x[:7], y[:7]) == eager.train_on_batch(x[:7], y[:7])
    assert auto.jit is False
    for kept, expected in zip(auto.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_array_equal(kept, expected)

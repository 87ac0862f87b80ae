"""A compiled step sees what changes between its replays, as eager mode does: weights that
no gradient reaches (moving statistics, adapted means and variances), and the data of
every batch, which its checks must read each time, not only while recording."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((64, 5)) * 3 + 1).astype(np.float32)
Y = RNG.integers(0, 3, 64)


def _fit_history(jit, build, **fit_options):
    dg.random.seed(0)
    model = build()
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    history = model.fit(X, Y, batch_size=16, verbose=0, shuffle=False, **fit_options).history
    return model, history


def test_validation_with_batch_normalization_reads_the_moving_statistics_of_each_epoch():
    """The compiled evaluation step normalises with BatchNormalization's moving mean and
    variance as they are now: they were folded into the plan when it was recorded (after
    the first epoch), and every later epoch's validation loss used those."""

    def build():
        return dg.Sequential([layers.Dense(8), layers.BatchNormalization(), layers.Dense(3)])

    histories = [
        _fit_history(jit, build, epochs=4, validation_data=(X, Y))[1] for jit in (False, True)
    ]
    assert histories[1]["val_loss"] == histories[0]["val_loss"]
    assert len(set(histories[0]["val_loss"])) == 4  # the moving statistics did move


def test_a_normalization_adapted_again_is_used_by_the_compiled_step():
    """The plan recorded before adapt() divides by the new standard deviation after it
    (it was folded into the plan as a constant)."""
    histories = []
    for jit in (False, True):
        norm = layers.Normalization()
        norm.adapt(X)
        model, _ = _fit_history(jit, lambda norm=norm: dg.Sequential([norm, layers.Dense(3)]))
        norm.adapt(X * 3 + 1)
        histories.append(model.fit(X, Y, batch_size=16, epochs=2, verbose=0).history)
    assert histories[1] == histories[0]


@pytest.mark.parametrize("bad", [-1, 10])
def test_embedding_checks_the_indices_of_every_batch(bad):
    """NumPy takes -1 as the last row: the check that refuses it must run on every
    replay, not only on the batches that were recorded."""
    x = RNG.integers(0, 10, (32, 3))
    y = RNG.standard_normal((32, 1)).astype(np.float32)
    model = dg.Sequential([layers.Embedding(10, 4), layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse", jit=True)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    batch = x[:8].copy()
    batch[0, 0] = bad
    with pytest.raises(IndexError, match=r"Embedding 'embedding.*': indices must lie in \[0, 10\)"):
        model.train_on_batch(batch, y[:8])


def test_embedding_takes_integral_float_indices_compiled_as_eager():
    x = RNG.integers(0, 10, (32, 3)).astype(np.float64)
    y = RNG.standard_normal((32, 1)).astype(np.float32)
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential([layers.Embedding(10, 4), layers.Flatten(), layers.Dense(1)])
        model.compile("sgd", "mse", jit=jit)
        results.append(model.fit(x, y, batch_size=8, epochs=2, verbose=0).history["loss"])
    assert results[1] == results[0]
    with pytest.raises(TypeError, match="expected integer indices, got float"):
        model.train_on_batch(x[:8] + 0.5, y[:8])


def _change(name):
    """A setting changed after the first epoch, on the model and loss given."""

    def dropout_rate(model, loss):
        model.layers[1].rate = 0.0

    def activation(model, loss):
        model.layers[0].activation = dg.activations.get("tanh")

    def label_smoothing(model, loss):
        loss.label_smoothing = 0.2

    def penalty(model, loss):
        model.layers[0].kernel_regularizer.l2 = 0.5

    return {
        "dropout_rate": dropout_rate,
        "activation": activation,
        "label_smoothing": label_smoothing,
        "penalty": penalty,
    }[name]


@pytest.mark.parametrize("setting", ["dropout_rate", "activation", "label_smoothing", "penalty"])
def test_a_setting_changed_between_epochs_is_used_by_the_compiled_step(setting):
    """A plan holds the Python values its recording read; a layer's configuration, a
    loss's or a regularizer's attribute reassigned makes it record again."""
    one_hot = np.eye(3, dtype=np.float32)[Y]
    histories = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential(
            [
                layers.Dense(8, activation="relu", kernel_regularizer=dg.regularizers.L2(0.01)),
                layers.Dropout(0.3),
                layers.Dense(3),
            ]
        )
        loss = losses.CategoricalCrossentropy(from_logits=True)
        model.compile("adam", loss, jit=jit)
        model.fit(X, one_hot, batch_size=16, epochs=1, verbose=0, shuffle=False)
        _change(setting)(model, loss)
        history = model.fit(X, one_hot, batch_size=16, epochs=2, verbose=0, shuffle=False)
        histories.append((history.history, model.get_weights()))
    (eager, eager_weights), (compiled, compiled_weights) = histories
    assert compiled == eager
    for a, b in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_evaluate_predict_and_saving_change_no_setting(tmp_path):
    """No spurious recordings: what fit and its neighbours assign is not a setting."""
    from deepgrad.compiler import settings

    model = dg.Sequential(
        [layers.Dense(8, activation="relu"), layers.BatchNormalization(), layers.Dense(3)]
    )
    model.compile(
        "adam", losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    before = settings.version()
    model.fit(X, Y, batch_size=16, epochs=3, verbose=0, validation_data=(X, Y))
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    model.save(tmp_path / "model.dg")
    dg.models.load_model(tmp_path / "model.dg")
    assert settings.version() == before


@pytest.mark.parametrize(
    ("from_logits", "bad"), [(False, -1), (False, 3), (True, 1.5), (False, 1.5)]
)
def test_sparse_cross_entropy_checks_the_labels_of_every_batch(from_logits, bad):
    """On probabilities a label of -1 would take the last class, and on float labels 1.5
    would be cast to 1: a compiled step checks every batch's labels, as eager does."""
    model = dg.Sequential([layers.Dense(3)] + ([] if from_logits else [layers.Softmax()]))
    model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=from_logits), jit=True)
    labels = Y.astype(np.float32) if bad == 1.5 else Y
    model.fit(X, labels, batch_size=16, epochs=1, verbose=0)
    batch = labels[:16].copy()
    batch[0] = bad
    with pytest.raises(ValueError, match=r"labels must be (integers )?in \[0, 3\)"):
        model.train_on_batch(X[:16], batch)


def test_a_layer_whose_config_cannot_be_saved_still_runs_and_its_settings_are_watched(
    monkeypatch,
):
    """A layer's settings are found from its class (its ``__init__`` parameters), not from
    ``get_config``, which refuses an activation that has no registered name."""
    from deepgrad.compiler import settings
    from deepgrad.layers import base

    monkeypatch.setattr(base, "_CONFIGURATION_NAMES", {})
    layer = layers.Activation(lambda z: z * 2.0)
    model = dg.Sequential([layer, layers.Dense(3)])
    model(X[:4])
    model(X[:4])  # built: each call sets the layer's output_shape, which is no setting
    before = settings.version()
    layer.activation = dg.activations.get("tanh")
    assert settings.version() == before + 1


def test_loss_weights_of_several_outputs_changed_between_epochs():
    """Reassigned, the outputs' loss weights are a new setting (compiled as eager); they
    are a tuple, so changing one in place, which nothing would notice, raises."""
    targets = [RNG.standard_normal((64, 1)).astype(np.float32) for _ in range(2)]
    histories = []
    for jit in (False, True):
        dg.random.seed(0)
        inputs = dg.Input((5,))
        hidden = layers.Dense(4, activation="relu")(inputs)
        model = dg.Model(inputs, [layers.Dense(1)(hidden), layers.Dense(1)(hidden)])
        model.compile("sgd", ["mse", "mse"], jit=jit)
        model.fit(X, targets, batch_size=16, epochs=1, verbose=0, shuffle=False)
        with pytest.raises(TypeError):
            model.loss.weights[0] = 5.0
        model.loss.weights = (5.0, 0.1)
        history = model.fit(X, targets, batch_size=16, epochs=2, verbose=0).history
        histories.append(sorted(history.values()))  # layer names differ between the runs
    assert histories[1] == histories[0]


def test_a_compiled_function_records_again_when_the_model_changes_mode():
    """model.train() then model.eval(): the plan recorded in training mode went on
    dropping units in inference mode."""
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(8), layers.Dropout(0.5), layers.Dense(1)])
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    model(x)
    forward = dg.compile(lambda inputs: model(inputs))
    model.train()
    for shift in range(3):
        forward(x + shift)
    model.eval()
    np.testing.assert_array_equal(np.asarray(forward(x + 10)), model(x + 10).numpy())


def test_an_argument_neither_array_nor_hashable_is_refused():
    """Keyed by id(), a later object reusing the id replayed the first one's value."""
    from dataclasses import dataclass

    @dataclass
    class Settings:
        scale: float

    scaled = dg.compile(lambda x, settings: dg.numpy.sum(x * settings.scale))
    with pytest.raises(dg.CompileError, match="Settings is neither an array nor hashable"):
        scaled(np.ones(3), Settings(2.0))


def test_minus_zero_is_a_signature_of_its_own():
    """0.0 == -0.0, but arctan2(-0.0, -1) is -π: the replay of 0.0 gave +π."""
    angle = dg.compile(lambda x, s: dg.numpy.arctan2(s, x))
    x = np.array([-1.0, -2.0])
    for s in (0.0, 0.0, 0.0, -0.0):
        np.testing.assert_array_equal(np.asarray(angle(x, s)), np.arctan2(s, x))


def test_a_loss_assigned_after_compile_is_the_one_a_compiled_fit_trains_on():
    """The compiled step recorded with mean squared error went on with it after
    ``model.loss = mae``; the eager step took the new loss."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 4)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential([layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", jit=jit)
        model.fit(x, y, batch_size=16, verbose=0, shuffle=False)
        model.loss = losses.get("mae")
        history = model.fit(x, y, batch_size=16, verbose=0, shuffle=False).history["loss"]
        results.append((history, model.evaluate(x, y, verbose=0), model.get_weights()))
    (eager_loss, eager_eval, eager_w), (jit_loss, jit_eval, jit_w) = results
    assert jit_loss == pytest.approx(eager_loss, rel=1e-6)
    assert jit_eval == pytest.approx(eager_eval, rel=1e-6)
    for a, b in zip(eager_w, jit_w, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_indexing_with_a_mask_made_in_the_step_is_refused():
    """Its result's shape follows the data: a replay broadcast one kept element into the
    buffer of three (3.0 where 1.0 was right) or failed. A fixed mask, or integer indices
    (a gather whose shape is the indices'), replay as recorded."""

    @dg.compile
    def masked_squares(prediction, target):
        keep = target >= 0  # "ignore" where the target is negative
        return dg.numpy.sum((prediction[keep] - target[keep]) ** 2)

    with pytest.raises(dg.CompileError, match="boolean mask computed in the step"):
        masked_squares(np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 3.0]))
    fixed_mask = np.array([True, False, True])
    picked = dg.compile(lambda x, rows: dg.numpy.sum(x[fixed_mask][np.arange(2), rows]))
    for shift in range(3):
        x = np.arange(12.0).reshape(3, 4) + shift
        rows = np.array([shift, 3 - shift])
        assert float(picked(x, rows)) == np.sum(x[fixed_mask][np.arange(2), rows])

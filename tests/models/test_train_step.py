"""Keras' guide "Customizing what happens in fit()", ported to deepgrad: ``train_step``
and ``test_step`` overrides with Keras' signature, ``compute_loss``, ``self.metrics``,
``self.optimizer.apply``; the backward() form (Keras' PyTorch flavour) and the
``deepgrad.value_and_grad`` form (its JAX flavour, with ``using_weights`` in place of
``stateless_call``)."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, metrics


def guide_data(n=1000):
    rng = np.random.default_rng(0)
    x = rng.random((n, 32)).astype(np.float32)
    y = rng.random((n, 1)).astype(np.float32)
    return x, y


def functional_body():
    inputs = dg.Input((32,))
    return inputs, layers.Dense(1)(inputs)


class CustomModel(dg.Model):
    """The guide's first example (PyTorch flavour: backward and .grad)."""

    def __init__(self, inputs=None, outputs=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = list(self.trainable_weights)
        gradients = [v.grad for v in trainable_weights]
        self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_first_simple_example_trains_and_logs_the_metrics():
    x, y = guide_data()
    model = CustomModel()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, verbose=0).history
    assert list(history) == ["loss", "mae"]
    assert history["loss"][-1] < history["loss"][0]


def test_the_custom_step_gives_the_same_numbers_as_the_built_in_one():
    x, y = guide_data(96)
    built_in = dg.Sequential([layers.Dense(1)])
    built_in.build((None, 32))
    custom = CustomModel()
    custom.build((None, 32))
    custom.set_weights(built_in.get_weights())
    for model in (built_in, custom):
        model.compile(optimizer=dg.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    logs = [
        m.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0).history
        for m in (built_in, custom)
    ]
    assert logs[0]["loss"] == pytest.approx(logs[1]["loss"], rel=1e-6)
    assert logs[0]["mae"] == pytest.approx(logs[1]["mae"], rel=1e-6)
    for a, b in zip(built_in.get_weights(), custom.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


class JaxStyleModel(dg.Model):
    """The guide's JAX flavour: differentiate the loss as a function of the weights' values
    (``dg.value_and_grad``), ``using_weights`` standing for ``stateless_call``."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def compute_loss_and_updates(self, trainable_values, x, y):
        with self.using_weights(trainable_values):
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        return loss, y_pred

    def train_step(self, data):
        x, y = data
        values = [w.numpy() for w in self.trainable_weights]
        grad_fn = dg.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, y_pred), grads = grad_fn(values, x, y)
        self.optimizer.apply(grads, self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_jax_flavour_matches_the_backward_flavour():
    x, y = guide_data(64)
    backward_model, jax_model = CustomModel(), JaxStyleModel()
    backward_model.build((None, 32))
    jax_model.build((None, 32))
    jax_model.set_weights(backward_model.get_weights())
    for model in (backward_model, jax_model):
        model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    histories = [
        m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
        for m in (backward_model, jax_model)
    ]
    assert histories[0]["loss"] == pytest.approx(histories[1]["loss"], rel=1e-5)
    for a, b in zip(backward_model.get_weights(), jax_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


class CountingMean(metrics.Mean):
    resets = 0

    def reset_state(self):
        CountingMean.resets += 1
        super().reset_state()


loss_tracker = CountingMean(name="loss")
mae_metric = metrics.MeanAbsoluteError(name="mae")


class LowerLevelModel(dg.Model):
    """The guide's "going lower-level": no compiled loss, metrics listed by the model."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = losses.mean_squared_error(y, y_pred).mean()
        loss.backward()
        self.optimizer.apply([w.grad for w in self.trainable_weights], self.trainable_weights)
        loss_tracker.update_state(loss)
        mae_metric.update_state(y, y_pred)
        return {"loss": loss_tracker.result(), "mae": mae_metric.result()}

    @property
    def metrics(self):
        return [loss_tracker, mae_metric]  # reset by fit at the start of each epoch


def test_going_lower_level_without_a_compiled_loss():
    x, y = guide_data()
    model = LowerLevelModel()
    model.compile(optimizer="adam")
    resets = CountingMean.resets
    history = model.fit(x, y, epochs=5, verbose=0).history
    assert list(history) == ["loss", "mae"] and history["loss"][-1] < history["loss"][0]
    assert CountingMean.resets - resets == 5  # fit resets the model's metrics every epoch
    with pytest.raises(ValueError, match="no loss to compute"):
        model.evaluate(x, y, verbose=0)


class WeightedModel(CustomModel):
    """The guide's "supporting sample_weight & class_weight"."""

    def train_step(self, data):
        if len(data) == 3:
            x, y, sample_weight = data
        else:
            sample_weight = None
            x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        loss.backward()
        self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}


def test_sample_weight_reaches_the_custom_step():
    x, y = guide_data()
    sample_weight = np.random.default_rng(1).random(len(y)).astype(np.float32)
    seen = []

    class Spy(WeightedModel):
        def train_step(self, data):
            seen.append(len(data))
            return super().train_step(data)

    model = Spy()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x, y, sample_weight=sample_weight, epochs=3, verbose=0).history
    assert set(seen) == {3} and history["loss"][-1] < history["loss"][0]


class EvaluatingModel(CustomModel):
    """The guide's "providing your own evaluation step"."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_own_evaluation_step_equals_the_built_in_evaluation():
    x, y = guide_data()
    model = EvaluatingModel()
    model.compile(loss="mse", metrics=["mae"])
    # batches of one size: the guide's update_state(loss) averages batches unweighted
    logs = model.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    reference = dg.Sequential([layers.Dense(1)])
    reference.build((None, 32))
    reference.set_weights(model.get_weights())
    reference.compile(loss="mse", metrics=["mae"])
    expected = reference.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(expected["loss"], rel=1e-6)
    assert logs["mae"] == pytest.approx(expected["mae"], rel=1e-6)


def test_calling_the_built_in_step_from_an_override():
    x, y = guide_data(64)
    calls = []

    class Counting(dg.Sequential):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    model = Counting([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert len(calls) == 4


def test_a_step_must_return_a_dict():
    class Bad(dg.Sequential):
        def train_step(self, data):
            return 1.0

    model = Bad([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="must return a dict"):
        model.fit(*guide_data(8), verbose=0)


def test_optimizer_apply_and_apply_gradients_check_their_arguments():
    model = dg.Sequential([layers.Dense(2, input_shape=(3,))])
    optimizer = dg.optimizers.SGD(learning_rate=0.5)
    kernel, bias = model.trainable_weights
    before = kernel.numpy().copy()
    ones = [np.ones(kernel.shape, np.float32), np.ones(bias.shape, np.float32)]
    optimizer.apply_gradients(zip(ones, [kernel, bias], strict=True))  # binds, then steps
    np.testing.assert_allclose(kernel.numpy(), before - 0.5, atol=1e-6)
    optimizer.apply(ones[::-1], [bias, kernel])  # any order
    np.testing.assert_allclose(kernel.numpy(), before - 1.0, atol=1e-6)  # two roundings
    with pytest.raises(ValueError, match="exactly the 2 parameters"):
        optimizer.apply(ones[:1], [kernel])
    with pytest.raises(ValueError, match="is None"):
        optimizer.apply([None, ones[1]], [kernel, bias])
    with pytest.raises(ValueError, match="a gradient of shape"):
        optimizer.apply([ones[1], ones[1]], [kernel, bias])

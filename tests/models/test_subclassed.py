"""Subclassed models: sublayers and weights assigned as attributes are tracked,
``add_weight`` with Keras' keywords, ``add_loss``, list and dict inputs passed to ``call``."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import layers


class Linear(layers.Layer):
    """Keras' guide example: weights created with add_weight(shape=..., initializer=...)."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=False)

    def call(self, inputs):
        return dnp.matmul(inputs, self.w) + self.b


def test_add_weight_with_keras_keywords_and_optional_names():
    layer = Linear(3)
    layer.build((None, 2))
    assert layer.built  # build() called directly marks the layer built, as in Keras
    assert [name for name, *_ in layer.named_weights()] == ["variable", "variable_1"]
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1
    assert layer(np.ones((5, 2), np.float32)).shape == (5, 3)
    with pytest.raises(TypeError, match="give the weight's shape"):
        layer.add_weight(initializer="zeros")
    with pytest.raises(ValueError, match="exists already"):
        layer.add_weight("variable", (2,))
    shape_first = layers.Layer()
    assert shape_first.add_weight((2, 3), initializer="ones").shape == (2, 3)


class Tracked(dg.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(4, activation="relu"), layers.Dense(4)]
        self.heads = {"mean": layers.Dense(1), "scale": layers.Dense(1)}
        self.offset = dg.tensor(np.zeros(1, np.float32), requires_grad=True)
        self.frozen = dg.tensor(np.ones(1, np.float32))  # no gradient: not a weight

    def call(self, inputs):
        hidden = inputs
        for block in self.blocks:
            hidden = block(hidden)
        return self.heads["mean"](hidden) + self.heads["scale"](hidden) + self.offset


def test_layers_and_tensors_assigned_as_attributes_are_tracked(tmp_path):
    model = Tracked()
    model.build((None, 3))
    paths = [name for name, _ in model.named_parameters()]
    assert paths == [
        "offset",
        "blocks.0.kernel",
        "blocks.0.bias",
        "blocks.1.kernel",
        "blocks.1.bias",
        "heads.mean.kernel",
        "heads.mean.bias",
        "heads.scale.kernel",
        "heads.scale.bias",
    ]
    assert model.count_params() == 1 + 16 + 20 + 5 + 5
    x = np.ones((2, 3), np.float32)
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1), loss="mse")
    before = model.offset.numpy().copy()
    model.fit(x, np.full((2, 1), 5.0, np.float32), epochs=2, verbose=0)
    assert model.offset.numpy() != before  # the attribute tensor is trained too
    model.save_weights(tmp_path / "w.dg")
    again = Tracked()
    again.build((None, 3))
    again.load_weights(tmp_path / "w.dg")
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


class ActivityRegularized(dg.Model):
    def __init__(self, rate=0.1):
        super().__init__()
        self.rate = rate
        self.dense = layers.Dense(2)

    def call(self, inputs):
        outputs = self.dense(inputs)
        self.add_loss(self.rate * dnp.sum(outputs**2))
        return outputs


def test_add_loss_enters_the_objective_once_per_call():
    model = ActivityRegularized()
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    outputs = model(x)
    assert len(model.losses) == 1
    model(x)
    assert len(model.losses) == 1  # the next outer call starts over
    penalty = 0.1 * float(np.sum(outputs.numpy() ** 2))
    assert float(model.losses[0].numpy()) == pytest.approx(penalty, rel=1e-6)
    model.compile(loss="mse")
    mse = float(np.mean(outputs.numpy() ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)
    assert float(model.compute_loss(y=y, y_pred=model(x)).numpy()) == pytest.approx(
        mse + penalty, rel=1e-5
    )
    with pytest.raises(ValueError, match="expected a scalar"):
        model.add_loss(dnp.ones(3))


def test_a_model_with_only_added_losses_trains_without_a_compiled_loss():
    model = ActivityRegularized(rate=0.01)  # curvature ≈ 0.02 Σ x xᵀ ≈ 0.3: a stable step
    model.compile(optimizer=dg.optimizers.SGD(learning_rate=0.1))
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    history = model.fit(x, None, epochs=5, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


class TwoInputs(dg.Model):
    def __init__(self):
        super().__init__()
        self.left, self.right = layers.Dense(2), layers.Dense(2)

    def call(self, inputs):
        if isinstance(inputs, dict):
            return self.left(inputs["numbers"]) + self.right(inputs["extra"])
        numbers, extra = inputs
        return self.left(numbers) + self.right(extra)


def test_dict_and_list_inputs_reach_call_and_train():
    model = TwoInputs()
    rng = np.random.default_rng(1)
    numbers = rng.standard_normal((32, 3)).astype(np.float32)
    extra = rng.standard_normal((32, 5)).astype(np.float32)
    y = (numbers[:, :2] - extra[:, :2]).astype(np.float32)
    as_list = model([numbers, extra]).numpy()
    as_dict = model({"numbers": numbers, "extra": extra}).numpy()
    np.testing.assert_array_equal(as_list, as_dict)
    model.compile(optimizer=dg.optimizers.Adam(learning_rate=0.05), loss="mse")
    history = model.fit({"numbers": numbers, "extra": extra}, y, epochs=20, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert model.predict([numbers, extra]).shape == (32, 2)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit([numbers, extra[:4]], y, verbose=0)


def test_build_of_a_subclassed_model_creates_its_weights():
    model = TwoInputs()
    model.build([(None, 3), (None, 5)])
    assert model.built and model.count_params() == 8 + 12


class DropsInside(dg.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(4, kernel_initializer="ones")
        self.dropout = layers.Dropout(0.5)

    def call(self, inputs):  # the sublayers are called without training=
        return self.dropout(self.dense(inputs))


def test_the_training_flag_of_a_call_reaches_sublayers_called_without_it():
    model = DropsInside()
    x = np.ones((64, 3), np.float32)
    np.testing.assert_array_equal(model(x).numpy(), 3.0)  # inference by default
    dg.random.seed(0)
    dropped = model(x, training=True).numpy()
    assert set(np.unique(dropped)) == {0.0, 6.0}  # Dropout saw training=True
    assert model.dropout.training is False  # the mode itself is unchanged
    np.testing.assert_array_equal(model(x, training=False).numpy(), 3.0)


class ComputeSum(layers.Layer):
    """Keras' subclassing guide: non-trainable state updated in call with assign_add."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(dnp.sum(inputs, axis=0))
        return self.total * 1.0


def test_weights_are_variables_with_assign():
    layer = ComputeSum(2)
    x = np.ones((2, 2), np.float32)
    np.testing.assert_array_equal(layer(x).numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(layer(x).numpy(), [4.0, 4.0])
    assert layer.weights == [layer.total] and layer.non_trainable_weights == [layer.total]
    layer.total.assign(np.zeros(2))
    layer.total.assign_sub(1.0)
    np.testing.assert_array_equal(layer.total.numpy(), [-1.0, -1.0])
    assert layer.total.value is layer.total
    with pytest.raises(ValueError, match="a value of shape"):
        layer.total.assign(np.zeros(3))


def test_assign_is_made_again_by_every_replay_of_a_compiled_call():
    layer = ComputeSum(2)
    compiled = dg.compile(lambda x: layer(x))
    totals = []
    for step in range(5):
        compiled(np.full((2, 2), step, np.float32))
        totals.append(layer.total.numpy().copy())
    np.testing.assert_array_equal(np.array(totals)[:, 0], [0.0, 2.0, 6.0, 12.0, 20.0])


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = dg.random.normal(size=z_mean.shape, dtype=np.float32)
        return z_mean + dnp.exp(0.5 * z_log_var) * epsilon


class VariationalAutoEncoder(dg.Model):
    """Keras' subclassing guide's end-to-end example, small: the KL term by add_loss."""

    def __init__(self, original_dim, latent_dim=2):
        super().__init__()
        self.hidden = layers.Dense(16, activation="relu")
        self.z_mean, self.z_log_var = layers.Dense(latent_dim), layers.Dense(latent_dim)
        self.sampling = Sampling()
        self.decoder = dg.Sequential(
            [layers.Dense(16, activation="relu"), layers.Dense(original_dim, activation="sigmoid")]
        )

    def call(self, inputs):
        hidden = self.hidden(inputs)
        z_mean, z_log_var = self.z_mean(hidden), self.z_log_var(hidden)
        reconstructed = self.decoder(self.sampling((z_mean, z_log_var)))
        kl = -0.5 * dnp.mean(z_log_var - dnp.square(z_mean) - dnp.exp(z_log_var) + 1)
        self.add_loss(kl)
        return reconstructed


def test_variational_autoencoder_trains_with_its_added_kl_term():
    dg.random.seed(0)
    rng = np.random.default_rng(0)
    x = (rng.random((256, 8)) < np.linspace(0.1, 0.9, 8)).astype(np.float32)
    vae = VariationalAutoEncoder(8)
    vae.compile(optimizer=dg.optimizers.Adam(learning_rate=1e-2), loss="mse")
    history = vae.fit(x, x, epochs=8, batch_size=64, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    vae(x)
    assert len(vae.losses) == 1 and float(vae.losses[0].numpy()) >= 0.0


@layers.register_serializable
class Residual(dg.Model):
    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(units, activation=activation)
        self.outer = layers.Dense(units)

    def call(self, x):
        return x + self.outer(self.inner(x))


def test_a_registered_subclassed_model_saves_its_architecture(tmp_path):
    model = Residual(3, activation="relu", name="res")
    assert model.get_config() == {"units": 3, "activation": "relu", "name": "res"}
    x = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, epochs=2, verbose=0)
    model.save(tmp_path / "res.dg")
    restored = dg.load_model(tmp_path / "res.dg")
    assert type(restored) is Residual and restored.name == "res"
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))

    class Unsaveable(dg.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, x):
            return self.layer(x)

    with pytest.raises(ValueError, match="not all JSON values"):
        Unsaveable(layers.Dense(1)).get_config()


def test_a_subclassed_model_lists_its_layers():
    model = Tracked()
    assert [layer.name for layer in model.layers] == [
        layer.name for layer in (*model.blocks, *model.heads.values())
    ]
    assert model.get_layer(index=0) is model.blocks[0]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = model.nothing

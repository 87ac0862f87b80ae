"""Layers: shapes, parameters, configuration, and values and gradients against PyTorch
with copied weights."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


def _grads(layer_out, weights):
    loss = (layer_out * weights).sum()
    loss.backward()


def test_dense_matches_torch_linear():
    x = rng.standard_normal((5, 4))
    dense = layers.Dense(3, activation="tanh", dtype="float64")
    xt = dg.tensor(x, requires_grad=True)
    out = dense(xt)
    linear = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(dense.kernel.numpy().T))
        linear.bias.copy_(torch.tensor(dense.bias.numpy()))
    xtt = torch.tensor(x, requires_grad=True)
    expected = torch.tanh(linear(xtt))
    w = rng.standard_normal((5, 3))
    _grads(out, w)
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), xtt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dense.kernel.grad.numpy(), linear.weight.grad.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(dense.bias.grad.numpy(), linear.bias.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_matches_torch(training):
    x = rng.standard_normal((8, 4)) * 3 + 1
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64")
    bn(x[:2])  # build
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    moving_mean, moving_var = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    bn.set_weights([gamma, beta, moving_mean, moving_var])
    torch_bn = torch.nn.BatchNorm1d(4, eps=1e-3, momentum=0.1, dtype=torch.float64)
    with torch.no_grad():
        torch_bn.weight.copy_(torch.tensor(gamma))
        torch_bn.bias.copy_(torch.tensor(beta))
        torch_bn.running_mean.copy_(torch.tensor(moving_mean))
        torch_bn.running_var.copy_(torch.tensor(moving_var))
    torch_bn.train(training)
    xt, xtt = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = bn(xt, training=training), torch_bn(xtt)
    w = rng.standard_normal((8, 4))
    _grads(out, w)
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), xtt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.gamma.grad.numpy(), torch_bn.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.beta.grad.numpy(), torch_bn.bias.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.moving_mean.numpy(), torch_bn.running_mean.numpy(), rtol=1e-12)
    if not training:
        np.testing.assert_allclose(bn.moving_variance.numpy(), moving_var)


def test_layer_normalization_matches_torch():
    x = rng.standard_normal((3, 5))
    ln = layers.LayerNormalization(epsilon=1e-3, dtype="float64")
    ln(x)
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    ln.set_weights([gamma, beta])
    torch_ln = torch.nn.LayerNorm(5, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        torch_ln.weight.copy_(torch.tensor(gamma))
        torch_ln.bias.copy_(torch.tensor(beta))
    xt, xtt = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ln(xt), torch_ln(xtt)
    w = rng.standard_normal((3, 5))
    _grads(out, w)
    (expected * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), xtt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ln.gamma.grad.numpy(), torch_ln.weight.grad.numpy(), rtol=1e-9)


def test_dropout_is_identity_at_inference_and_inverted_in_training():
    x = np.ones((200, 50), np.float32)
    drop = layers.Dropout(0.3)
    np.testing.assert_array_equal(drop(x), x)
    dg.random.seed(0)
    y = drop(x, training=True).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    noise = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(noise(x), x)
    assert abs(np.std(noise(x, training=True).numpy()) - 0.5) < 0.02


def test_prelu_learns_its_slope_and_embedding_scatters():
    prelu = layers.PReLU(alpha_initializer="ones")
    x = dg.tensor(np.array([[-2.0, 3.0]], np.float32))
    prelu(x).sum().backward()
    np.testing.assert_allclose(prelu.alpha.grad.numpy(), [[-2.0, 0.0]][0])
    emb = layers.Embedding(5, 2)
    out = emb(np.array([[1, 1, 3]]))
    assert out.shape == (1, 3, 2)
    out.sum().backward()
    np.testing.assert_allclose(emb.embeddings.grad.numpy()[:, 0], [0, 2, 0, 1, 0])
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 5\)"):
        emb(np.array([7]))


def test_activation_layers():
    x = np.array([[-1.0, 2.0]], np.float32)
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), [[0, 2]])
    np.testing.assert_allclose(layers.LeakyReLU(0.1)(x).numpy(), [[-0.1, 2]])
    np.testing.assert_allclose(layers.ELU()(x).numpy(), [[np.expm1(-1), 2]], rtol=1e-6)
    np.testing.assert_allclose(layers.Softmax()(x).numpy().sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), [[0, 2]])


def test_shapes_flatten_reshape():
    x = np.zeros((2, 3, 4), np.float32)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    with pytest.raises(ValueError, match="cannot reshape"):
        layers.Reshape((5, 5))(x)


def test_dense_errors_name_the_layer_and_shapes():
    dense = layers.Dense(3, name="hidden")
    dense(np.zeros((2, 4), np.float32))
    with pytest.raises(
        ValueError, match=r"Dense 'hidden': inputs have 5 features but the layer was built for 4"
    ):
        dense(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        layers.Dense(0)


def test_config_round_trip_and_unique_names():
    dense = layers.Dense(7, activation="gelu", kernel_regularizer="l2", use_bias=False)
    clone = layers.Dense.from_config(dense.get_config())
    assert clone.units == 7 and clone.activation is dense.activation and not clone.use_bias
    assert layers.Dense(1).name != layers.Dense(1).name


def test_trainable_flag_and_regularization_losses():
    dense = layers.Dense(2, kernel_regularizer=dg.regularizers.L2(0.5))
    dense(np.ones((1, 3), np.float32))
    expected = 0.5 * float((dense.kernel.numpy() ** 2).sum())
    assert float(dense.losses[0].item()) == pytest.approx(expected, rel=1e-6)
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert not dense.kernel.requires_grad


def test_activity_regularizer_is_a_penalty_per_sample():
    dense = layers.Dense(2, activity_regularizer=dg.regularizers.L1(0.5))
    outputs = dense(np.ones((4, 3), np.float32)).numpy()
    expected = 0.5 * np.abs(outputs).sum() / 4  # divided by the batch size, as Keras 3 does
    assert [float(loss.item()) for loss in dense.losses] == pytest.approx([expected], rel=1e-6)
    dense(np.ones((2, 3), np.float32))  # each outermost call starts over
    assert len(dense.losses) == 1
    clone = layers.Dense.from_config(dense.get_config())
    assert clone.activity_regularizer.get_config() == {"l1": 0.5}


def activity_regularized_run(module, weights):
    """The history and the evaluated loss of a small MLP with activity penalties."""
    if module is dg:
        model = dg.Sequential(
            [
                layers.Dense(4, activation="tanh", activity_regularizer="l2"),
                layers.Dense(1, activity_regularizer=dg.regularizers.L1(0.05)),
            ]
        )
        model.build((None, 3))
    else:
        model = module.Sequential(
            [
                module.Input((3,)),
                module.layers.Dense(4, activation="tanh", activity_regularizer="l2"),
                module.layers.Dense(1, activity_regularizer=module.regularizers.L1(0.05)),
            ]
        )
    model.set_weights(weights)
    model.compile(optimizer=module.optimizers.SGD(0.05), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    return history.history["loss"], model.evaluate(x, y, batch_size=16, verbose=0)


def test_activity_regularizer_adds_to_the_loss_as_in_keras():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (4,), (4, 1), (1,)]
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    losses, evaluated = activity_regularized_run(dg, weights)
    keras_losses, keras_evaluated = activity_regularized_run(keras, weights)
    np.testing.assert_allclose(losses, keras_losses, rtol=1e-5)
    assert evaluated == pytest.approx(keras_evaluated, rel=1e-5)


def test_initializers_have_the_right_variance():
    dg.random.seed(0)
    shape = (400, 300)
    glorot = dg.initializers.get("glorot_uniform")(shape)
    assert abs(glorot.var() - 2 / 700) / (2 / 700) < 0.05
    he = dg.initializers.get("he_normal")(shape)
    assert abs(he.var() - 2 / 400) / (2 / 400) < 0.05
    q = dg.initializers.get("orthogonal")((5, 5))
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-5)
    t = dg.initializers.TruncatedNormal(0, 1)((10000,))
    assert np.abs(t).max() <= 2


def test_seed_makes_construction_reproducible():
    def build():
        dg.random.seed(42)
        model = dg.Sequential([layers.Dense(5), layers.Dense(2)])
        model(np.zeros((1, 3), np.float32))
        return model.get_weights()

    for a, b in zip(build(), build(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_normalization_floors_a_constant_features_deviation_as_keras_does():
    """Keras divides by max(√variance, 1e-7) (backend.epsilon()); a floor of 1e-6 made a
    constant feature's output 10x smaller than Keras's."""
    data = np.c_[np.linspace(-1.0, 1.0, 20), np.full(20, 2.0)].astype(np.float32)
    norm = layers.Normalization()
    norm.adapt(data)
    out = norm(np.array([[0.5, 2.001]], np.float32)).numpy()
    expected_constant = (np.float32(2.001) - np.float32(2.0)) / np.float32(1e-7)  # Keras: 9999.275
    assert out[0, 1] == pytest.approx(expected_constant, rel=1e-6)
    assert out[0, 0] == pytest.approx(0.5 / data[:, 0].std(), rel=1e-5)


def test_weights_follow_keras_order_so_keras_weights_land_where_they_belong():
    """Layer by layer, each layer's trainable weights before its non-trainable ones, frozen
    or not: the model's trainable weights first, then the rest, put a Keras net's moving
    mean into PReLU's alpha without an error (the shapes fit)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    k = keras.layers
    theirs = keras.Sequential(
        [keras.Input((3,)), k.Dense(4), k.BatchNormalization(), k.PReLU(), k.Dense(2)]
    )
    ours = dg.Sequential(
        [layers.Dense(4), layers.BatchNormalization(), layers.PReLU(), layers.Dense(2)]
    )
    ours.build((None, 3))
    theirs.layers[0].trainable = False
    ours.layers[0].trainable = False
    theirs.set_weights([w + rng.uniform(0.5, 1.0, w.shape) for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    for mine, keras_weight in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), keras.ops.convert_to_numpy(keras_weight))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)

"""PyTorch's loop vocabulary on models: parameters(), named_parameters(), zero_grad(),
train()/eval(), repr; a plain loop on an unbuilt model raises instead of training nothing;
GaussianNLL's learned σ reached from a plain loop."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, optimizers


def mlp():
    return dg.Sequential(
        [
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dropout(0.5, name="drop"),
            layers.BatchNormalization(name="norm"),
            layers.Dense(1, name="out"),
        ]
    )


def test_parameters_and_named_parameters_are_the_trainable_weights():
    model = mlp()
    model.build((None, 3))
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.kernel",
        "layers.0.bias",
        "layers.2.gamma",
        "layers.2.beta",
        "layers.3.kernel",
        "layers.3.bias",
    ]  # the moving averages are not parameters
    assert [id(p) for p in model.parameters()] == [id(w) for w in model.trainable_weights]


def test_unbuilt_model_refuses_to_hand_out_no_parameters():
    model = mlp()
    with pytest.raises(RuntimeError, match="first call"):
        list(model.parameters())
    with pytest.raises(ValueError, match=r"model\.build"):
        optimizers.SGD(model.trainable_weights, learning_rate=0.1)


def test_zero_grad_clears_every_gradient_and_the_optimizer_still_steps():
    model = dg.Sequential([layers.Dense(1, input_shape=(2,))])
    optimizer = optimizers.SGD(model.parameters(), learning_rate=0.1)
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    losses.MeanSquaredError()(y, model(x)).backward()
    assert all(np.any(p.grad.numpy() != 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    before = [p.numpy().copy() for p in model.parameters()]
    optimizer.step()  # no gradient: nothing moves
    for p, old in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.numpy(), old)


def test_train_and_eval_set_the_mode_of_calls_without_training():
    model = mlp()
    x = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
    model.build((None, 3))
    assert model.training is False
    inference = model(x).numpy()
    np.testing.assert_array_equal(model(x).numpy(), inference)  # deterministic
    assert model.train() is model and all(layer.training for layer in model.layers)
    dg.random.seed(0)
    trained = model(x).numpy()
    assert not np.allclose(trained, inference)  # dropout drops, batch statistics are used
    moving = model.get_layer("norm").moving_mean.numpy().copy()
    assert np.any(moving != 0)  # BatchNormalization updated its averages in training mode
    model.eval()
    np.testing.assert_array_equal(model.get_layer("norm").moving_mean.numpy(), moving)
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    # an explicit training= wins over the mode
    model.train()
    np.testing.assert_array_equal(
        model(x, training=False).numpy(), model(x, training=False).numpy()
    )


def test_repr_lists_the_layers():
    text = repr(mlp())
    assert text.splitlines() == [
        "Sequential(",
        "  (0): Dense(name='hidden', units=8, activation='relu')",
        "  (1): Dropout(name='drop', rate=0.5)",
        "  (2): BatchNormalization(name='norm', axis=-1)",
        "  (3): Dense(name='out', units=1, activation='linear')",
        ")",
    ]


def test_plain_loop_learns_the_weights_and_sigma_of_a_gaussian_model():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 1)).astype(np.float32)
    y = (2.0 * x + 1.0 + 0.5 * rng.standard_normal((512, 1))).astype(np.float32)
    model = dg.Sequential([layers.Dense(1)])
    model.build((None, 1))
    nll = losses.GaussianNLL(sigma="learned")
    # σ is a parameter of the loss, not of the model: hand both to the optimizer
    optimizer = optimizers.Adam(model.trainable_weights + nll.trainable_weights, learning_rate=0.05)
    for _ in range(400):
        optimizer.zero_grad()
        loss = nll(y, model(x))
        loss.backward()
        optimizer.step()
    kernel, bias = model.get_weights()
    assert kernel.item() == pytest.approx(2.0, abs=0.1) and bias.item() == pytest.approx(
        1.0, abs=0.1
    )
    residual = y - model.predict(x)
    assert nll.sigma == pytest.approx(float(np.sqrt(np.mean(residual**2))), rel=0.02)
    assert nll.sigma == pytest.approx(0.5, rel=0.1)


def test_fit_trains_sigma_too():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (256, 1)).astype(np.float32)
    y = (x + 0.3 * rng.standard_normal((256, 1))).astype(np.float32)
    model = dg.Sequential([layers.Dense(1)])
    nll = losses.GaussianNLL(sigma="learned")
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss=nll)
    model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    assert nll.sigma == pytest.approx(0.3, rel=0.15)


def test_pytorch_quickstart_loop():
    """PyTorch's quickstart tutorial, with deepgrad's layers: forward(), model.train(),
    a plain loop, model.eval() and no_grad() for the test pass."""

    class NeuralNetwork(dg.Model):
        def __init__(self):
            super().__init__()
            self.flatten = layers.Flatten()
            self.linear_relu_stack = dg.Sequential(
                [layers.Dense(32, activation="relu"), layers.Dropout(0.1), layers.Dense(3)]
            )

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 2, 2)).astype(np.float32)
    y = (x.reshape(120, -1).sum(axis=1) > 0).astype(np.int64) + (x[:, 0, 0] > 1)
    model = NeuralNetwork()
    model.build((None, 2, 2))
    text = repr(model)
    assert (
        text.startswith("NeuralNetwork(\n  (flatten): Flatten(")
        and "(linear_relu_stack): Sequential(" in text
    )
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = optimizers.SGD(model.parameters(), learning_rate=0.1)

    def test_loss():
        model.eval()
        with dg.no_grad():
            return loss_fn(y, model(x)).item()

    before = test_loss()
    for _ in range(20):
        model.train()
        for start in range(0, 120, 30):
            pred = model(x[start : start + 30])
            loss = loss_fn(y[start : start + 30], pred)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    assert test_loss() < 0.7 * before

"""Vanishing gradients: why deep sigmoid nets stopped learning, and what changed.

Four 20-layer nets (32 units a layer) on the digits data: sigmoid and tanh with Glorot
initialisation, ReLU with Glorot and with He initialisation. Backpropagation multiplies
one factor per layer; sigmoid's derivative is at most 1/4, so the gradient reaching the
first layers shrinks geometrically with depth. ReLU's derivative is 0 or 1, and He's
initialisation (variance 2/fan-in) keeps the forward signal's size from layer to layer,
where Glorot's (variance 2/(fan-in + fan-out)) halves its variance at every ReLU layer.

Look at: the norm of each layer's weight gradient at initialisation (left, log scale:
the sigmoid net's first layers get gradients many orders of magnitude smaller than its
last), and the training loss (right: the sigmoid net barely moves).

    python examples/vanishing_gradients.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import datasets, layers, losses, optimizers, viz
from deepgrad.gallery import example_main

DEPTH, WIDTH = 20, 32
NETS = {
    "sigmoid, Glorot": ("sigmoid", "glorot_uniform"),
    "tanh, Glorot": ("tanh", "glorot_uniform"),
    "ReLU, Glorot": ("relu", "glorot_uniform"),
    "ReLU, He": ("relu", "he_uniform"),
}


def build(activation: str, initializer: str) -> dg.Sequential:
    hidden = [
        layers.Dense(WIDTH, activation=activation, kernel_initializer=initializer)
        for _ in range(DEPTH)
    ]
    return dg.Sequential([*hidden, layers.Dense(10, kernel_initializer=initializer)])


def gradient_norms(model, x, y) -> list[float]:
    """‖∂L/∂W_l‖ for each layer l, input side first, on one batch."""
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    for w in model.trainable_weights:
        w.grad = None
    loss_fn(y, model(x, training=True)).backward()
    return [float(np.linalg.norm(layer.kernel.grad.numpy())) for layer in model.layers]


def last_hidden_scale(model, x) -> float:
    """The standard deviation of the last hidden layer's outputs: the forward signal."""
    a = x
    for layer in model.layers[:-1]:
        a = layer(a)
    return float(np.std(np.asarray(a)))


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    (x, y), _ = datasets.load_digits()
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    epochs = 3 if quick else 15
    norms, histories, results = {}, {}, {}
    print(f"{DEPTH}-layer nets on digits, at initialisation and after {epochs} epochs of Adam")
    print(f"  {'net':<16} {'‖∂L/∂W₁‖/‖∂L/∂W₂₁‖':>9} {'std of a₂₀':>13} {'train accuracy':>18}")
    for name, (activation, initializer) in NETS.items():
        dg.random.seed(0)
        model = build(activation, initializer)
        norms[name] = gradient_norms(model, x[:256], y[:256])
        scale = last_hidden_scale(model, x[:256])
        model.compile(
            optimizer=optimizers.Adam(learning_rate=1e-3),
            loss=losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        history = model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
        histories[name] = history.history
        ratio = norms[name][0] / norms[name][-1]
        accuracy = history.history["accuracy"][-1]
        results[name] = {"first_over_last": ratio, "signal": scale, "train_accuracy": accuracy}
        print(f"  {name:<16} {ratio:9.1e} {scale:13.1e} {accuracy:18.3f}")

    fig, axes = viz.figure(ncols=2, width=4.8)
    flow_ax, loss_ax = axes[0]
    viz.plot_gradient_flow(norms, ax=flow_ax)
    flow_ax.set_title("gradient norm per layer, at initialisation")
    for name, history in histories.items():
        loss_ax.plot(np.arange(1, epochs + 1), history["loss"], label=name)
    loss_ax.set(title="training loss (Adam, 1e-3)", xlabel="epoch", ylabel="cross-entropy")
    loss_ax.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/vanishing_gradients.png")
    return results


if __name__ == "__main__":
    example_main(run, __doc__)

"""Regularisation: the same over-sized net trained without it, with L2, L1, dropout, and
early stopping, on a small noisy data set.

300 training points from the breast-cancer data (with 20% of their labels flipped, to
give the net something to overfit), a net far larger than the data warrants, and a
validation set that shows what each remedy does. L2 is a Gaussian prior on the weights
and L1 a Laplace prior (both added to the negative log-likelihood); dropout trains a
different thinned net at each step; early stopping keeps the weights of the best
validation epoch.

Look at: the unregularised net driving its training loss to zero, labels flipped or not
(it learns the noise), while its held-out accuracy sinks; each remedy keeps the training
loss up and the held-out accuracy higher. (The training objective of L1 and L2 includes
their penalty; the table gives the held-out cross-entropy alone.)

    python examples/regularization.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import callbacks, datasets, layers, losses, optimizers, regularizers, viz
from deepgrad.gallery import example_main


def build(kind: str) -> dg.Sequential:
    penalty = {"L2": regularizers.L2(3e-2), "L1": regularizers.L1(3e-3)}.get(kind)
    stack = []
    for _ in range(2):
        stack.append(layers.Dense(256, activation="relu", kernel_regularizer=penalty))
        if kind == "dropout":
            stack.append(layers.Dropout(0.5))
    stack.append(layers.Dense(2, kernel_regularizer=penalty))
    return dg.Sequential(stack)


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    (x, y), (x_test, y_test) = datasets.load_breast_cancer(test_size=0.3, seed=0)
    scaler = datasets.Standardizer().fit(x)
    x, x_test = scaler.transform(x), scaler.transform(x_test)
    rng = np.random.default_rng(0)
    x, y = x[:300], y[:300].copy()
    flip = rng.random(len(y)) < 0.2
    y[flip] = 1 - y[flip]  # label noise: what an over-sized net learns by heart
    epochs = 40 if quick else 150
    histories, results = {}, {}
    cross_entropy = losses.SparseCategoricalCrossentropy(from_logits=True)
    header = f"{'':<16} {'epochs':>6} {'train loss':>10} {'test cross-entropy':>19}"
    print(f"{header} {'test accuracy':>14}")
    for kind in ("none", "L2", "L1", "dropout", "early stopping"):
        dg.random.seed(0)
        model = build(kind)
        model.compile(
            optimizer=optimizers.Adam(learning_rate=1e-3), loss=cross_entropy, metrics=["accuracy"]
        )
        extra = []
        if kind == "early stopping":
            extra = [callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
        history = model.fit(
            x,
            y,
            epochs=epochs,
            batch_size=32,
            validation_data=(x_test, y_test),
            verbose=0,
            callbacks=extra,
        )
        logs = history.history
        # The likelihood alone (fit's losses add the penalty to it, as Keras' do).
        test_nll = float(cross_entropy(y_test, model.predict(x_test, verbose=0)))
        accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))
        results[kind] = {
            "epochs": len(logs["loss"]),
            "train_loss": logs["loss"][-1],
            "test_cross_entropy": test_nll,
            "test_accuracy": accuracy,
        }
        histories[kind] = logs
        print(
            f"{kind:<16} {len(logs['loss']):>6} {logs['loss'][-1]:10.3f} "
            f"{test_nll:19.3f} {accuracy:14.3f}"
        )

    fig, axes = viz.figure(ncols=2, width=4.8)
    train_ax, val_ax = axes[0]
    for kind, logs in histories.items():
        epochs_run = np.arange(1, len(logs["loss"]) + 1)
        (line,) = train_ax.plot(epochs_run, logs["loss"], label=kind)
        val_ax.plot(epochs_run, logs["val_accuracy"], color=line.get_color(), label=kind)
    train_ax.set(
        title="training objective (20% of labels flipped)",
        xlabel="epoch",
        ylabel="cross-entropy + penalty",
    )
    train_ax.set_yscale("log")
    val_ax.set(
        title="held-out accuracy (early stopping: until its stop)",
        xlabel="epoch",
        ylabel="accuracy",
    )
    val_ax.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/regularization.png")
    return results


if __name__ == "__main__":
    example_main(run, __doc__)

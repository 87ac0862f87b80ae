"""The three forms of gradient descent on one regression: full batch, one example, minibatch.

A linear model y = w·x + b is fitted by least squares to 512 noisy points with the same
learning rate in three ways: ``fit(batch_size=None)`` is gradient descent on the whole
data (one step per epoch), ``batch_size=1`` is one-example SGD (512 noisy steps per
epoch), and ``batch_size=32`` is minibatch SGD in between.

Look at: the paths of (w, b) over the contours of the loss (full batch: few smooth steps;
one example: many jittery ones that end up bouncing around the optimum; minibatch:
between), and the loss against epochs and against wall-clock time: per epoch, more steps
win; per second, minibatches are the compromise that vectorised hardware rewards.

    python examples/stochasticity.py [--quick] [--output FOLDER]
"""

import time

import numpy as np

import deepgrad as dg
from deepgrad import callbacks, layers, optimizers, viz
from deepgrad.gallery import example_main

FORMS = {"full batch (GD)": None, "one example (SGD)": 1, "minibatch of 32": 32}


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 1)).astype(np.float32)
    y = (2.0 * x + 1.0 + 0.5 * rng.standard_normal((512, 1))).astype(np.float32)
    design = np.hstack([x, np.ones_like(x)]).astype(np.float64)
    optimum = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)[0].ravel()
    best_loss = float(np.mean((design @ optimum - y.ravel()) ** 2))
    epochs = 5 if quick else 20
    results, paths, curves = {}, {}, {}
    print(f"least squares on 512 points; optimum (w, b) = ({optimum[0]:.3f}, {optimum[1]:.3f})")
    print(f"{'form':<19} {'steps':>6} {'final loss − optimum':>21} {'seconds':>8}")
    for name, batch_size in FORMS.items():
        dg.random.seed(0)
        model = dg.Sequential([layers.Dense(1, kernel_initializer="zeros")])
        model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
        model(x[:1])
        points, stamps = [[0.0, 0.0]], [0.0]
        start = time.perf_counter()

        def record(batch, logs=None, model=model, points=points):
            kernel, bias = model.get_weights()
            points.append([float(kernel[0, 0]), float(bias[0])])

        def stamp(epoch, logs=None, stamps=stamps, start=start):
            stamps.append(time.perf_counter() - start)

        history = model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=0,
            callbacks=[callbacks.LambdaCallback(on_train_batch_end=record, on_epoch_end=stamp)],
        )
        losses = [float(np.mean((y - 0) ** 2)), *history.history["loss"]]
        final = float(np.mean((model.predict(x, verbose=0) - y) ** 2)) - best_loss
        seconds = stamps[-1]
        paths[name], curves[name] = np.array(points), (np.array(stamps), np.array(losses))
        results[name] = {"steps": len(points) - 1, "excess_loss": final, "seconds": seconds}
        print(f"{name:<19} {len(points) - 1:>6} {final:21.2e} {seconds:8.3f}")

    def loss(w, b):
        return np.mean((w[..., None] * x.ravel() + b[..., None] - y.ravel()) ** 2, axis=-1)

    fig, axes = viz.figure(ncols=3, width=4.2)
    paths_ax, epoch_ax, time_ax = axes[0]
    viz.plot_optimizer_paths(loss, paths, (-0.5, 3), (-0.5, 1.8), optimum, ax=paths_ax)
    paths_ax.set(title="paths of (w, b)", xlabel="w", ylabel="b")
    for name, (stamps, losses) in curves.items():
        epoch_ax.semilogy(np.arange(len(losses)), np.array(losses) - best_loss + 1e-6, label=name)
        time_ax.loglog(stamps[1:], np.array(losses[1:]) - best_loss + 1e-6, ".-", label=name)
    epoch_ax.set(
        title="loss against epochs", xlabel="epoch", ylabel="mean loss in the epoch − optimum"
    )
    time_ax.set(title="loss against wall time (one dot per epoch)", xlabel="seconds")
    epoch_ax.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/stochasticity.png")
    return results


if __name__ == "__main__":
    example_main(run, __doc__)

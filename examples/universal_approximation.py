"""Width against depth: a wide shallow ReLU net and narrow deep ones (width n + 1 = 2)
approximating one function of one variable.

The universal approximation theorem says one hidden layer suffices, given enough units;
Hanin & Sellke (2017) showed that ReLU nets of width n + 1 (here 2) suffice too, given
enough layers. Here both families are fitted by least squares (Adam, full batch) to
f(x) = sin(3x) + 0.3x² on [−2, 2], and compared at about equal numbers of parameters.
Narrow deep nets are hard to train (a unit whose ReLU goes dead takes half the width
with it), so each gets the best of two initialisations, and the table says what
happened rather than what the theorem promises.

Look at: the fitted curves of the largest net of each family (left), and the error
against the number of parameters for both families (right, log scale). On this run the
shallow nets win: from 8 layers of width 2 on, every initialisation ends with a layer
whose two ReLUs are both dead, the net outputs a constant, and its error is that of the
best constant (0.81). Such a net can represent the function (the theorem is about
existence), but gradient descent does not find it; skip connections and normalisation
are what made deep nets trainable in practice.

    python examples/universal_approximation.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import initializers, layers, optimizers, viz
from deepgrad.gallery import example_main


def target(x):
    return np.sin(3 * x) + 0.3 * x**2


def relu_layer(width: int) -> layers.Dense:
    """Kinks spread over the inputs' range: with zero biases (Keras' default) every
    ReLU of the first layer bends at x = 0, and least squares rarely moves them apart."""
    return layers.Dense(
        width,
        activation="relu",
        kernel_initializer=initializers.RandomUniform(-1.0, 1.0),
        bias_initializer=initializers.RandomUniform(-2.0, 2.0),
    )


def shallow(width: int) -> dg.Sequential:
    return dg.Sequential([relu_layer(width), layers.Dense(1)])


def narrow(depth: int) -> dg.Sequential:
    return dg.Sequential([*(relu_layer(2) for _ in range(depth)), layers.Dense(1)])


def fit(build, x, y, steps: int, seeds=(0, 1)):
    """The best of a few initialisations: (RMSE, model, number of parameters)."""
    best = None
    for seed in seeds:
        dg.random.seed(seed)
        model = build()
        rate = optimizers.schedules.CosineDecay(0.02, decay_steps=steps)
        model.compile(optimizer=optimizers.Adam(learning_rate=rate), loss="mse")
        model.fit(x, y, batch_size=None, epochs=steps, verbose=0)
        rmse = float(np.sqrt(np.mean((model.predict(x, verbose=0) - y) ** 2)))
        if best is None or rmse < best[0]:
            best = (rmse, model, model.count_params())
    return best


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    x = np.linspace(-2, 2, 256, dtype=np.float32).reshape(-1, 1)
    y = target(x).astype(np.float32)
    steps = 300 if quick else 1200
    widths = [4, 16] if quick else [4, 8, 16, 32]
    depths = [2, 4] if quick else [2, 4, 8, 16]
    shallow_results = {w: fit(lambda w=w: shallow(w), x, y, steps) for w in widths}
    narrow_results = {d: fit(lambda d=d: narrow(d), x, y, steps) for d in depths}
    print("f(x) = sin(3x) + 0.3x² on [−2, 2], least squares, best of 2 initialisations")
    print(f"{'net':<28} {'parameters':>10} {'RMSE':>8}")
    for w, (rmse, _, count) in shallow_results.items():
        print(f"{f'one hidden layer of {w}':<28} {count:>10} {rmse:8.4f}")
    for d, (rmse, _, count) in narrow_results.items():
        print(f"{f'{d} hidden layers of width 2':<28} {count:>10} {rmse:8.4f}")
    widest, deepest = shallow_results[widths[-1]], narrow_results[depths[-1]]
    verdict = "below" if deepest[0] < widest[0] else "not below"
    print(
        f"the deepest narrow net ({deepest[2]} parameters) has an error {verdict} the widest "
        f"shallow one's ({widest[2]} parameters): {deepest[0]:.4f} against {widest[0]:.4f}"
    )
    constant = float(np.std(y))
    print(f"(the best constant has RMSE {constant:.4f}: a net with a dead layer does no better)")

    fig, axes = viz.figure(ncols=2, width=4.8)
    curve_ax, error_ax = axes[0]
    curve_ax.plot(x[:, 0], y[:, 0], "k", linewidth=2.5, alpha=0.3, label="f(x)")
    curve_ax.plot(x[:, 0], widest[1].predict(x, verbose=0)[:, 0], label=f"1 × {widths[-1]} units")
    curve_ax.plot(x[:, 0], deepest[1].predict(x, verbose=0)[:, 0], label=f"{depths[-1]} × 2 units")
    curve_ax.set(title="the largest net of each family", xlabel="x", ylabel="y")
    curve_ax.legend(fontsize=8)
    for name, results in (("shallow, wide", shallow_results), ("deep, width 2", narrow_results)):
        counts = [count for _, _, count in results.values()]
        error_ax.semilogy(counts, [rmse for rmse, _, _ in results.values()], "o-", label=name)
    error_ax.set(title="error against size", xlabel="parameters", ylabel="RMSE")
    error_ax.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/universal_approximation.png")
    return {
        "shallow": {w: r[0] for w, r in shallow_results.items()},
        "narrow": {d: r[0] for d, r in narrow_results.items()},
        "deepest_below_widest": deepest[0] < widest[0],
    }


if __name__ == "__main__":
    example_main(run, __doc__)

"""The shallow net y = Σ_j β_j ψ(x'γ_j) + ε, ε ~ N(0, σ²), fitted by maximum likelihood.

Data are drawn from the lecture's model (ψ the logistic function, m = 3 units, one input,
σ = 0.3); the same model, Dense(3, sigmoid) → Dense(1), is fitted by minimising the
Gaussian negative log-likelihood with σ learned alongside the weights.

Look at: the fitted curve following the true mean through the data, the ±2σ̂ band that
should hold about 95% of the points, and σ̂ next to the true σ (left); the negative
log-likelihood falling as training goes on (right).

    python examples/shallow_net.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import datasets, layers, losses, optimizers, viz
from deepgrad.gallery import example_main

SIGMA = 0.3


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    x, y, truth = datasets.make_shallow_net_regression(
        n=2000, m=3, sigma=SIGMA, seed=4, return_params=True
    )
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(3, activation="sigmoid"), layers.Dense(1)])
    nll = losses.GaussianNLL(sigma="learned")  # −log N(y | f(x), σ²), σ a parameter
    epochs = 60 if quick else 200
    rate = optimizers.schedules.CosineDecay(0.03, decay_steps=epochs * 32)  # settles at the end
    model.compile(optimizer=optimizers.Adam(learning_rate=rate), loss=nll)
    history = model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)

    grid = np.linspace(-2, 2, 300, dtype=np.float32).reshape(-1, 1)
    fitted = model.predict(grid, verbose=0).ravel()
    design = np.hstack([np.ones((len(grid), 1)), grid])
    true_mean = (1 / (1 + np.exp(-design @ truth["gamma"]))) @ truth["beta"]
    sigma_hat = float(nll.sigma)
    inside = float(np.mean(np.abs(y - model.predict(x, verbose=0)) < 2 * sigma_hat))
    print(f"true σ = {SIGMA}; σ̂ learned with the weights = {sigma_hat:.3f}")
    print(f"σ̂ from the residuals (model.noise_variance_ ** ½) = {model.noise_variance_**0.5:.3f}")
    print(f"share of the points within ±2σ̂ of the fit: {inside:.3f} (Gaussian noise: 0.954)")

    fig, axes = viz.figure(ncols=2)
    left, right = axes[0]
    left.scatter(x[::3, 0], y[::3, 0], s=4, alpha=0.3, color="grey", label="data")
    left.plot(grid[:, 0], true_mean, "k--", linewidth=1, label="true mean")
    left.plot(grid[:, 0], fitted, label="fitted f(x)")
    band = (fitted - 2 * sigma_hat, fitted + 2 * sigma_hat)
    left.fill_between(grid[:, 0], *band, alpha=0.2, label="f(x) ± 2σ̂")
    left.set(title=f"shallow net: σ̂ = {sigma_hat:.3f}, true σ = {SIGMA}", xlabel="x", ylabel="y")
    left.legend(fontsize=8)
    viz.plot_history(history, ax=right)
    right.set(title="training: negative log-likelihood", ylabel="mean −log N(y | f(x), σ²)")
    viz.save(fig, f"{output}/shallow_net.png")
    return {"sigma": SIGMA, "sigma_hat": sigma_hat, "inside_2_sigma": inside}


if __name__ == "__main__":
    example_main(run, __doc__)

"""Uncertainty for the shallow net: a 95% predictive band, the evidence for the number of
hidden units, and a table of standard errors, from the Laplace approximation.

Data come from the lecture's shallow net y = Σ_j β_j ψ(x'γ_j) + ε, ε ~ N(0, σ²), with
m = 3 logistic units that step up, down and up again at x = −1.2, 0 and 1.2 (so that
fewer units cannot mimic them), σ = 0.3 and x uniform on [−2, 2]. The same net is fitted
by least squares with a small L2 penalty (a Gaussian prior on the weights).
``deepgrad.inference.Laplace`` then approximates the posterior of the weights
by a Gaussian around the fit, with the generalised Gauss–Newton matrix as its precision;
the linearised net turns it into a predictive distribution whose variance is the noise
σ̂² plus the weights' uncertainty. The same fit for m = 1, 2, ... gives the Laplace
evidence log p(D | m), with the prior precision and σ² set by MacKay's updates: the
number of units the data support, without a validation set.

Look at: the band holding about 95% of fresh points inside the data's range [−2, 2] and
opening up outside it, where no data pin the weights down (left); the evidence rising to
the true m = 3 and flat after it (extra units that the data leave idle cost the evidence
almost nothing, while BIC charges for every weight) (right); and the printed table, whose
notes say why a net's standard errors are not those of a regression (the units can be
permuted, idle or saturated units leave the curvature singular).

    python examples/uncertainty.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import inference, layers, optimizers, regularizers, viz
from deepgrad.gallery import example_main

SIGMA, TRUE_UNITS = 0.3, 3
TRUTH = {"gamma": np.array([[6.0, 0.0, -6.0], [5.0, 5.0, 5.0]]), "beta": np.array([2.0, -2.0, 2.0])}


def fit(x: np.ndarray, y: np.ndarray, units: int, seed: int = 0) -> dg.Sequential:
    """Dense(units, sigmoid) → Dense(1), least squares + 1e-4·‖w‖², full-batch L-BFGS."""
    dg.random.seed(seed)
    penalty = regularizers.L2(1e-4)
    model = dg.Sequential(
        [
            layers.Dense(units, "sigmoid", kernel_regularizer=penalty, bias_regularizer=penalty),
            layers.Dense(1, kernel_regularizer=penalty, bias_regularizer=penalty),
        ],
        dtype="float64",
    )
    model.compile(optimizer=optimizers.LBFGS(max_iter=50), loss="mse")
    model.fit(x, y, batch_size=None, epochs=10, verbose=0)
    return model


def draw(n: int, rng: np.random.Generator) -> tuple:
    """(x, y) from the true net: γ's first row holds the intercepts, its second the slopes."""
    x = rng.uniform(-2, 2, (n, 1))
    hidden = 1 / (1 + np.exp(-np.hstack([np.ones((n, 1)), x]) @ TRUTH["gamma"]))
    return x, (hidden @ TRUTH["beta"] + SIGMA * rng.standard_normal(n)).reshape(-1, 1)


def evidence_by_width(x: np.ndarray, y: np.ndarray, widths: list[int], starts: int) -> dict:
    """log p(D | m) at MacKay's prior precision and σ², the training MSE and BIC, per m
    (the best of a few starts per m: the fit, not the evidence, has local minima)."""
    results = {}
    for units in widths:
        best = (-np.inf, 0.0, 0.0)
        for seed in range(starts):
            la = inference.Laplace(fit(x, y, units, seed)).fit(x, y)
            la.optimize_prior_precision()
            value = la.log_marginal_likelihood()
            if value > best[0]:
                best = (value, la.residual_sum_of_squares / len(x), la.bic())
        results[units] = dict(zip(("evidence", "mse", "bic"), best, strict=True))
    return results


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    x, y = draw(300, np.random.default_rng(0))
    model = fit(x, y, TRUE_UNITS)
    la = inference.Laplace(model).fit(x, y)
    sigma_hat = float(np.sqrt(la.sigma2 or 0.0))  # a Gaussian likelihood: σ² is set
    print(f"σ̂ = {sigma_hat:.3f} (true σ = {SIGMA})")
    la.summary()

    test_x, test_y = draw(2000 if quick else 20000, np.random.default_rng(1))
    lower, upper = la.prediction_interval(test_x, level=0.95)
    coverage = float(np.mean((lower <= test_y) & (test_y <= upper)))
    grid = np.linspace(-4, 4, 161).reshape(-1, 1)
    mean, std = la.predict(grid, return_std=True)
    weight_std = np.sqrt(la.functional_variance(grid)[1][:, 0, 0])
    inside = np.abs(grid[:, 0]) <= 2
    widening = float(weight_std[~inside].mean() / weight_std[inside].mean())
    print(f"95% prediction intervals cover {coverage:.3f} of fresh points in [−2, 2]")
    print(f"weight-uncertainty std outside [−2, 2] / inside: {widening:.2f}")

    widths = [1, 2, 3, 4] if quick else [1, 2, 3, 4, 5, 6]
    by_width = evidence_by_width(x, y, widths, starts=2 if quick else 3)
    for units, row in by_width.items():
        print(
            f"m = {units}: log evidence {row['evidence']:9.2f}   BIC {row['bic']:8.2f}   "
            f"training MSE {row['mse']:.4f}"
        )
    top = max(row["evidence"] for row in by_width.values())
    enough = min(m for m in widths if by_width[m]["evidence"] > top - 1.0)
    print(
        f"the smallest m within 1 nat of the best evidence: m = {enough} "
        f"(the data were drawn with m = {TRUE_UNITS})"
    )

    fig, axes = viz.figure(ncols=2)
    left, right = axes[0]
    left.scatter(x[:, 0], y[:, 0], s=4, alpha=0.3, color="grey", label="data")
    left.plot(grid[:, 0], mean[:, 0], label="fit")
    left.fill_between(grid[:, 0], mean[:, 0] - 1.96 * std[:, 0], mean[:, 0] + 1.96 * std[:, 0],
                      alpha=0.25, label="95% predictive band")  # fmt: skip
    left.axvspan(-4, -2, color="k", alpha=0.05)
    left.axvspan(2, 4, color="k", alpha=0.05, label="no data")
    left.set(title=f"Laplace band: covers {coverage:.1%} of new points", xlabel="x", ylabel="y")
    left.legend(fontsize=8)
    evidence = [by_width[m]["evidence"] for m in widths]
    right.plot(widths, evidence, "o-", label="log evidence (Laplace, MacKay)")
    right.plot(widths, [-by_width[m]["bic"] / 2 for m in widths], "s--", label="−BIC / 2")
    right.axvline(TRUE_UNITS, color="k", linestyle=":", label="true m")
    right.set(title="which width do the data support?", xlabel="hidden units m", xticks=widths)
    right.legend(fontsize=8)
    viz.save(fig, f"{output}/uncertainty.png")
    return {
        "coverage": coverage,
        "widening": widening,
        "sigma_hat": sigma_hat,
        "evidence": {m: by_width[m]["evidence"] for m in widths},
        "enough_units": enough,
    }


if __name__ == "__main__":
    example_main(run, __doc__)

"""Learning-rate schedules and the Robbins–Monro conditions, on a noisy problem.

SGD minimises ½‖θ‖² (100 coordinates) from gradients with noise N(0, 1), as a minibatch
gradient is noisy. A schedule ε_k reaches the optimum when Σε_k = ∞ (the steps can get
anywhere) and Σε_k² < ∞ (the noise they inject adds up to something finite). Each
schedule says whether it meets them (``robbins_monro()``); here is what that means.

Look at: the constant rate stalling at a noise floor; 1/k and 1/k^0.75 (both conditions)
falling steadily; 1/√k (Σε_k² = ∞) falling more slowly, as its noise never quite averages
out; exponential decay (Σε_k < ∞) freezing wherever the noise left it.

    python examples/robbins_monro.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import optimizers, viz
from deepgrad.gallery import example_main
from deepgrad.optimizers import schedules

SCHEDULES = {
    "constant 0.1": schedules.Constant(0.1),
    "1/k": schedules.InversePowerDecay(0.5, decay_steps=10, power=1.0),
    "1/k^0.75": schedules.InversePowerDecay(0.5, decay_steps=10, power=0.75),
    "1/√k": schedules.InversePowerDecay(0.5, decay_steps=10, power=0.5),
    "exponential": schedules.ExponentialDecay(0.5, decay_steps=100, decay_rate=0.5),
}


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    steps, dimension = (5_000 if quick else 50_000), 100
    curves, results = {}, {}
    print(f"SGD on ½‖θ‖² with N(0, 1) gradient noise, {steps:,} steps, θ₀ = 1")
    print(f"{'schedule':<13} {'Robbins–Monro':<14} {'final E θ²':>11}")
    for name, schedule in SCHEDULES.items():
        rng = np.random.default_rng(0)
        theta = dg.tensor(np.ones(dimension), dtype="float64", requires_grad=True)
        opt = optimizers.SGD([theta], learning_rate=schedule)
        errors = np.empty(steps)
        for k in range(steps):
            theta.grad.data[...] = theta.numpy() + rng.standard_normal(dimension)
            opt.step()
            errors[k] = np.mean(theta.numpy() ** 2)
        verdict = schedule.robbins_monro()
        final = float(errors[-steps // 10 :].mean())  # the last tenth, to average the noise
        curves[name], results[name] = errors, {"holds": verdict.holds, "final_error": final}
        print(f"{name:<13} {'meets' if verdict.holds else 'fails':<14} {final:11.2e}")
        print(f"{'':<13} {verdict.reason}")

    fig, axes = viz.figure(ncols=2, width=4.8)
    left, right = axes[0]
    k = np.arange(1, steps + 1)
    for name, errors in curves.items():
        style = "-" if results[name]["holds"] else "--"
        left.loglog(k[::10], errors[::10], style, label=name)
        right.loglog(k[::10], [SCHEDULES[name](i) for i in k[::10] - 1], style, label=name)
    left.set(title="distance to the optimum", xlabel="step k", ylabel="mean θ²")
    right.set(title="the schedules (dashed: fail Robbins–Monro)", xlabel="step k", ylabel="ε_k")
    right.set_ylim(1e-6, 1)  # exponential decay goes on far below
    left.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/robbins_monro.png")
    return results


if __name__ == "__main__":
    example_main(run, __doc__)

"""Traditional against modern activations, and their derivatives from the engine.

Sigmoid and tanh saturate: their derivatives vanish for large |x| and never exceed 1/4
and 1. ReLU and its descendants (leaky ReLU, ELU, SELU, GELU, Swish, Mish) keep a slope
near 1 for x > 0. Every derivative is computed by ``elementwise_grad``, the engine's
reverse mode, and checked here against central differences.

Look at: the flat tails of sigmoid and tanh in the right panel, against the derivatives
of the modern activations that stay near 1 on the positive side.

    python examples/activations.py [--quick] [--output FOLDER]
"""

import numpy as np

from deepgrad import activations, elementwise_grad, viz
from deepgrad.gallery import example_main

TRADITIONAL = ["sigmoid", "tanh"]
MODERN = ["relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish"]


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    x = np.linspace(-4, 4, 801)
    numbers = {}
    header = f"{'activation':<11} {'max ψ′':>8} {'ψ′(4)':>8} {'ψ′(−4)':>8}"
    print(f"{header}  max |AD − central difference|")
    for name in TRADITIONAL + MODERN:
        function = activations.get(name)
        derivative = np.asarray(elementwise_grad(function)(x))
        h = 1e-5  # central differences in float64, away from ReLU's kink at 0
        numeric = (np.asarray(function(x + h)) - np.asarray(function(x - h))) / (2 * h)
        away = np.abs(x) > 1e-3
        error = float(np.max(np.abs(derivative - numeric)[away]))
        numbers[name] = {
            "max_slope": float(derivative.max()),
            "slope_at_4": float(derivative[-1]),
            "slope_at_minus_4": float(derivative[0]),
            "error": error,
        }
        slopes = f"{derivative.max():8.4f} {derivative[-1]:8.4f} {derivative[0]:8.4f}"
        print(f"{name:<11} {slopes}  {error:.1e}")

    fig, axes = viz.figure(ncols=2, nrows=2)
    viz.plot_activations(TRADITIONAL, x, axes=axes[0])
    viz.plot_activations(MODERN, x, axes=axes[1])
    axes[0, 0].set_title("traditional: ψ(x)")
    axes[0, 1].set_title("traditional: ψ′(x) (elementwise_grad)")
    axes[1, 0].set_title("modern: ψ(x)")
    axes[1, 1].set_title("modern: ψ′(x) (elementwise_grad)")
    fig.tight_layout()
    viz.save(fig, f"{output}/activations.png")
    return numbers


if __name__ == "__main__":
    example_main(run, __doc__)

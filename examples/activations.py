"""Traditional against modern activations, and their derivatives from the engine.

Sigmoid and tanh saturate: their derivatives vanish for large |x| and never exceed 1/4
and 1. ReLU and its descendants (leaky ReLU, ELU, SELU, GELU, Swish, Mish) keep a slope
near 1 for x > 0. Keras 3's newer elementwise activations (squareplus, tanh_shrink, the
hard and soft shrinks, sparse_plus, sparse_sigmoid) are piecewise or algebraic: exactly 0
or exactly linear away from a few kinks. Every derivative is computed by
``elementwise_grad``, the engine's reverse mode, and checked here against central
differences away from the kinks. (threshold needs its two arguments, and glu and sparsemax
act along an axis, so they are not drawn as curves.)

Look at: the flat tails of sigmoid and tanh in the right panel, against the derivatives
of the modern activations that stay near 1 on the positive side; the steps of the newer
activations' derivatives at their kinks.

    python examples/activations.py [--quick] [--output FOLDER]
"""

import numpy as np

from deepgrad import activations, elementwise_grad, viz
from deepgrad.gallery import example_main

TRADITIONAL = ["sigmoid", "tanh"]
MODERN = ["relu", "leaky_relu", "elu", "selu", "gelu", "swish", "mish"]
NEWER = ["squareplus", "tanh_shrink", "hard_shrink", "soft_shrink", "sparse_plus", "sparse_sigmoid"]
# where each derivative jumps: central differences across a kink average the two slopes
KINKS = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "elu": (0.0,),
    "selu": (0.0,),
    "hard_shrink": (-0.5, 0.5),
    "soft_shrink": (-0.5, 0.5),
    "sparse_plus": (-1.0, 1.0),
    "sparse_sigmoid": (-1.0, 1.0),
}


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    x = np.linspace(-4, 4, 801)
    numbers = {}
    header = f"{'activation':<14} {'max ψ′':>8} {'ψ′(4)':>8} {'ψ′(−4)':>8}"
    print(f"{header}  max |AD − central difference| (away from kinks)")
    for name in TRADITIONAL + MODERN + NEWER:
        function = activations.get(name)
        derivative = np.asarray(elementwise_grad(function)(x))
        h = 1e-5  # central differences in float64, away from the kinks
        numeric = (np.asarray(function(x + h)) - np.asarray(function(x - h))) / (2 * h)
        away = np.all([np.abs(x - kink) > 1e-3 for kink in KINKS.get(name, ())], axis=0)
        error = float(np.max(np.abs(derivative - numeric)[away]))
        numbers[name] = {
            "max_slope": float(derivative.max()),
            "slope_at_4": float(derivative[-1]),
            "slope_at_minus_4": float(derivative[0]),
            "error": error,
        }
        slopes = f"{derivative.max():8.4f} {derivative[-1]:8.4f} {derivative[0]:8.4f}"
        print(f"{name:<14} {slopes}  {error:.1e}")

    fig, axes = viz.figure(ncols=2, nrows=3)
    viz.plot_activations(TRADITIONAL, x, axes=axes[0])
    viz.plot_activations(MODERN, x, axes=axes[1])
    viz.plot_activations(NEWER, x, axes=axes[2])
    axes[0, 0].set_title("traditional: ψ(x)")
    axes[0, 1].set_title("traditional: ψ′(x) (elementwise_grad)")
    axes[1, 0].set_title("modern: ψ(x)")
    axes[1, 1].set_title("modern: ψ′(x) (elementwise_grad)")
    axes[2, 0].set_title("Keras 3's newer: ψ(x)")
    axes[2, 1].set_title("Keras 3's newer: ψ′(x) (elementwise_grad)")
    fig.tight_layout()
    viz.save(fig, f"{output}/activations.png")
    return numbers


if __name__ == "__main__":
    example_main(run, __doc__)

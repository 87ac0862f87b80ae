"""Optimizers on the Rosenbrock function, Beale's function and a saddle: their paths.

Each optimizer starts from the same point with a learning rate chosen for it, and takes
the gradient from deepgrad's reverse mode at every step. The Rosenbrock valley is the
classic "without momentum / with momentum" picture: plain gradient descent crawls along
the curved valley floor, momentum carries through it. Beale's function has steep walls
and flat plateaus, where per-coordinate rates (Adagrad, RMSprop, Adam and kin) help. At
the saddle x² − y², gradient descent started almost on the ridge escapes slowly; the
adaptive methods, which rescale the tiny gradient across the ridge, leave at once.

Look at: the paths over the contours (the star is the minimum, the square the start),
and the distance to the minimum of the Rosenbrock function against the step, log scale.

    python examples/optimizer_paths.py [--quick] [--output FOLDER]
"""

import numpy as np

import deepgrad as dg
from deepgrad import optimizers as O
from deepgrad import viz
from deepgrad.gallery import example_main


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(x, y):
    return x * x - y * y


# name -> optimizer factory, per problem (learning rates chosen per problem, as one would)
ROSENBROCK = {
    "SGD": lambda p: O.SGD(p, 1e-3),
    "momentum 0.9": lambda p: O.SGD(p, 1e-3, momentum=0.9),
    "Nesterov 0.9": lambda p: O.SGD(p, 1e-3, momentum=0.9, nesterov=True),
    "RMSprop": lambda p: O.RMSprop(p, 0.01),
    "Adam": lambda p: O.Adam(p, 0.02),
}
BEALE = {
    "SGD": lambda p: O.SGD(p, 1e-3),
    "Adagrad": lambda p: O.Adagrad(p, 0.3),
    "Adadelta": lambda p: O.Adadelta(p, 1.0),
    "RMSprop": lambda p: O.RMSprop(p, 0.01),
    "Adam": lambda p: O.Adam(p, 0.05),
    "Adamax": lambda p: O.Adamax(p, 0.05),
    "Nadam": lambda p: O.Nadam(p, 0.05),
    "AMSGrad": lambda p: O.Adam(p, 0.05, amsgrad=True),
}
SADDLE = {
    "SGD": lambda p: O.SGD(p, 0.01),
    "momentum 0.9": lambda p: O.SGD(p, 0.01, momentum=0.9),
    "Adagrad": lambda p: O.Adagrad(p, 0.1),
    "RMSprop": lambda p: O.RMSprop(p, 0.01),
    "Adam": lambda p: O.Adam(p, 0.05),
}


def path(make, function, start, steps):
    """The points an optimizer visits, gradients from deepgrad's reverse mode."""
    gradient = dg.grad(lambda t: function(t[0], t[1]))
    theta = dg.tensor(np.array(start), dtype="float64", requires_grad=True)
    opt = make([theta])
    points = [theta.numpy().copy()]
    for _ in range(steps):
        theta.grad.data[...] = gradient(theta.numpy())
        opt.step()
        points.append(theta.numpy().copy())
        if np.abs(points[-1]).max() > 10:  # left the picture (the saddle is unbounded)
            break
    return np.array(points)


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    steps = 600 if quick else 3000
    rosen = {name: path(make, rosenbrock, (-1.5, 2.0), steps) for name, make in ROSENBROCK.items()}
    bea = {name: path(make, beale, (1.0, 1.4), steps // 3) for name, make in BEALE.items()}
    sad = {name: path(make, saddle, (-1.4, 1e-3), 300) for name, make in SADDLE.items()}

    distance = {n: np.linalg.norm(p - [1.0, 1.0], axis=1) for n, p in rosen.items()}
    print(f"Rosenbrock from (−1.5, 2): distance to the minimum (1, 1) after {steps} steps")
    for name, d in distance.items():
        print(f"  {name:<13} {d[-1]:.2e}")
    beale_final = {n: float(beale(*p[-1])) for n, p in bea.items()}
    print(f"Beale from (1, 1.4): f after {steps // 3} steps (minimum 0 at (3, 0.5))")
    for name, value in beale_final.items():
        print(f"  {name:<13} {value:.2e}")
    escape = {n: int(np.argmax(np.abs(p[:, 1]) > 1.0)) or None for n, p in sad.items()}
    print("saddle x² − y² from (−1.4, 0.001): steps until |y| > 1 (escaped)")
    for name, k in escape.items():
        print(f"  {name:<13} {k if k else 'not within 300'}")

    fig, axes = viz.figure(ncols=2, nrows=2, width=4.8, height=4.0)
    viz.plot_optimizer_paths(rosenbrock, rosen, (-2, 2), (-1, 3), (1, 1), ax=axes[0, 0])
    axes[0, 0].set_title("Rosenbrock: without and with momentum")
    viz.plot_optimizer_paths(beale, bea, (0, 4), (-1, 2), (3, 0.5), ax=axes[0, 1])
    axes[0, 1].set_title("Beale's function: adaptive rates")
    viz.plot_optimizer_paths(saddle, sad, (-1.5, 1.5), (-1.5, 1.5), None, ax=axes[1, 0])
    axes[1, 0].set_title("saddle x² − y²: escaping the ridge")
    for name, d in distance.items():
        axes[1, 1].semilogy(d, label=name)
    axes[1, 1].set(title="Rosenbrock: distance to the minimum", xlabel="step", ylabel="‖θ − θ*‖")
    axes[1, 1].legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/optimizer_paths.png")
    return {
        "rosenbrock_distance": {n: float(d[-1]) for n, d in distance.items()},
        "beale_value": beale_final,
        "saddle_escape_step": escape,
    }


if __name__ == "__main__":
    example_main(run, __doc__)

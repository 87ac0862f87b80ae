"""The gallery's reusable plots. Each draws on an ``ax`` it is given (or a new one) and
returns the axes, so figures can be composed panel by panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from deepgrad import activations
from deepgrad.autodiff.transforms import elementwise_grad
from deepgrad.viz.style import figure


def _axes(ax: Any) -> Any:
    return figure()[1] if ax is None else ax


def plot_history(history: Any, keys: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Learning curves from a ``History`` (or its ``.history`` dict): each metric against
    the epoch, validation dashed in the same colour."""
    ax = _axes(ax)
    logs = getattr(history, "history", history)
    epochs = np.arange(1, len(next(iter(logs.values()))) + 1)
    for key in keys or [k for k in logs if not k.startswith("val_")]:
        (line,) = ax.plot(epochs, logs[key], label=key)
        if f"val_{key}" in logs:
            ax.plot(epochs, logs[f"val_{key}"], "--", color=line.get_color(), label=f"val_{key}")
    ax.set_xlabel("epoch")
    ax.legend()
    return ax


def plot_learning_curves(history: Any, width: float = 4.6, height: float = 3.6) -> Any:
    """One panel per quantity (the loss, then each metric): training solid, validation
    dashed, so a loss in the thousands and an accuracy in [0, 1] each get their own scale.
    Returns the figure.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_learning_curves({"accuracy": [0.5, 0.7], "loss": [2.0, 1.0],
    ...                             "val_loss": [2.5, 1.5]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    logs = getattr(history, "history", history)
    keys = [k for k in logs if not k.startswith("val_")] or list(logs)
    keys.sort(key=lambda key: key != "loss")  # the history is by name, as in Keras 3
    fig, axes = figure(ncols=len(keys), width=width, height=height)
    axes = np.atleast_1d(axes).ravel()
    for ax, key in zip(axes, keys, strict=True):
        plot_history(logs, [key], ax)
        ax.set_title(key)
        ax.set_ylabel(key)
    fig.tight_layout()
    return fig


def plot_activations(
    names: Sequence[str], x: np.ndarray | None = None, axes: Any = None
) -> tuple[Any, Any]:
    """Each activation (left) and its derivative (right), the derivative computed by
    ``elementwise_grad``: the engine's, not a formula."""
    x = np.linspace(-4, 4, 401) if x is None else x
    if axes is None:
        _, axes = figure(ncols=2)
        axes = axes[0]
    value_ax, derivative_ax = axes
    for name in names:
        function = activations.get(name)
        value_ax.plot(x, np.asarray(function(x)), label=name)
        derivative_ax.plot(x, np.asarray(elementwise_grad(function)(x)), label=name)
    value_ax.set(title="activation ψ(x)", xlabel="x")
    derivative_ax.set(title="derivative ψ′(x)", xlabel="x")
    value_ax.legend(fontsize=8)
    return value_ax, derivative_ax


def plot_contours(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    ax: Any = None,
    levels: int = 30,
    log: bool = True,
) -> Any:
    """Contours of a function of two variables (vectorised over NumPy grids); ``log``
    spaces the levels logarithmically, as valleys like Rosenbrock's need."""
    ax = _axes(ax)
    xs, ys = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    zs = np.asarray(f(xs, ys), float)
    if log:
        low = max(zs.min(), 1e-3) if zs.min() > 0 else 1e-3
        shifted = zs - min(zs.min(), 0) + low
        ax.contour(
            xs,
            ys,
            shifted,
            levels=np.geomspace(low, shifted.max(), levels),
            cmap="Greys",
            linewidths=0.6,
        )
    else:
        ax.contour(xs, ys, zs, levels=levels, cmap="Greys", linewidths=0.6)
    ax.set(xlim=xlim, ylim=ylim, xlabel="θ₁", ylabel="θ₂")
    return ax


def plot_optimizer_paths(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
    paths: dict[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    minimum: Sequence[float] | None = None,
    ax: Any = None,
) -> Any:
    """Optimizer paths (name → array of points, one row per step) over the contours of
    ``f``, each starting at its first point and ending at a dot."""
    ax = plot_contours(f, xlim, ylim, ax)
    for name, path in paths.items():
        path = np.asarray(path)
        (line,) = ax.plot(path[:, 0], path[:, 1], label=name, linewidth=1.2)
        ax.plot(*path[-1], "o", color=line.get_color(), markersize=4)
    start = np.asarray(next(iter(paths.values())))[0]
    ax.plot(*start, "ks", markersize=5, label="start")
    if minimum is not None:
        ax.plot(*minimum, "k*", markersize=11, label="minimum")
    ax.legend(fontsize=7, loc="best")
    return ax


def plot_gradient_flow(norms: dict[str, Sequence[float]], ax: Any = None) -> Any:
    """The norm of each layer's weight gradient against the layer's depth (input side
    first), one line per network, on a log scale: gradients that vanish fall off a cliff."""
    ax = _axes(ax)
    for name, values in norms.items():
        ax.semilogy(np.arange(1, len(values) + 1), values, marker=".", label=name)
    ax.set(xlabel="layer (1 = next to the input)", ylabel="‖∂L/∂W_l‖")
    ax.legend(fontsize=8)
    return ax

"""``deepgrad.viz``: the figures of the course, in one style (matplotlib: the ``plot``
extra), and the computational graph of a function as Graphviz DOT text.

>>> import deepgrad.numpy as dnp
>>> from deepgrad import viz
>>> print(viz.graph(lambda x: dnp.sin(x) * x, 1.0))  # doctest: +ELLIPSIS
digraph computation {
...
"""

from deepgrad.viz.graph import graph, render_svg
from deepgrad.viz.plots import (
    plot_activations,
    plot_contours,
    plot_gradient_flow,
    plot_history,
    plot_learning_curves,
    plot_optimizer_paths,
)
from deepgrad.viz.style import figure, save

__all__ = [
    "figure",
    "graph",
    "plot_activations",
    "plot_contours",
    "plot_gradient_flow",
    "plot_history",
    "plot_learning_curves",
    "plot_optimizer_paths",
    "render_svg",
    "save",
]

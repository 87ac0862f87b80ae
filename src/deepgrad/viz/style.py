"""One look for every figure of the gallery: a readable size, grids, no top and right
spines. The style applies to the figures made here only (``figure``), never to the
user's other plots, and matplotlib keeps choosing its own backend (a notebook's, or Agg
on a server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Read when a figure and its axes are made, so they can be applied to those alone.
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def pyplot() -> Any:
    """matplotlib.pyplot, or a clear error without matplotlib."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("deepgrad.viz needs matplotlib: pip install 'deepgrad[plot]'") from None
    return plt


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.4) -> tuple:
    """A figure with ``nrows × ncols`` panels in the gallery's style: ``(fig, axes)``, the
    axes a 2-D array when there are several panels."""
    plt = pyplot()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False
        )
    return fig, axes if nrows * ncols > 1 else axes[0, 0]


# Every path ``save`` wrote, in order (``deepgrad demo`` says where its figures went).
SAVED: list[Path] = []


def save(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (PNG, SVG or PDF by the suffix) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    SAVED.append(path)
    return path

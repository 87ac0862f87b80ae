"""``Model``: a layer that can be compiled, trained, evaluated, saved and summarised."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from deepgrad.layers.base import Layer
from deepgrad.saving import model_file
from deepgrad.training.trainer import Trainer


class Model(Trainer, Layer):
    """Subclass it, create sublayers in ``__init__`` and write ``call``:

    >>> import numpy as np
    >>> from deepgrad import layers
    >>> class TwoLayer(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = layers.Dense(8, activation="tanh")
    ...         self.out = layers.Dense(1)
    ...     def call(self, x, training=False):
    ...         return self.out(self.hidden(x))
    >>> TwoLayer()(np.ones((4, 3), np.float32)).shape
    (4, 1)
    """

    def summary(self, print_fn: Callable[[str], Any] = print) -> None:
        """Print each layer, its output shape and parameter count, and the totals."""
        if not self.built:
            raise ValueError(
                f"{self.name}.summary(): the model is not built yet; call it on data, fit it, "
                "or give the first layer an input_shape"
            )
        rows = [
            (
                f"{layer.name} ({type(layer).__name__})",
                str(layer.output_shape),
                f"{layer.count_params():,}",
            )
            for _, layer in self._sublayers()
        ]
        headers = ("Layer (type)", "Output Shape", "Param #")
        widths = (
            [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(headers)]
            if rows
            else [20, 20, 10]
        )
        line = "".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
        total = self.count_params()
        trainable = sum(w.size for w in self.trainable_weights)
        print_fn(f'Model: "{self.name}"')
        print_fn("=" * len(line))
        print_fn(line)
        print_fn("=" * len(line))
        for row in rows:
            print_fn("".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        print_fn("=" * len(line))
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")

    # ---- saving -------------------------------------------------------------------------

    def save(self, filepath: str | os.PathLike) -> None:
        """Write architecture, compile settings, weights and optimizer state to one file
        (safetensors, with the architecture as JSON metadata), atomically."""
        model_file.save_model(self, filepath)

    def save_weights(self, filepath: str | os.PathLike) -> None:
        """Write only the weights (safetensors), atomically."""
        model_file.save_weights(self, filepath)

    def load_weights(self, filepath: str | os.PathLike) -> None:
        """Read weights written by ``save_weights`` or ``save``; on any mismatch raise and
        leave the model untouched."""
        model_file.load_weights(self, filepath)

"""The progress display: a per-epoch bar (tqdm) with ETA, step time and running metrics.

``verbose=1`` draws the bar, ``verbose=2`` prints one line per epoch and ``verbose=0``
prints nothing; ``"auto"`` is 1 on a terminal and 2 otherwise, so logs are not flooded.
Without tqdm installed (the ``progress`` extra), verbose=1 falls back to one line per epoch.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from deepgrad.training.callbacks import Callback


def resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def format_logs(logs: dict) -> str:
    return " - ".join(
        f"{key}: {value:.4f}" for key, value in logs.items() if isinstance(value, float | int)
    )


class ProgbarLogger(Callback):
    """Added to ``fit`` automatically unless ``verbose=0``."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_start = time.perf_counter()
        epochs = self.params.get("epochs")
        self.prefix = f"Epoch {epoch + 1}/{epochs}"
        if self.verbose == 1:
            try:  # tqdm is optional (the ``progress`` extra)
                from tqdm.auto import tqdm
            except ImportError:
                self.bar = None
            else:
                self.bar = tqdm(
                    total=self.params.get("steps"),
                    desc=self.prefix,
                    unit="step",
                    leave=True,
                    dynamic_ncols=True,
                    file=sys.stdout,
                )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self.epoch_start
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}))
            self.bar.close()
            self.bar = None
        else:
            print(f"{self.prefix} - {seconds:.2f}s - {format_logs(logs or {})}", flush=True)

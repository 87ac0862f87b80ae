"""The progress display: a per-epoch bar (tqdm) with ETA, step time and running metrics;
``evaluate`` and ``predict`` show their one pass the same way.

``verbose=1`` draws the bar, ``verbose=2`` prints Keras' lines per epoch (``Epoch 1/3``,
when there is more than one, then ``4/4 - 0s - 3ms/step - loss: 0.5000``) and ``verbose=0``
prints nothing; ``"auto"`` is 1 on a terminal and in Jupyter (as Keras 3's is) and 2
otherwise, so log files are not flooded.
Without tqdm installed (the ``progress`` extra), verbose=1 falls back to the lines of 2.

Every metric is shown at any width, as Keras does: the bar carries the running metrics
only while they fit beside it, and each epoch ends with every metric printed, wrapped to
the terminal's width. In Jupyter without ipywidgets the bar is tqdm's text bar (no
``IProgress not found`` warning). A terminal of zero columns (what Open MPI gives each
process under ``mpiexec ... > log``) gets the lines, since a bar would draw nothing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from deepgrad.training.callbacks import Callback


def terminal_columns(stream: Any = None) -> int | None:
    """The width of the terminal ``stream`` writes to (None when it is not a terminal);
    0 is possible: Open MPI's pseudo-terminals under ``mpiexec``.

    >>> import io
    >>> terminal_columns(io.StringIO()) is None
    True
    """
    stream = sys.stdout if stream is None else stream
    try:
        if not stream.isatty():
            return None
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


def in_jupyter_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's shell there has a ``kernel``):
    importing ipykernel, or IPython in a terminal, does not count.

    >>> in_jupyter_kernel()
    False
    """
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)()
    return getattr(shell, "kernel", None) is not None


def resolve_verbose(verbose: Any) -> int:
    """``verbose`` as 0, 1 or 2. ``"auto"`` is 1 (a bar) on a terminal and in a Jupyter
    kernel, where Keras 3 draws its bar too; 2 (a line per epoch) where the output goes to
    a file or a pipe, or to a terminal of zero columns (Open MPI's under ``mpiexec``)."""
    if verbose == "auto":
        if in_jupyter_kernel():
            return 1
        return 1 if sys.stdout.isatty() and terminal_columns() != 0 else 2
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def format_logs(logs: dict, verbose: int = 1) -> str:
    """The logs as Keras shows them, numbers only (a 0-d array counts as a number): four
    decimals, or four significant digits in scientific notation for a value of at most
    1e-3 in size, as Keras' bar (``verbose=1``) does; Keras' line (``verbose=2``) takes
    every value not above 1e-3, negative ones too, as small.

    >>> format_logs({"loss": 0.5, "accuracy": np.float64(1.0), "outputs": np.zeros(3)})
    'loss: 0.5000 - accuracy: 1.0000'
    >>> format_logs({"loss": 2e-5, "r2": -0.5}), format_logs({"r2": -0.5}, verbose=2)
    ('loss: 2.0000e-05 - r2: -0.5000', 'r2: -5.0000e-01')
    """
    parts = []
    for key, value in logs.items():
        if isinstance(value, bool) or np.ndim(value) != 0:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        large = (number if verbose == 2 else abs(number)) > 1e-3
        parts.append(f"{key}: {number:.4f}" if large else f"{key}: {number:.4e}")
    return " - ".join(parts)


def wrapped(text: str, width: int | None, indent: str = "  ") -> str:
    """``text`` broken between metrics (at " - ") into lines of at most ``width``.

    >>> print(wrapped("loss: 1.0000 - accuracy: 0.5000 - val_loss: 2.0000", 36))
      loss: 1.0000 - accuracy: 0.5000
      - val_loss: 2.0000
    """
    if not width or width < 20:
        return indent + text
    parts = text.split(" - ")
    pieces = [parts[0]] + [f"- {p}" for p in parts[1:]]
    lines = textwrap.wrap(
        " ".join(p.replace(" ", "\0") for p in pieces),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
    )
    return "\n".join(line.replace("\0", " ") for line in lines)


def _tqdm_class() -> Any:
    """tqdm's notebook bar where ipywidgets can draw it, its text bar otherwise."""
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


POSTFIX_SECONDS = 0.1  # how often the bar's running metrics are formatted again


class ProgbarLogger(Callback):
    """Added to ``fit`` automatically unless ``verbose=0``. It has no batch hook, so that
    batches go straight to the step (``Trainer._batches_go_straight_to_the_step``); ``fit``
    moves the bar with ``advance``. A batch hook cost about 20 µs a batch even at
    ``verbose=2`` (``benchmarks/progress.py``).

    ``evaluate`` and ``predict`` show their one pass with ``begin_pass``, ``advance`` and
    ``end_pass``, as Keras 3 does: the bar without an epoch, or at ``verbose=2`` one line,
    ``steps/steps - seconds - time per step`` and the logs
    (``3/3 - 0s - 2ms/step - loss: 0.5000``). The time per step is the pass's average
    (Keras leaves the first step out)."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar = None
        self.unit = "step"  # what a step is called ("sample" for utils.Progbar's unit_name)
        self.bar_options: dict[str, Any] = {}  # more of tqdm's arguments (utils.Progbar's)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        epochs = self.params.get("epochs")
        self._begin(f"Epoch {epoch + 1}/{epochs}", self.params.get("steps"))
        if self.bar is None and (epochs or 0) > 1:  # Keras' line above the epoch's own
            print(self.prefix, flush=True)

    def begin_pass(self, steps: int | None) -> None:
        """Start ``evaluate``'s or ``predict``'s pass over ``steps`` batches (None: unknown)."""
        self._begin("", steps)

    def _begin(self, prefix: str, steps: int | None) -> None:
        self.epoch_start = self.postfix_due = time.perf_counter()
        self.prefix, self.steps, self.steps_done = prefix, steps, 0
        self.columns = terminal_columns()
        if self.verbose == 1 and self.columns != 0:
            try:  # tqdm is optional (the ``progress`` extra)
                tqdm = _tqdm_class()
            except ImportError:
                self.bar = None
            else:
                self.bar = tqdm(
                    total=steps,
                    desc=prefix,
                    unit=self.unit,
                    leave=True,
                    dynamic_ncols=True,
                    file=sys.stdout,
                    **self.bar_options,
                )

    def _fits(self, text: str) -> bool:
        """Whether the running metrics fit beside the bar (a bar needs ~50 columns)."""
        width = getattr(self.bar, "ncols", None) or self.columns or 80
        return len(self.prefix) + len(text) + 50 <= width

    def advance(self, logs: Callable[[], dict], count: int = 1) -> None:
        """``count`` more batches done: the bar moves on, and its running metrics are
        refreshed at most every ``POSTFIX_SECONDS`` (tqdm redraws at most every 0.1 s anyway).

        ``fit`` calls this after every batch, outside the callbacks' batch hooks: this
        class has none, so a batch goes straight to the step whatever ``verbose`` is, and
        ``logs`` (the model's running loss and metrics) is read only when shown.
        """
        self.steps_done += count
        if self.bar is None:
            return
        now = time.perf_counter()
        if now >= self.postfix_due:
            text = format_logs(logs(), self.verbose)
            self.bar.set_postfix_str(text if self._fits(text) else "", refresh=False)
            self.postfix_due = now + POSTFIX_SECONDS
        self.bar.update(count)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.end_pass(logs)

    def end_pass(self, logs: dict | None = None) -> None:
        """Close the bar with the final logs, or print the pass's line (``verbose=2``)."""
        seconds = time.perf_counter() - self.epoch_start
        text = format_logs(logs or {}, self.verbose)
        if self.bar is not None:
            fits = self._fits(text)
            self.bar.set_postfix_str(text if fits else "")
            self.bar.close()
            self.bar = None
            if not fits:  # every metric, on the lines below the bar
                print(wrapped(text, self.columns), flush=True)
        else:  # Keras' line: 4/4 - 0s - 3ms/step - loss: 0.5000
            steps = self.steps if self.steps is not None else self.steps_done  # as Keras
            duration = per_step(seconds / max(steps, 1), self.unit)
            timing = (f"{steps}/{steps}", f"{seconds:.0f}s", duration)
            line = " - ".join(part for part in (*timing, text) if part)
            print(line if not self.columns else wrapped(line, self.columns, ""), flush=True)


def per_step(seconds: float, unit: str = "step") -> str:
    """A step's duration as Keras writes it: whole seconds, milliseconds or microseconds.

    >>> per_step(0.0031), per_step(0.0004), per_step(2.4, "sample")
    ('3ms/step', '400us/step', '2s/sample')
    """
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def pass_progress(verbose: Any, steps: int | None) -> ProgbarLogger | None:
    """The progress display of ``evaluate``'s or ``predict``'s pass over ``steps`` batches,
    started; None at ``verbose=0``."""
    verbose = resolve_verbose(verbose)
    if not verbose:
        return None
    progress = ProgbarLogger(verbose)
    progress.begin_pass(steps)
    return progress

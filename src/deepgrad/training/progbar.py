"""``Progbar``: Keras' ``keras.utils.Progbar`` for loops of your own, drawn by ``fit``'s
progress display (``training/progress.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deepgrad.training.progress import ProgbarLogger, resolve_verbose


class Progbar:
    """A progress bar for a loop of your own, as Keras' ``utils.Progbar``: ``update(current,
    values)`` after each step, or ``add(n, values)``. ``values`` is a list of
    ``(name, value)``; a metric is shown as its average over the steps so far, weighted by
    the steps each value covers, unless it is in ``stateful_metrics`` (shown as given), or,
    with ``stateless_metrics``, only those listed are averaged. The last update
    (``current >= target``, or ``finalize=True``) shows the values it is given, as Keras'.

    ``verbose=1`` draws ``fit``'s bar (tqdm; ``width`` characters of bar, redrawn at most
    every ``interval`` seconds), ``verbose=2`` prints one line at the end, as Keras does
    (``4/4 - 0s - 2ms/step - loss: 0.2500``), ``verbose=0`` nothing.

    >>> bar = Progbar(2, verbose=2)
    >>> bar.update(1, values=[("loss", 1.0)])
    >>> bar.average("loss")
    1.0
    >>> bar.update(2, values=[("loss", 0.5)])  # doctest: +ELLIPSIS
    2/2 - 0s - ...s/step - loss: 0.5000
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give stateful_metrics (the metrics not averaged) or "
                "stateless_metrics (the only ones averaged), not both"
            )
        if target is not None and (isinstance(target, bool) or int(target) != target):
            raise TypeError(f"Progbar: target must be an integer or None, got {target!r}")
        if int(width) < 1:
            raise ValueError(f"Progbar: width must be a positive integer, got {width!r}")
        self.target, self.width, self.interval = target, int(width), float(interval)
        self.verbose, self.unit_name = resolve_verbose(verbose), unit_name
        self.stateful_metrics = None if stateful_metrics is None else set(stateful_metrics)
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        if self.stateful_metrics is None and self.stateless_metrics is None:
            self.stateful_metrics = set()
        self._values: dict[str, list[float]] = {}  # name: [weighted sum, steps]
        self._seen_so_far = 0
        self._display: ProgbarLogger | None = None

    def _averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or set())

    def update(
        self,
        current: int,
        values: list[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Step ``current`` done, with the ``values`` of the last step(s)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            value = float(value)
            if self._averaged(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total = self._values.setdefault(name, [0.0, 0])
                total[0] += value * steps
                total[1] += steps
            else:
                self._values[name] = [value, 1]
        steps_done, self._seen_so_far = current - self._seen_so_far, current
        if self.verbose:
            self._show(max(steps_done, 0), finalize)

    def add(self, n: int, values: list[tuple[str, Any]] | None = None) -> None:
        """``n`` more steps done: ``update(current + n, values)``."""
        self.update(self._seen_so_far + n, values)

    def average(self, name: str) -> float:
        """The value shown for metric ``name``."""
        if name not in self._values:
            raise KeyError(f"Progbar: no metric {name!r}; it has {sorted(self._values)}")
        total, steps = self._values[name]
        return total / steps

    def _logs(self) -> dict[str, float]:
        return {name: self.average(name) for name in self._values}

    def _show(self, steps_done: int, finalize: bool) -> None:
        if self._display is None:
            self._display = ProgbarLogger(self.verbose)
            self._display.unit = self.unit_name
            self._display.bar_options = {
                "mininterval": self.interval,
                "bar_format": f"{{l_bar}}{{bar:{self.width}}}{{r_bar}}",
            }
            self._display.begin_pass(self.target)
        self._display.advance(self._logs, steps_done)
        if finalize:
            self._display.end_pass(self._logs())
            self._display = None  # a later update starts a new bar, as Keras prints again

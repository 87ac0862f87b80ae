"""When ``fit`` starts numba's kernels: once it will run long enough to earn their start-up.

The kernels (an optimizer's update, a plan's fused bias+ReLU, ReLU backward, column sums
and cross-entropy) make a later epoch 1.1–1.7x faster, but a process pays for them once:
``import numba`` and each kernel's load from the on-disk cache, about 0.45 s on the
2-core development machine, 4–6x a whole epoch of a small net (``docs/benchmarks.md``,
"The first epoch"). A short fit finishes sooner without them; a long one with them. The
kernels give the NumPy rules' bits, so which one runs changes no number, only the time.

So with ``DEEPGRAD_FUSED`` unset (``"auto"``), ``fit`` starts on the NumPy rules, times
its first batches, and starts the kernels as soon as what is ahead of it at that pace,
plus what earlier fits of the process trained without them, reaches the seconds in which
they earn their start-up (``earns_start_up``). It chooses once per fit, after
``TIMED_BATCHES`` batches past the two that record a compiled step (or at the end of the
first epoch, if that comes first); a fit that waits to the end adds its time to the
process's count, so a loop of one-epoch fits starts the kernels too, once it has trained
that long.

How long that is: the kernels start in about 0.45 s, and make the rest of a fit that
takes A seconds on the NumPy rules take A / r, where r, a later epoch's time without them
over its time with them, measured 1.11–1.18 with plain SGD and 1.39–1.72 with Adam on the
benchmark nets (``docs/benchmarks.md``, "The first epoch"), and 1.26–1.58 with Adam since
its NumPy update runs chunk by chunk ("The NumPy update chunk by chunk"). They earn their
start-up when A (1 − 1/r) ≥ 0.45 s: A of 3–4.5 s with SGD, 1.2–2.2 s with Adam. So a fit
whose optimizer's update runs a numba kernel (``Optimizer.update_has_kernel``: Adam,
AdamW, AMSGrad, PyTorch-form momentum) starts them at 1.5 s ahead, any other at 4 s,
where only the plan's fused calls gain. Where a C compiler is found, the update runs its
C loop from the first step instead (``kernels.c_enabled``; it starts in a millisecond, so
nothing holds it back) for a net of ``c_kernels.min_size()`` weights or more. Where this
Python's headers are found too, that is any net, and the plan's fused calls run as C
loops as well (``native_loops``): then numba gains nothing, and a fit never starts it.
Without the headers the update's loop is called through ctypes, from 8,192 weights, and
numba still gains the plan's fused calls (4 s), and a smaller net's update (1.5 s, with an
optimizer whose update numba runs). Those seconds are
the development machine's; a machine runs the start-up and the fit's batches both faster
or both slower, so they are scaled by its pace (``machine_pace``: Python's speed here
against there, measured once per process). On a machine 2.4x as fast, where the start-up
took 0.20–0.26 s, a fit with Adam starts them at 0.62 s ahead. When the kernels start
mid-fit the compiled steps' plans are made again from their recordings, to take the fused
calls; nothing is recorded again, so the batches that ran eagerly stay the same ones (a
recording's update, with plain SGD, rounds otherwise than a replay's:
``compiler/descent.py``).

That start-up assumes numba's on-disk cache holds the kernels. When it does not (a new
install, a fresh Colab runtime, a new ``NUMBA_CACHE_DIR``), numba compiles them, and the
start-up is 3–5 s, about ten times as long: a 3-epoch fit with Adam at the benchmarks'
medium and deep nets took 8.0–8.6 s with them against 3.0–3.4 s for SGD's fits, which
stayed on the NumPy rules (``docs/benchmarks.md``, "A cold cache"). So where the fit is
long enough for a warm start-up but not for ``COLD_CACHE_FACTOR`` times it, it asks
numba's cache (``cache_is_cold``: one kernel that every compiled dense net with a bias
runs stands for them all), and starts the kernels only if the cache holds them.

``evaluate`` and ``predict`` never start them (``without_starting_kernels``): one pass
over the data rarely earns their start-up, and a forward pass gains only from the fused
bias+ReLU and cross-entropy. ``DEEPGRAD_FUSED=1`` starts them at the first step, as
``train_on_batch``, ``compile``'s functions and the optimizers used by hand always do (no
length is known ahead there); ``DEEPGRAD_FUSED=0`` never does. Nothing waits once a
kernel has started in the process (``kernels.fit_may_wait``).

>>> start = KernelStart(None, epochs=0, batches_per_epoch=4)  # no epoch: nothing to wait for
>>> start.waiting
False
>>> start.finish()
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from deepgrad import kernels, native_loops
from deepgrad.compiler.column_sums import add_rows
from deepgrad.optimizers import c_kernels
from deepgrad.tensor import raw_data

# Seconds of training ahead, at the NumPy rules' pace, from which the kernels earn their
# start-up (see the module docstring): an optimizer whose update runs a kernel, any other.
EARNS_WITH_UPDATE_KERNEL = 1.5
EARNS_WITH_PLAN_KERNELS = 4.0
# The development machine's pace, on which the start-up above was measured: ``sum(range(1000))``
# in 20–24 µs there (``python -m timeit "sum(range(1000))"``), 9 µs on a machine of twice its
# speed whose start-up took 0.20–0.26 s (docs/benchmarks.md, "The kernels' threshold and the
# machine's pace"). A measured pace is kept within PACE_BOUNDS of it.
REFERENCE_PACE = 22e-6
PACE_BOUNDS = (0.25, 4.0)
# How much longer a fit must be to earn the kernels' start-up when numba has to compile
# them: 3–5 s against 0.45 (docs/benchmarks.md, "A cold cache").
COLD_CACHE_FACTOR = 10
RECORDING_BATCHES = 2  # a compiled step's first two batches record it (eager, slower)
TIMED_BATCHES = 4  # then this many are timed before choosing

_trained_waiting = 0.0  # seconds this process's fits have trained without the kernels
_pace: float | None = None  # machine_pace's measure, once per process


def machine_pace() -> float:
    """How long this machine takes to run Python, as a multiple of the development
    machine's time (``REFERENCE_PACE``): 0.5 on one twice as fast. The fastest of 20 runs
    of ``sum(range(1000))`` (about 0.2–0.5 ms in all), measured at the first call and
    kept; within ``PACE_BOUNDS``, so that a run slowed by a debugger or a loaded machine
    asks for at most four times the seconds, never for a fit it could not reach.

    >>> low, high = PACE_BOUNDS
    >>> low <= machine_pace() <= high
    True
    """
    global _pace
    if _pace is None:
        numbers = range(1000)
        fastest = float("inf")
        for _ in range(20):
            began = time.perf_counter()
            sum(numbers)
            fastest = min(fastest, time.perf_counter() - began)
        low, high = PACE_BOUNDS
        _pace = min(max(fastest / REFERENCE_PACE, low), high)
    return _pace


def earns_start_up(optimizer: Any, weights: int | None = None) -> float:
    """The seconds of training ahead, on this machine, from which the kernels earn their
    start-up in a fit with ``optimizer`` over ``weights`` trainable numbers (None: not
    known): the development machine's seconds (``EARNS_WITH_UPDATE_KERNEL`` where numba
    would run the update, ``EARNS_WITH_PLAN_KERNELS`` where only the plan's fused calls
    gain) times ``machine_pace``. The update gains nothing from numba where its C loop runs
    it (a C compiler found, and ``c_kernels.min_size()`` weights or more), the plan's fused
    calls nothing where their C loops run them (``native_loops``); where neither gains,
    numba never earns its start-up (infinitely many seconds).

    >>> import deepgrad as dg
    >>> adam, sgd = dg.optimizers.Adam(), dg.optimizers.SGD()
    >>> with kernels.disabled():  # no C loop: numba would run the update and the plan's calls
    ...     [round(earns_start_up(o, 100_000) / machine_pace(), 6) for o in (adam, sgd)]
    [1.5, 4.0]
    >>> earns_start_up(sgd) == (  # where the C loops run everything, numba never pays
    ...     math.inf if native_loops.coming() else EARNS_WITH_PLAN_KERNELS * machine_pace()
    ... )
    True
    """
    least = c_kernels.min_size()
    runs_in_c = kernels.c_enabled() and (least <= 1 or (weights is not None and weights >= least))
    if getattr(optimizer, "update_has_kernel", False) and not runs_in_c:
        return EARNS_WITH_UPDATE_KERNEL * machine_pace()
    if not native_loops.coming():
        return EARNS_WITH_PLAN_KERNELS * machine_pace()
    return math.inf  # the plan's fused calls and the update run as C loops: numba gains nothing


def _trainable_count(model: Any) -> int | None:
    """How many numbers the model trains (what its optimizer's update runs over), or None
    where it does not say, or has no weights yet (built at its first batch)."""
    weights = getattr(model, "trainable_weights", None)
    count = sum(int(np.size(raw_data(weight))) for weight in weights or ())
    return count or None


def cache_is_cold() -> bool:
    """Whether numba would compile the kernels rather than load them: judged by one that
    every compiled dense net with a bias runs, the bias gradients' column sums (a net
    without one, or a cache that holds some kernels and not others, is judged by it too;
    only the time the kernels take to start depends on it). Imports numba, unless the
    folder numba would cache the kernel in plainly has nothing of it (a new install, a
    fresh Colab runtime): then a fit that stays on the NumPy rules never pays numba's
    import.

    >>> isinstance(cache_is_cold(), bool)
    True
    """
    return kernels.surely_uncached(add_rows) or not kernels.cached(add_rows)


class KernelStart:
    """One fit's choice of when to start the kernels.

    ``fit`` holds it in a ``with`` block, whose end (error or not) is ``finish()``; while
    ``choosing``, it calls ``batch_done(batch)`` after each batch (which returns whether it
    wants the next one), and ``epoch_done()`` after each epoch.
    """

    def __init__(self, model: Any, epochs: int, batches_per_epoch: int | None) -> None:
        self.model = model
        self.epochs = epochs  # the epochs this fit will run
        native_loops.module()  # where the cache lacks the C loops, their build starts now
        self.batches_per_epoch = batches_per_epoch  # None: not known ahead (a generator)
        # Earlier fits of the process may have trained long enough without the kernels.
        self.choosing = epochs > 0 and kernels.fit_may_wait()
        if self.choosing:  # (the machine's pace is measured only where it matters)
            self.earns_start_up = earns_start_up(
                getattr(model, "optimizer", None), _trainable_count(model)
            )
        if self.choosing and self._earns(_trained_waiting):
            self.choosing = False
        self._held = contextlib.ExitStack()  # kernels.numba_held() while the kernels wait
        if self.choosing:
            self._held.enter_context(kernels.numba_held())
        self.waiting = self.choosing  # the kernels are held back now
        self._began = time.perf_counter()
        self._timing_from = self._began
        self._epochs_done = 0

    def batch_done(self, batch: int) -> bool:
        """After the batch numbered ``batch`` (from 0) of an epoch: in the fit's first, time
        the batches after the recording ones, then choose. Returns whether it wants to be
        called after the next batch."""
        if not self.choosing or self._epochs_done > 0 or self.batches_per_epoch is None:
            return False  # chosen, or to be chosen at the end of the first epoch
        if batch == RECORDING_BATCHES - 1:
            self._timing_from = time.perf_counter()
        elif batch == RECORDING_BATCHES - 1 + TIMED_BATCHES:
            per_batch = (time.perf_counter() - self._timing_from) / TIMED_BATCHES
            batches_left = self.epochs * self.batches_per_epoch - batch - 1
            self._choose(per_batch * batches_left)
        return self.choosing

    def epoch_done(self) -> None:
        """After each epoch: at the end of the first, choose, if its batches did not."""
        self._epochs_done += 1
        if self.choosing and self._epochs_done == 1:
            per_epoch = time.perf_counter() - self._began
            self._choose(per_epoch * (self.epochs - 1))

    def _choose(self, seconds_ahead: float) -> None:
        """Start the kernels if the fit, with what earlier ones trained without them, comes
        to the seconds that earn their start-up; else leave them held back to its end."""
        global _trained_waiting
        self.choosing = False
        trained = time.perf_counter() - self._began
        if self.model is not None:  # built by now: its weights are counted
            self.earns_start_up = earns_start_up(
                getattr(self.model, "optimizer", None), _trainable_count(self.model)
            )
        if not self._earns(_trained_waiting + trained + seconds_ahead):
            return
        _trained_waiting += trained
        self.waiting = False
        self._held.close()
        if self.model is not None:  # plans made again, to take the fused calls
            self.model._replan_compiled_steps()

    def _earns(self, seconds: float) -> bool:
        """Whether ``seconds`` of training on the NumPy rules earn the kernels' start-up:
        ``earns_start_up`` with a warm cache, ``COLD_CACHE_FACTOR`` times it with a cold
        one (numba's cache is asked only in between, where the answer matters)."""
        if seconds < self.earns_start_up:
            return False
        return seconds >= self.earns_start_up * COLD_CACHE_FACTOR or not cache_is_cold()

    def __enter__(self) -> KernelStart:
        return self

    def __exit__(self, *exception: object) -> None:
        self.finish()

    def finish(self) -> None:
        """The fit is over (or failed): one that waited to the end counts its time."""
        global _trained_waiting
        self.choosing = False
        if self.waiting:
            _trained_waiting += time.perf_counter() - self._began
            self.waiting = False
            self._held.close()


@contextlib.contextmanager
def without_starting_kernels() -> Iterator[None]:
    """Run the block on the kernels if they have started in this process, else on the
    NumPy rules, without starting them: ``evaluate`` and ``predict``, with
    ``DEEPGRAD_FUSED`` unset. The same bits either way.

    >>> from deepgrad import kernels, native_loops
    >>> before = kernels.enabled()
    >>> with without_starting_kernels():
    ...     pass
    >>> kernels.enabled() == before  # held back inside the block at most
    True
    """
    with kernels.numba_held() if kernels.fit_may_wait() else contextlib.nullcontext():
        yield

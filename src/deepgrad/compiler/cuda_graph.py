"""A compiled plan replayed as a CUDA graph: off by default, and not measured yet.

A plan on a GPU launches one kernel per call, and with small layers the launches, not the
arithmetic, take the time. CUDA graphs record the launches of one replay once and relaunch
them all with one call. ``DEEPGRAD_CUDA_GRAPHS=1`` (or ``cuda_graph.ENABLED = True``) turns
it on for plans whose inputs are CuPy arrays; it stays off by default because it has not
been measured on a GPU yet (docs/gpu.md): turn it on where a benchmark shows it pays.

How: the inputs are copied into static device buffers (a graph reads fixed addresses), the
plan is run once outside the capture (so that CuPy compiles its kernels and the buffers
exist), then once inside ``stream.begin_capture()``/``end_capture()`` (CuPy's
``cupy.cuda.graph``); each later call copies its inputs in and launches the graph.

Plans with an impure call other than the store of a gradient are never captured: a random
draw or a data-dependent mask replayed from a graph could repeat its first values, a silent
wrong answer; they replay as usual.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENABLED = os.environ.get("DEEPGRAD_CUDA_GRAPHS", "") == "1"


def capturable(plan: Any) -> bool:
    """Whether every call of ``plan`` may be frozen into a graph: pure calls, and the effects
    that store gradients (their arrays are the plan's own)."""
    return all(call.pure or call.name in ("store_grad", "accumulate_grad") for call in plan.calls)


class CapturedPlan:
    """``plan`` replayed as a CUDA graph when its inputs are CuPy arrays (see the module
    docstring); otherwise, or for a plan that cannot be captured, the plan itself runs."""

    def __init__(self, plan: Any, cupy: Any = None) -> None:
        self.plan = plan
        self._cupy = cupy  # the cupy module (tests hand in a stand-in)
        self._graph: Any = None
        self._static: list = []
        self._outputs: tuple = ()
        self._stream: Any = None
        self.captured = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.plan, name)  # source, profile, buffer_bytes: the plan's

    def __call__(self, *inputs: Any) -> tuple:
        if self._graph is None:
            cupy = self._cupy or sys.modules.get("cupy")
            if not (cupy is not None and inputs and _all_cupy(inputs) and capturable(self.plan)):
                return self.plan(*inputs)
            self._capture(cupy, inputs)
        for static, value in zip(self._static, inputs, strict=True):
            static[...] = value
        graph: Any = self._graph
        graph.launch(self._stream)
        self._stream.synchronize()
        # An input handed back as an output is the caller's array, not the static copy.
        return tuple(
            next((v for s, v in zip(self._static, inputs, strict=True) if s is o), o)
            for o in self._outputs
        )

    def _capture(self, cupy: Any, inputs: tuple) -> None:
        self._static = [value.copy() for value in inputs]
        self._stream = cupy.cuda.Stream(non_blocking=True)
        with self._stream:
            self.plan(*self._static)  # warm up: kernels compiled, buffers allocated
            self._stream.begin_capture()
            try:
                self._outputs = self.plan(*self._static)
            finally:
                self._graph = self._stream.end_capture()
        self.captured = True


def _all_cupy(inputs: tuple) -> bool:
    return all(type(value).__module__.startswith("cupy") for value in inputs)


def maybe_captured(plan: Any) -> Any:
    """``plan`` wrapped for CUDA-graph replay when ``ENABLED``, else ``plan`` itself."""
    return CapturedPlan(plan) if ENABLED else plan

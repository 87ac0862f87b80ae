"""CUDA-graph replay of a compiled plan (compiler/cuda_graph.py), on the CPU with a stand-in
for CuPy's stream capture: the control flow only (off by default, what is captured and what
is not, inputs copied into the static buffers, outputs handed back). Whether it pays, and
that a real capture works, needs a GPU: not run yet (docs/gpu.md)."""

from __future__ import annotations

import types

import numpy as np

import deepgrad as dg
from deepgrad.compiler import cuda_graph
from deepgrad.compiler.cuda_graph import CapturedPlan, capturable


class FakeDeviceArray(np.ndarray):
    """Stands for a CuPy array (its type lives in a ``cupy`` module)."""


FakeDeviceArray.__module__ = "cupy._stand_in"


def _fake_cupy(log: list) -> types.SimpleNamespace:
    """The part of ``cupy.cuda`` a capture uses; launching the 'graph' reruns what was
    captured on the same (static) arrays, as a CUDA graph reruns its kernels."""

    class Graph:
        def __init__(self, replay):
            self.replay = replay

        def launch(self, stream):
            log.append("launch")
            self.replay()

    class Stream:
        def __init__(self, non_blocking=False):
            self.capturing = None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def begin_capture(self):
            log.append("begin")
            self.capturing = []

        def end_capture(self):
            log.append("end")
            return Graph(self.capturing.pop())

        def synchronize(self):
            pass

    return types.SimpleNamespace(cuda=types.SimpleNamespace(Stream=Stream))


def _plan_and_inputs():
    compiled = dg.compile(lambda a, b: dg.numpy.tanh(a) * b + a)
    a, b = np.random.default_rng(0).standard_normal((2, 3, 4))
    compiled(a, b)
    compiled(a, b)  # recorded twice: a plan
    return compiled.plan(a, b)


def test_graphs_are_off_by_default():
    plan = _plan_and_inputs()
    assert cuda_graph.ENABLED is False
    assert cuda_graph.maybe_captured(plan) is plan


def test_a_captured_plan_copies_new_inputs_in_and_relaunches():
    plan = _plan_and_inputs()
    log: list = []
    cupy = _fake_cupy(log)
    captured = CapturedPlan(plan, cupy=cupy)

    def run_plan_while_capturing(*inputs):
        stream = captured._stream
        result = plan(*inputs)
        if stream is not None and stream.capturing is not None:
            stream.capturing.append(lambda: plan(*inputs))
        return result

    run_plan_while_capturing.calls = plan.calls  # what capturable() reads
    captured.plan = run_plan_while_capturing
    rng = np.random.default_rng(1)
    for _ in range(3):
        a, b = rng.standard_normal((2, 3, 4))
        (got,) = captured(a.view(FakeDeviceArray), b.view(FakeDeviceArray))
        np.testing.assert_allclose(np.asarray(got), np.tanh(a) * b + a, rtol=1e-12)
    assert captured.captured
    assert log == ["begin", "end", "launch", "launch", "launch"]  # captured once


def test_host_arrays_and_impure_plans_are_not_captured():
    plan = _plan_and_inputs()
    log: list = []
    a, b = np.ones((2, 3, 4))
    captured = CapturedPlan(plan, cupy=_fake_cupy(log))
    captured(a, b)  # NumPy inputs: the plan as it is
    assert not captured.captured and log == []

    def draw(shape):
        return np.random.default_rng(0).random(shape)

    compiled = dg.compile(lambda x: x * dg.compiler.record_call(draw, x.shape))
    compiled(a)
    compiled(a)
    random_plan = compiled.plan(a)
    assert not capturable(random_plan)  # a draw frozen into a graph could repeat itself
    captured = CapturedPlan(random_plan, cupy=_fake_cupy(log))
    captured(a.view(FakeDeviceArray))
    assert not captured.captured and log == []
    assert capturable(plan)

"""A compiled function folds what it computes from constants alone into its plan. A
constant Tensor reached by closure and written afterwards (``c += 1``, ``c[0] = 0``,
``c.data = ...``) left the folded values as they were recorded: ``x * exp(c) + c``
replayed the new ``c`` in its sum and the old one in its exponential, and eager mode gave
another number without a word. The function now records again at its next call."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.array([0.5, -1.5, 2.0])


def _eager(c):
    return X * np.exp(c) + c


def _writes():
    def add_in_place(c):
        c += 1.0

    def set_item(c):
        c[1] = 0.25

    def set_data(c):
        c.data = np.array([3.0, -2.0, 0.5])

    return [add_in_place, set_item, set_data]


@pytest.mark.parametrize("write", _writes(), ids=lambda w: w.__name__)
def test_a_constant_written_after_the_recording_is_read_again(write):
    c = dg.tensor(np.array([1.0, 2.0, -1.0]))
    f = dg.compile(lambda x: x * dnp.exp(c) + c)
    for _ in range(3):  # recorded, checked, replayed
        np.testing.assert_allclose(f(X), _eager(c.numpy()))
    assert f.plan(X).folded, "exp(c) was folded: the test would show nothing"
    write(c)
    for _ in range(3):  # recorded again, then replayed with the new values
        np.testing.assert_allclose(f(X), _eager(c.numpy()))


def test_a_constant_left_alone_keeps_its_plan():
    c = dg.tensor(np.array([1.0, 2.0, -1.0]))
    f = dg.compile(lambda x: x * dnp.exp(c))
    for _ in range(3):
        f(X)
    plan = f.plan(X)
    other = dg.tensor(np.zeros(3))
    other += 1.0  # a write to another tensor
    f(X)
    assert f.plan(X) is plan


def test_a_gradient_through_a_written_constant_uses_its_new_values():
    w = dg.tensor(np.array([0.3, -0.2, 0.1]), requires_grad=True)
    scale = dg.tensor(np.array([1.0, 2.0, 3.0]))

    @dg.compile
    def step(x):
        w.grad = None
        loss = dnp.sum(dnp.tanh(x * w) * dnp.sqrt(scale))
        loss.backward()
        return w.grad.numpy().copy()

    def expected():
        return X * (1 - np.tanh(X * w.numpy()) ** 2) * np.sqrt(scale.numpy())

    for _ in range(3):
        np.testing.assert_allclose(step(X), expected())
    scale *= 4.0
    for _ in range(2):
        np.testing.assert_allclose(step(X), expected())

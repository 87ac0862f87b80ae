"""``logsumexp``, ``expit`` and ``logit`` take lists, tuples and Python numbers, as
SciPy's do: ``logsumexp([1.0, 2.0])`` raised AttributeError ('list' object has no
attribute 'size'), ``logsumexp(3.0)`` too, ``expit([1.0, 2.0])`` and ``logit([0.2])``
TypeError. A Tensor inside the list is recorded."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.special as dsp

# scipy.special on the same inputs
LOGSUMEXP_1_2 = 2.313261687518223
EXPIT_1_2 = [0.7310585786300049, 0.8807970779778823]
LOGIT_02_04 = [-1.3862943611198906, -0.4054651081081644]


def test_lists_tuples_and_numbers():
    np.testing.assert_allclose(dsp.logsumexp([1.0, 2.0]), LOGSUMEXP_1_2, rtol=1e-15)
    np.testing.assert_allclose(dsp.logsumexp((1, 2)), LOGSUMEXP_1_2, rtol=1e-15)
    assert float(dsp.logsumexp(3.0)) == 3.0
    np.testing.assert_allclose(dsp.expit([1.0, 2.0]), EXPIT_1_2, rtol=1e-15)
    np.testing.assert_allclose(dsp.logit((0.2, 0.4)), LOGIT_02_04, rtol=1e-15)


def test_a_tensor_in_a_list_is_differentiated():
    # d/dt logsumexp([t, 1]) = expit(t − 1); d/dt expit(t) = expit(t)(1 − expit(t))
    slope = dg.grad(lambda t: dsp.logsumexp([t, 1.0]))(2.0)
    np.testing.assert_allclose(slope, 0.7310585786300049, rtol=1e-15)
    slope = dg.grad(lambda t: dsp.expit([t, 0.0])[0])(1.0)
    np.testing.assert_allclose(slope, 0.19661193324148185, rtol=1e-15)


def test_numbers_are_scipys():
    special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(special.logsumexp([1.0, 2.0]), LOGSUMEXP_1_2, rtol=1e-15)
    np.testing.assert_allclose(special.expit([1.0, 2.0]), EXPIT_1_2, rtol=1e-15)
    np.testing.assert_allclose(special.logit((0.2, 0.4)), LOGIT_02_04, rtol=1e-15)

"""``deepgrad.numpy.random.gamma``, ``beta`` and ``binomial`` in NumPy's form: they were
``deepgrad.random``'s Keras forms, ``(shape, alpha, ...)``, so NumPy's ``gamma(2, 3.0)``
drew two values of Gamma(3) (mean 3) where NumPy draws one of Gamma(2, scale 3) (mean 6),
and ``beta(2, 3, 5)`` two draws of Beta(3, 5) where NumPy draws five of Beta(2, 3)."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp


@pytest.mark.parametrize(
    ("name", "args"),
    [("gamma", (2.0, 3.0, 5)), ("beta", (2.0, 3.0, 5)), ("binomial", (10, 0.3, 4))],
)
def test_numpys_positional_call_draws_numpys_values(name, args):
    """Seeded as NumPy's ``default_rng(seed)``: the same draws, in the default float dtype
    (float32) for gamma and beta, as ``deepgrad.numpy.random.normal``; int64 counts for
    binomial, as NumPy's."""
    dg.random.seed(7)
    drawn = getattr(dnp.random, name)(*args)
    expected = getattr(np.random.default_rng(7), name)(*args)
    if name == "binomial":
        assert drawn.dtype == np.int64
    else:
        assert drawn.dtype == dg.backend.get_default_dtype()
        expected = expected.astype(drawn.dtype)
    np.testing.assert_array_equal(drawn, expected)


def test_a_scalar_call_is_one_draw_of_numpys_distribution():
    dg.random.seed(0)
    draws = np.array([dnp.random.gamma(2.0, 3.0) for _ in range(4000)])
    assert draws.shape == (4000,)
    assert abs(draws.mean() - 6.0) < 0.3  # k θ; Keras' reading gave mean 3
    assert dnp.random.beta(2.0, 3.0, size=(2, 3), dtype="float64").dtype == np.float64


@pytest.mark.parametrize("name", ["gamma", "beta", "binomial"])
def test_a_shape_first_is_refused_with_the_keras_form_named(name):
    with pytest.raises(TypeError, match=rf"deepgrad\.random\.{name}\(shape="):
        getattr(dnp.random, name)((3,), 0.5)


def test_the_keras_forms_stay_in_deepgrad_random():
    assert dg.random.gamma((3,), 2.0, seed=1).shape == (3,)
    assert dg.random.beta((3,), 2.0, 6.0, seed=1).shape == (3,)
    assert dg.random.binomial((3,), 10, 0.5, seed=1).shape == (3,)


def test_traced_parameters_are_refused():
    with pytest.raises(TypeError, match="not differentiable"):
        dg.grad(lambda k: dnp.sum(dnp.random.gamma(k, 1.0, 3)))(2.0)


def test_numpys_checks_of_the_parameters():
    with pytest.raises(ValueError, match="shape must be > 0"):
        dnp.random.gamma(-1.0)
    with pytest.raises(ValueError, match="scale must be >= 0"):
        dnp.random.gamma(1.0, -2.0)
    with pytest.raises(ValueError):
        dnp.random.binomial(10, 1.5)

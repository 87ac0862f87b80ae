"""Keras 3's checks on an initializer's call: a random draw in an integer or bool dtype
(Keras: "dtype argument to `normal` must be a float dtype") and an Orthogonal weight of
fewer than two axes (Keras: "must be at least two-dimensional") are refused; deepgrad
returned all-zero integers, all-True bools and a random unit vector. And
``VarianceScaling``'s ``distribution`` is read as Keras reads it."""

import numpy as np
import pytest

from deepgrad import initializers
from tests.layers.test_initializers_keras import SEEDED

RANDOM = SEEDED  # every random initializer


@pytest.mark.parametrize("cls", RANDOM, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "complex64"])
def test_a_random_draw_in_a_dtype_that_is_not_floating_is_refused(cls, dtype):
    for seed in (None, 3):
        with pytest.raises(
            ValueError, match=rf"{cls.__name__}: dtype must be a floating .*{dtype}"
        ):
            cls(seed=seed)((4, 3), dtype=dtype)


@pytest.mark.parametrize("cls", RANDOM, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_a_floating_dtype_is_kept(cls, dtype):
    assert cls(seed=1)((4, 3), dtype=dtype).dtype == np.dtype(dtype)


def test_bfloat16_is_kept():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    draw = initializers.GlorotUniform(seed=1)((4, 3), dtype=ml_dtypes.bfloat16)
    assert draw.dtype == np.dtype(ml_dtypes.bfloat16)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_orthogonal_refuses_fewer_than_two_axes(shape):
    with pytest.raises(ValueError, match=rf"Orthogonal: .*at least two axes.*rank {len(shape)}"):
        initializers.Orthogonal(seed=0)(shape)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 3, 4), (4, 3, 2), (3, 3, 2, 4)])
def test_orthogonal_with_a_gain_on_non_square_and_higher_rank_shapes(shape):
    matrix = initializers.Orthogonal(gain=1.5, seed=0)(shape).reshape(-1, shape[-1])
    gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(matrix.shape)), atol=1e-5)


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("normal", "truncated_normal"),
        ("Normal", "truncated_normal"),
        ("Uniform", "uniform"),
        ("TRUNCATED_NORMAL", "truncated_normal"),
        ("Untruncated_Normal", "untruncated_normal"),
    ],
)
def test_variance_scaling_reads_the_distribution_as_keras(given, read):
    # Keras 3.15: distribution.lower(), and "normal" is the truncated normal; deepgrad
    # refused these as unknown
    init = initializers.VarianceScaling(2.0, "fan_in", given, seed=0)
    assert init.distribution == read
    assert init.get_config()["distribution"] == read
    draws = init((400, 300))
    assert draws.std() == pytest.approx(np.sqrt(2.0 / 400), rel=0.02)


def test_variance_scaling_still_refuses_an_unknown_distribution():
    with pytest.raises(ValueError, match="VarianceScaling: unknown distribution 'gamma'"):
        initializers.VarianceScaling(distribution="gamma")

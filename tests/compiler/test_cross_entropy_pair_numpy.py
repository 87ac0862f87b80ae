"""A compiled classifier step computes its cross-entropy and that loss's gradient
together, with the bits of the two separate calls: in one pass of the kernel, or without
it with NumPy's calls shared between them (these tests run without numba installed too;
the kernel's own are in test_cross_entropy_pair.py)."""

import contextlib

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels as fused
from deepgrad import layers, losses
from deepgrad.compiler.cross_entropy_pair import CrossEntropyPair
from deepgrad.ops import cross_entropy_kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(("rows", "classes"), [(1, 5), (64, 10), (33, 64), (20, 65), (8, 300)])
def test_numpys_pair_gives_the_two_calls_bits(dtype, rows, classes):
    rng = np.random.default_rng(rows * classes)
    logits = (rng.standard_normal((rows, classes)) * 5).astype(dtype)
    logits[0, :2] = [1e4 if dtype != np.float16 else 6e4, -np.inf]  # stays finite
    labels = rng.integers(0, classes, rows)
    labels[0] = 0  # the large logit's (the −inf one's would be an infinite loss)
    with fused.disabled():
        pair = CrossEntropyPair(logits.shape, np.dtype(dtype))
        got = pair.losses(logits, labels), pair.gradient(logits, labels)
        expected = (
            cross_entropy_kernels.losses(logits, labels),
            cross_entropy_kernels.softmax_minus_one_hot(logits, labels),
        )
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()
    assert np.isfinite(got[0]).all()


def test_a_gradient_buffer_that_does_not_fit_leaves_the_two_calls():
    logits, labels = np.zeros((4, 3), np.float32), np.array([0, 1, 2, 0])
    for gradient in (
        np.empty((4, 3), np.float64),  # another dtype
        np.empty((3, 4), np.float32).T,  # not C-contiguous
        np.empty((4, 2), np.float32),  # another shape
    ):
        before = gradient.copy()
        assert cross_entropy_kernels.losses_and_gradient(logits, labels, gradient) is None
        assert np.array_equal(gradient, before, equal_nan=True)  # nothing written


def test_numpys_pair_refuses_a_label_out_of_range():
    with fused.disabled():
        pair = CrossEntropyPair((2, 3), np.dtype(np.float64))
        with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
            pair.losses(np.zeros((2, 3)), np.array([0, -1]))


def _classifier(jit):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(16, activation="tanh"), layers.Dense(5)])
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    model.build_for((None, 6))
    return model


@pytest.mark.parametrize("kernels", [False, True])
def test_a_compiled_classifier_pairs_them_and_trains_as_eager_bit_for_bit(kernels):
    if kernels:
        pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 5, 40)
    with contextlib.nullcontext() if kernels else fused.disabled():
        eager, compiled = _classifier(False), _classifier(True)
        eager_losses = [float(eager.train_on_batch(x, y)) for _ in range(5)]
        compiled_losses = [float(compiled.train_on_batch(x, y)) for _ in range(5)]
        source = compiled._compiled_steps["train"].plan(x, y, None).source
        assert "sparse_softmax_cross_entropy_and_gradient(" in source, source
        assert "its_softmax_minus_one_hot(" in source
        with pytest.raises(ValueError, match="labels must be in"):
            compiled.train_on_batch(x, np.full(40, 5))  # a replay still checks the labels
    assert compiled_losses == eager_losses
    for a, b in zip(eager.get_weights(), compiled.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()


def test_the_test_step_has_no_gradient_to_pair():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 5, 40)
    model = _classifier(True)
    for _ in range(3):
        model.test_on_batch(x, y)
    source = model._compiled_steps["test"].plan(x, y, None).source
    assert "and_gradient" not in source and "sparse_softmax_cross_entropy(" in source

"""A compiled classifier step computes its cross-entropy and that loss's gradient in one
pass of the kernel, with the bits of the two separate calls."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import kernels as fused
from deepgrad import layers, losses
from deepgrad.compiler.cross_entropy_pair import CrossEntropyPair
from deepgrad.ops import cross_entropy_kernels

pytest.importorskip("numba")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pair_gives_the_two_calls_bits(dtype):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((200, 7)) * 5).astype(dtype)
    labels = rng.integers(0, 7, 200)
    pair = CrossEntropyPair(logits.shape, np.dtype(dtype))
    losses_ = pair.losses(logits, labels)
    gradient = pair.gradient(logits, labels)
    assert losses_.tobytes() == cross_entropy_kernels.losses(logits, labels).tobytes()
    expected = cross_entropy_kernels.softmax_minus_one_hot(logits, labels)
    assert gradient.tobytes() == expected.tobytes()


def test_without_a_fresh_losses_call_the_gradient_is_computed_on_its_own():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((10, 3)), rng.integers(0, 3, 10)
    pair = CrossEntropyPair(logits.shape, logits.dtype)
    expected = cross_entropy_kernels.softmax_minus_one_hot(logits, labels)
    np.testing.assert_array_equal(pair.gradient(logits, labels), expected)  # no losses yet
    pair.losses(logits, labels)
    pair.gradient(logits, labels)
    np.testing.assert_array_equal(pair.gradient(logits, labels), expected)  # read twice
    with fused.disabled():
        pair.losses(logits, labels)
        np.testing.assert_array_equal(pair.gradient(logits, labels), expected)


def test_a_label_out_of_range_is_refused():
    pair = CrossEntropyPair((2, 3), np.dtype(np.float64))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        pair.losses(np.zeros((2, 3)), np.array([0, 3]))


def _classifier(jit):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(16, activation="tanh"), layers.Dense(5)])
    model.compile("adam", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    model.build_for((None, 6))
    return model


def test_a_compiled_classifier_pairs_them_and_trains_as_eager_bit_for_bit():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 5, 40)
    eager, compiled = _classifier(False), _classifier(True)
    eager_losses = [float(eager.train_on_batch(x, y)) for _ in range(5)]
    compiled_losses = [float(compiled.train_on_batch(x, y)) for _ in range(5)]
    source = compiled._compiled_steps["train"].plan(x, y, None).source
    assert "sparse_softmax_cross_entropy_and_gradient(" in source, source
    assert "its_softmax_minus_one_hot(" in source
    assert compiled_losses == eager_losses
    for a, b in zip(eager.get_weights(), compiled.get_weights(), strict=True):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="labels must be in"):
        compiled.train_on_batch(x, np.full(40, 5))  # a replay still checks the labels


def test_the_test_step_has_no_gradient_to_pair():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 5, 40)
    model = _classifier(True)
    for _ in range(3):
        model.test_on_batch(x, y)
    source = model._compiled_steps["test"].plan(x, y, None).source
    assert "and_gradient" not in source and "sparse_softmax_cross_entropy(" in source

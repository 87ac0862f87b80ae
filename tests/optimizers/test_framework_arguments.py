"""Arguments a Keras or PyTorch user passes, fed the same weights and gradients as the
framework's own optimizer: the trajectories must agree (or the argument be refused)."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers

SHAPES = ((3, 4), (4,))


def _weights_and_gradients(dtype, steps=8, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    gradients = [
        [(rng.standard_normal(shape) * 3).astype(dtype) for shape in SHAPES] for _ in range(steps)
    ]
    return weights, gradients


def _torch_path(torch, make, weights, gradients):
    params = [torch.tensor(w.copy(), requires_grad=True) for w in weights]
    optimizer = make(params)
    path = []
    for step in gradients:
        for param, g in zip(params, step, strict=True):
            param.grad = torch.tensor(g.copy())
        optimizer.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


def _our_path(make, weights, gradients):
    params = [dg.tensor(w.copy(), requires_grad=True) for w in weights]
    optimizer = make(params)
    path = []
    for step in gradients:
        optimizer.apply([g.copy() for g in step])
        path.append([p.numpy().copy() for p in params])
    return path


def _assert_same_path(ours, theirs, rtol):
    for our_step, their_step in zip(ours, theirs, strict=True):
        for a, b in zip(our_step, their_step, strict=True):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-3)


TORCH_DECOUPLED = {
    "Adam": "Adam",
    "NAdam": "Nadam",
    "RAdam": "RAdam",
}


# PyTorch keeps NAdam's product of momenta as a float32 scalar: 1e-10 apart in float64.
@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-8)])
@pytest.mark.parametrize("decoupled", [True, False])
@pytest.mark.parametrize("torch_name", sorted(TORCH_DECOUPLED))
def test_pytorch_decoupled_weight_decay_flag_matches_torch(torch_name, decoupled, dtype, rtol):
    # PyTorch's flag makes weight_decay decoupled; read as a number, True was a decoupled
    # λ of 1 on top of the L2 penalty (9% off Adam's weights after 8 steps).
    torch = pytest.importorskip("torch")
    weights, gradients = _weights_and_gradients(dtype)
    theirs = _torch_path(
        torch,
        lambda p: getattr(torch.optim, torch_name)(
            p, 0.01, weight_decay=0.1, decoupled_weight_decay=decoupled
        ),
        weights,
        gradients,
    )
    ours = _our_path(
        lambda p: getattr(optimizers, TORCH_DECOUPLED[torch_name])(
            p, 0.01, weight_decay=0.1, decoupled_weight_decay=decoupled
        ),
        weights,
        gradients,
    )
    _assert_same_path(ours, theirs, rtol)


MAXIMIZE = {
    "sgd_momentum_l2": (
        lambda torch, p: torch.optim.SGD(p, 0.1, momentum=0.9, weight_decay=0.1, maximize=True),
        lambda p: optimizers.SGD(p, 0.1, momentum=0.9, weight_decay=0.1, maximize=True),
    ),
    "sgd": (
        lambda torch, p: torch.optim.SGD(p, 0.1, maximize=True),
        lambda p: optimizers.SGD(p, 0.1, maximize=True),
    ),
    "adam_l2": (
        lambda torch, p: torch.optim.Adam(p, 0.01, weight_decay=0.1, maximize=True),
        lambda p: optimizers.Adam(p, 0.01, weight_decay=0.1, maximize=True),
    ),
    "adamw_amsgrad": (
        lambda torch, p: torch.optim.AdamW(p, 0.01, amsgrad=True, maximize=True),
        lambda p: optimizers.AdamW(p, 0.01, amsgrad=True, maximize=True),
    ),
    "rmsprop_centered": (
        lambda torch, p: torch.optim.RMSprop(p, 0.01, centered=True, maximize=True),
        lambda p: optimizers.RMSprop(p, 0.01, rho=0.99, centered=True, maximize=True),
    ),
    "adagrad": (
        lambda torch, p: torch.optim.Adagrad(p, 0.1, lr_decay=0.1, maximize=True),
        lambda p: optimizers.Adagrad(p, 0.1, lr_decay=0.1, maximize=True),
    ),
    "rprop": (
        lambda torch, p: torch.optim.Rprop(p, 0.05, maximize=True),
        lambda p: optimizers.Rprop(p, 0.05, maximize=True),
    ),
}


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-9)])
@pytest.mark.parametrize("name", sorted(MAXIMIZE))
def test_maximize_matches_torch(name, dtype, rtol):
    torch = pytest.importorskip("torch")
    make_theirs, make_ours = MAXIMIZE[name]
    weights, gradients = _weights_and_gradients(dtype)
    theirs = _torch_path(torch, lambda p: make_theirs(torch, p), weights, gradients)
    _assert_same_path(_our_path(make_ours, weights, gradients), theirs, rtol)


def test_maximize_keeps_plain_sgd_out_of_the_gradient_products():
    theta = dg.tensor(np.ones(2), requires_grad=True)
    assert not optimizers.SGD([theta], 0.1, maximize=True).applies_in_products()


def test_keras_positional_arguments_after_the_rate_are_refused_not_dropped():
    # Keras' SGD(0.1, 0.9) has momentum 0.9; deepgrad read 0.9 as the learning rate it
    # then replaced with 0.1, and trained without momentum.
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    assert keras.optimizers.SGD(0.1, 0.9).momentum == pytest.approx(0.9)
    with pytest.raises(TypeError, match=r"SGD: .*by name: SGD\(0\.1, momentum=0\.9\)"):
        optimizers.SGD(0.1, 0.9)
    with pytest.raises(TypeError, match=r"Adam\(0\.01, beta_1=0\.8, beta_2=0\.99\)"):
        optimizers.Adam(0.01, 0.8, 0.99)
    assert optimizers.SGD(0.1, momentum=0.9).momentum == 0.9
    theta = dg.tensor(np.ones(2), requires_grad=True)
    assert optimizers.SGD([theta], 0.1, 0.9).momentum == 0.9  # PyTorch's order still works


def _keras_path(keras, optimizer, weights, gradients):
    variables = [keras.Variable(w.copy()) for w in weights]
    path = []
    for step in gradients:
        optimizer.apply([g.copy() for g in step], variables)
        path.append([np.asarray(v).copy() for v in variables])
    return path


@pytest.mark.parametrize("frequency", [1, 2, 3])
def test_ema_overwrite_frequency_matches_keras(frequency):
    # float32, Keras' variables under JAX; the rates are exact in float32.
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    weights, gradients = _weights_and_gradients("float32")
    options = {"use_ema": True, "ema_momentum": 0.75, "ema_overwrite_frequency": frequency}
    theirs = _keras_path(
        keras, keras.optimizers.SGD(0.25, momentum=0.5, **options), weights, gradients
    )
    ours = _our_path(
        lambda p: optimizers.SGD(p, 0.25, momentum=0.5, momentum_form="keras", **options),
        weights,
        gradients,
    )
    _assert_same_path(ours, theirs, 1e-6)


def test_ema_overwrite_frequency_needs_use_ema_and_a_whole_number_of_steps():
    with pytest.raises(ValueError, match=r"Adam: ema_overwrite_frequency=5 .* needs use_ema=True"):
        optimizers.Adam(ema_overwrite_frequency=5)
    with pytest.raises(ValueError, match="SGD: ema_overwrite_frequency must be None or"):
        optimizers.SGD(use_ema=True, ema_overwrite_frequency=0)


def test_framework_arguments_not_taken_are_refused_naming_the_optimizer():
    with pytest.raises(TypeError, match=r"Adam does not take 'loss_scale_factor'"):
        optimizers.Adam(0.001, loss_scale_factor=4.0)
    with pytest.raises(TypeError, match=r"SGD does not take 'fused'\n  fused: there is one"):
        optimizers.SGD(0.1, fused=True)


@pytest.mark.parametrize(
    "keras_name, hint",
    [
        ("l1_regularization_strength", "Ftrl's λ₁ is l1"),
        ("l2_regularization_strength", "Ftrl's λ₂ is l2, twice Keras'"),
        ("l2_shrinkage_regularization_strength", "Ftrl has no L2 shrinkage"),
    ],
)
def test_keras_names_of_ftrl_arguments_are_refused_saying_what_to_pass(keras_name, hint):
    """Keras' Ftrl spells its penalties otherwise; deepgrad's l2 is twice Keras' (the
    step-by-step comparison, tests/optimizers/test_vs_keras.py)."""
    with pytest.raises(
        TypeError, match=rf"Ftrl does not take '{keras_name}'\n  {keras_name}: {hint}"
    ):
        optimizers.Ftrl(0.1, **{keras_name: 0.1})

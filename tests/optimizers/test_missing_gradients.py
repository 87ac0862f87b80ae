"""A parameter whose ``.grad`` is None (``model.zero_grad()``, PyTorch's ``set_to_none``,
then a loss that does not reach it): PyTorch skips it. Where a zero gradient would still
move it (momentum, Adam's moments, weight decay) the step is refused; plain SGD, whose
step is 0 there, goes on, as PyTorch's does."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import optimizers

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A, B, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2)), rng.standard_normal(5)
START = [rng.standard_normal(3), rng.standard_normal(2)]


def _loss(params, xp, reaches_second):
    lift = torch.tensor if xp is torch else np.asarray
    residual = lift(A) @ params[0] - lift(Y)
    if reaches_second:
        residual = residual + lift(B) @ params[1]
    return (residual**2).mean()


def _steps(opt, params, xp):
    """Four steps that reach both parameters, then four whose loss reaches the first
    only, its gradients set to None first (PyTorch's default ``zero_grad``)."""
    for step in range(8):
        for p in params:
            p.grad = None
        _loss(params, xp, reaches_second=step < 4).backward()
        opt.step()


def test_plain_sgd_leaves_a_parameter_without_gradient_where_pytorch_does():
    ours = [dg.tensor(s.copy(), requires_grad=True) for s in START]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in START]
    _steps(optimizers.SGD(ours, 0.1), ours, dnp)
    _steps(torch.optim.SGD(theirs, 0.1), theirs, torch)
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda p: optimizers.SGD(p, 0.1, momentum=0.9),
        lambda p: optimizers.SGD(p, 0.1, weight_decay=0.5),
        lambda p: optimizers.SGD(p, 0.1, use_ema=True),
        lambda p: optimizers.Adam(p, 0.1),
        lambda p: optimizers.RMSprop(p, 0.1),
    ],
    ids=["sgd_momentum", "sgd_weight_decay", "sgd_ema", "adam", "rmsprop"],
)
def test_a_parameter_without_gradient_is_refused_where_a_zero_gradient_would_move_it(make):
    # Before, its gradient was read as 0: after the four steps on the first parameter
    # alone, SGD with momentum 0.9 had moved the second to [-1.344, -0.041] where PyTorch
    # leaves it at [-0.542, -0.009], Adam to [-0.121, -0.399] where PyTorch has [0.146, -0.163].
    params = [dg.tensor(s.copy(), requires_grad=True) for s in START]
    opt = make(params)
    name = type(opt).__name__
    with pytest.raises(RuntimeError, match=rf"{name}\.step: 1 of its 2 parameters .* \(2,\)"):
        _steps(opt, params, dnp)
    assert opt.iterations == 4  # the refused step changed nothing
    # a zero gradient, as optimizer.zero_grad() leaves it, is taken as given
    opt.zero_grad()
    _loss(params, dnp, reaches_second=False).backward()
    opt.step()
    assert opt.iterations == 5

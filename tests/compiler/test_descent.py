"""Plain SGD applied inside the weights' gradient products (compiler/descent.py, blas.py):
the same training as eager, to float32 rounding; only where the optimizer is plain SGD;
the weights so updated left without a gradient, never with a stale one."""

from __future__ import annotations

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import blas, layers, losses
from deepgrad.compiler import CompiledFunction
from deepgrad.compiler import descent as descent_module
from deepgrad.compiler.descent import InProductDescent
from deepgrad.optimizers import SGD, schedules

needs_blas = pytest.mark.skipif(not blas.available(), reason="NumPy's OpenBLAS not found")


# ---- blas.add_product ------------------------------------------------------------------------


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order_a", "CF")
@pytest.mark.parametrize("order_b", "CF")
def test_add_product_adds_alpha_times_the_product(dtype, order_a, order_b):
    rng = np.random.default_rng(0)
    a = np.asarray(rng.standard_normal((7, 5)), dtype, order=order_a)
    b = np.asarray(rng.standard_normal((5, 3)), dtype, order=order_b)
    c = rng.standard_normal((7, 3)).astype(dtype)
    expected = c + dtype(-0.3) * (a @ b)
    assert blas.add_product(c, a, b, -0.3)
    # one rounding of c + α·(a @ b) against NumPy's two: equal to within float32's
    # precision, whichever BLAS (DEEPGRAD_BLAS=mkl adds in another order)
    tolerance = 1e-6 if dtype is np.float32 else 1e-13
    np.testing.assert_allclose(c, expected, rtol=tolerance, atol=tolerance)


@needs_blas
def test_add_product_takes_the_transposed_activations_a_weight_gradient_multiplies():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 20)).astype(np.float32)  # activations, (batch, in)
    delta = rng.standard_normal((64, 30)).astype(np.float32)  # (batch, out)
    w = rng.standard_normal((20, 30)).astype(np.float32)
    expected = w - np.float32(0.01) * (x.T @ delta)
    assert blas.add_product(w, x.T, delta, -0.01)
    np.testing.assert_allclose(w, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "case",
    [
        "int dtype",
        "mixed dtypes",
        "strided a",
        "c not C-contiguous",
        "read-only c",
        "shapes that do not chain",
        "1-D",
        "c overlaps a",
        "empty",
    ],
)
def test_add_product_refuses_what_one_gemm_call_cannot_do_and_leaves_c_alone(case):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal((3, 5)).astype(np.float32)
    c = rng.standard_normal((4, 5)).astype(np.float32)
    if case == "int dtype":
        a, b, c = a.astype(np.int32), b.astype(np.int32), c.astype(np.int32)
    elif case == "mixed dtypes":
        b = b.astype(np.float64)
    elif case == "strided a":
        a = np.repeat(a, 2, axis=1)[:, ::2]
    elif case == "c not C-contiguous":
        c = np.asfortranarray(c)
    elif case == "read-only c":
        c.flags.writeable = False
    elif case == "shapes that do not chain":
        b = b[:2]
    elif case == "1-D":
        c = c[0]
    elif case == "c overlaps a":
        c = rng.standard_normal((4, 4)).astype(np.float32)
        a, b = c, rng.standard_normal((4, 4)).astype(np.float32)
    elif case == "empty":
        a, b = a[:, :0], b[:0]
    before = c.copy()
    assert not blas.add_product(c, a, b, -0.5)
    np.testing.assert_array_equal(c, before)


# ---- the compiled training step --------------------------------------------------------------


def _data(n=200, features=128, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float32), rng.integers(0, classes, n)


def _model(optimizer, jit):
    dg.random.seed(0)
    model = dg.Sequential(
        [layers.Dense(128, activation="relu"), layers.Dense(128, "tanh"), layers.Dense(4)]
    )
    model.compile(optimizer, losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
    return model


def _fit(optimizer, jit, epochs=3, **fit):
    x, y = _data()
    model = _model(optimizer, jit)
    history = model.fit(x, y, batch_size=64, epochs=epochs, shuffle=False, verbose=0, **fit)
    return model, history.history["loss"]


def _replaying_model():
    """A plain SGD model whose compiled step has recorded twice and replayed once."""
    x, y = _data(n=32)
    model = _model("sgd", jit=True)
    for _ in range(3):
        model.train_on_batch(x, y)
    return model, x, y


def _kernels(model):
    """The weights large enough to be updated inside their products (128 × 128: the last
    layer's 128 × 4 is under descent.MIN_SIZE)."""
    return [layer.kernel for layer in model.layers[:2]]


@needs_blas
def test_compiled_plain_sgd_trains_as_eager_to_float32_rounding():
    # 200 samples in batches of 64: two signatures (64 and the last 8), both replayed; at
    # this size the weights end up apart from eager's in their last bits (a product of
    # batch 32 happens to give eager's bits).
    eager, eager_loss = _fit(SGD(learning_rate=0.1), jit=False)
    compiled, compiled_loss = _fit(SGD(learning_rate=0.1), jit=True)
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-5)
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    plans = [entry[0] for entry in compiled._compiled_steps["train"]._plans.values()]
    assert len(plans) == 2
    for plan in plans:  # the two large kernels' gradient products became their updates
        assert plan.source.count("descend(") == 2
        assert plan.source.count("grad_target(") == 4  # the biases' and the small kernel's
    assert all(k.grad is None for k in _kernels(compiled))  # no stale gradient to read
    assert compiled.layers[2].kernel.grad is not None


@needs_blas
def test_without_blas_the_plan_updates_with_the_optimizers_own_arithmetic(monkeypatch):
    """Where no BLAS call can be made the descent computes what the optimizer would: the
    same bits as eager."""
    monkeypatch.setattr(blas, "add_product", lambda *args: False)
    eager, _ = _fit("sgd", jit=False)
    compiled, _ = _fit("sgd", jit=True)
    assert "descend(" in next(iter(compiled._compiled_steps["train"]._plans.values()))[0].source
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@needs_blas
def test_the_learning_rate_is_read_at_every_step():
    def make():
        return SGD(learning_rate=schedules.ExponentialDecay(0.2, decay_steps=3, decay_rate=0.5))

    eager, eager_loss = _fit(make(), jit=False)
    compiled, compiled_loss = _fit(make(), jit=True)
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-5)
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        {"momentum": 0.9},
        {"weight_decay": 1e-3},
        {"decoupled_weight_decay": 1e-3},
        {"clipnorm": 1.0},
        {"clipvalue": 0.1},
        {"global_clipnorm": 1.0},
        {"use_ema": True},
    ],
)
def test_only_plain_sgd_is_applied_inside_the_products(options):
    _, eager_loss = _fit(SGD(learning_rate=0.1, **options), jit=False)
    compiled, compiled_loss = _fit(SGD(learning_rate=0.1, **options), jit=True)
    step = compiled._compiled_steps["train"]
    assert step.descent is None
    assert all("descend(" not in entry[0].source for entry in step._plans.values())
    np.testing.assert_array_equal(compiled_loss, eager_loss)


def test_nor_another_optimizer():
    compiled, _ = _fit("adam", jit=True, epochs=1)
    assert compiled._compiled_steps["train"].descent is None
    assert all(k.grad is not None for k in _kernels(compiled))


@needs_blas
def test_clipping_turned_on_between_epochs_records_the_step_again():
    """A callback that makes the optimizer clip gradients after the first epoch: the step
    compiled with plain SGD inside its products is dropped and recorded without; the
    training is eager's."""

    class ClipNorm(dg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.clipnorm = 0.05

    eager, eager_loss = _fit(SGD(learning_rate=0.05), jit=False, callbacks=[ClipNorm()])
    compiled, compiled_loss = _fit(SGD(learning_rate=0.05), jit=True, callbacks=[ClipNorm()])
    assert compiled._compiled_steps["train"].descent is None
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-5)
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


@needs_blas
def test_eager_steps_after_compiled_ones_find_gradients_again():
    x, y = _data(n=256)  # four batches of 64: the last ones replayed
    model = _model(SGD(learning_rate=0.1), jit=True)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert all(k.grad is None for k in _kernels(model))
    model.jit = False
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x[:32], y[:32])
    assert all(k.grad is not None for k in _kernels(model))
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_the_optimizer_refuses_weights_applied_by_a_rule_that_is_not_plain_sgd():
    w = dg.tensor(np.ones(3, np.float32), requires_grad=True)
    optimizer = SGD([w], learning_rate=0.1, momentum=0.9)
    with pytest.raises(RuntimeError, match="only plain SGD"):
        optimizer.step(applied=(w,))


@pytest.fixture
def any_size(monkeypatch):
    """Small weights are updated inside their products too."""
    monkeypatch.setattr(descent_module, "MIN_SIZE", 0)


@pytest.mark.usefixtures("any_size")
def test_a_weight_an_output_may_view_is_left_to_the_optimizer():
    w = dg.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    descent = InProductDescent([w])

    def step(x):
        loss = dg.numpy.sum(dg.numpy.matmul(x, w))
        dg.autodiff.graph.backward(loss, accumulate=False)
        return loss, dg.numpy.transpose(w)  # a view of the weight, returned

    compiled = CompiledFunction(step, descent=descent)
    x = np.ones((4, 3), np.float32)
    plans = [compiled.plan(x)]
    assert "descend(" not in plans[0].source
    assert "grad_target(" in plans[0].source


@needs_blas
def test_profiling_a_plan_leaves_the_weights_as_they_were():
    model, x, y = _replaying_model()
    weights = model.get_weights()
    plan = model._compiled_steps["train"].plan(x, y, None)
    assert "descend(" in plan.source
    model._compiled_steps["train"].descent.rate = 0.1
    plan.profile(x, y, repeats=3)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


@needs_blas
@pytest.mark.usefixtures("any_size")
def test_the_update_comes_after_every_read_of_the_weight():
    """A step that reads a weight after its backward (here, an output computed from it):
    the replay returns what the recording did, from the weight before its update."""
    w = dg.tensor(np.ones((3, 2), np.float32), requires_grad=True)
    descent = InProductDescent([w])
    descent.rate = 0.5

    def step(x):
        loss = dg.numpy.sum(dg.numpy.matmul(x, w))
        dg.autodiff.graph.backward(loss, accumulate=False)
        return dg.numpy.sum(w * 2.0)

    compiled = CompiledFunction(step, descent=descent)
    x = np.ones((4, 3), np.float32)
    for _ in range(2):  # the two recordings, which leave the weight to the optimizer
        assert float(compiled(x)) == 12.0
    before = w.numpy().copy()
    assert float(compiled(x)) == 12.0  # replayed: the sum of the weight before the update
    np.testing.assert_array_equal(w.numpy(), before - 0.5 * 4.0)  # then updated: x.T @ 1
    assert w.grad is None


def test_with_blas_disabled_compiled_plain_sgd_gives_eagers_bits():
    with blas.disabled():  # (around eager too: with DEEPGRAD_BLAS=mkl it routes products)
        eager, eager_loss = _fit("sgd", jit=False)
        compiled, compiled_loss = _fit("sgd", jit=True)
    assert compiled._compiled_steps["train"].descent is None
    assert compiled_loss == eager_loss
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


@needs_blas
def test_disabling_blas_between_steps_records_the_step_again():
    model, x, y = _replaying_model()
    assert model._compiled_steps["train"].descent is not None
    with blas.disabled():
        model.train_on_batch(x, y)
        assert model._compiled_steps["train"].descent is None
    model.train_on_batch(x, y)
    assert model._compiled_steps["train"].descent is not None

"""Weight constraints are applied after every optimizer update, as Keras 3 applies them
(``variable.assign(variable.constraint(variable))`` at the end of ``optimizer.apply``):
eagerly, in a compiled step (``jit=True``, plain SGD inside the gradient products too) and
in ``train_on_batch``. deepgrad refused ``kernel_constraint`` and the like before."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import constraints, layers, optimizers
from deepgrad.tensor import raw_data

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 3)).astype(np.float32)
Y = X @ np.array([[1.0, -2.0], [2.0, 0.5], [-1.0, 1.0]], np.float32)
INDICES = RNG.integers(0, 6, (40, 2))


def dense_model(module):
    c = module.constraints
    return [
        module.layers.Dense(
            5, "tanh", kernel_constraint=c.MaxNorm(0.8), bias_constraint=c.NonNeg()
        ),
        module.layers.Dense(2, kernel_constraint="unit_norm"),
    ]


def normalized_model(module):
    c = module.constraints
    return [
        # no bias before BatchNormalization: its gradient is roundoff, which Adam would
        # scale up to whole steps that differ between any two implementations
        module.layers.Dense(4, use_bias=False, kernel_constraint=c.MinMaxNorm(0.5, 1.0, 0.5)),
        module.layers.BatchNormalization(
            gamma_constraint=c.MaxNorm(1.0, axis=0), beta_constraint="non_neg"
        ),
        module.layers.LayerNormalization(gamma_constraint=c.UnitNorm(), beta_constraint="non_neg"),
        module.layers.Dense(2),
    ]


def embedding_model(module):
    return [
        module.layers.Embedding(6, 3, embeddings_constraint=module.constraints.UnitNorm(axis=1)),
        module.layers.Flatten(),
        module.layers.Dense(2),
    ]


MODELS = {"dense": dense_model, "normalized": normalized_model, "embedding": embedding_model}


def make(module, model_name, optimizer, jit=False):
    """The model (weights drawn from one seed, for deepgrad and Keras alike), compiled."""
    inputs = INDICES if model_name == "embedding" else X
    if module is dg:
        model = dg.Sequential(MODELS[model_name](dg))
        model.build((None, inputs.shape[1]))
    else:
        dtype = "int32" if model_name == "embedding" else "float32"
        model = module.Sequential([module.Input((inputs.shape[1],), dtype=dtype)])
        for layer in MODELS[model_name](module):
            model.add(layer)
    draws = np.random.default_rng(1)
    values = [draws.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    if model_name == "normalized":  # kernel, gamma, beta, moving mean, moving variance, ...
        values[4] = np.abs(values[4])
    model.set_weights(values)
    kind, options = optimizer
    model.compile(
        getattr(module.optimizers, kind)(**options),
        "mse",
        **({"jit": jit} if module is dg else {"jit_compile": jit}),
    )
    return model, inputs


# Adam divides each gradient by its own running scale, so float32 roundoff in the gradients
# moves its steps more than SGD's: without constraints its weights differ from Keras' by up
# to 1e-5 after these 10 steps, SGD's by 3e-7.
TOLERANCE = {"sgd": 1e-6, "adam": 5e-5}

OPTIMIZERS = {
    "sgd": ("SGD", {"learning_rate": 0.1}),
    "adam": ("Adam", {"learning_rate": 0.05, "epsilon": 1e-7}),
    "sgd_ema": ("SGD", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.5}),
}


def keras_module():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("model_name", list(MODELS))
def test_fit_with_constraints_matches_keras(model_name, optimizer, jit):
    keras = keras_module()
    weights = {}
    for module in (dg, keras):
        model, inputs = make(module, model_name, OPTIMIZERS[optimizer], jit)
        model.fit(inputs, Y, epochs=2, batch_size=8, verbose=0, shuffle=False)
        weights[module] = model.get_weights()
    for ours, theirs in zip(weights[dg], weights[keras], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=TOLERANCE[optimizer])


def test_the_moving_average_is_of_the_weights_before_their_projection_as_in_keras():
    keras = keras_module()
    weights = {}
    for module in (dg, keras):
        model, inputs = make(module, "dense", OPTIMIZERS["sgd_ema"])
        model.fit(inputs, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
        weights[module] = model.get_weights()  # the average, which fit ends with
    for ours, theirs in zip(weights[dg], weights[keras], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=TOLERANCE["sgd"])
    assert weights[dg][1].min() < 0  # the average of projected biases would be >= 0


@pytest.mark.parametrize("jit", [False, True])
def test_train_on_batch_applies_constraints_as_keras(jit):
    keras = keras_module()
    weights = {}
    for module in (dg, keras):
        model, inputs = make(module, "dense", OPTIMIZERS["adam"], jit)
        for start in range(0, 24, 8):
            model.train_on_batch(inputs[start : start + 8], Y[start : start + 8])
        weights[module] = model.get_weights()
    for ours, theirs in zip(weights[dg], weights[keras], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=TOLERANCE["adam"])


# Keras 3.15 on JAX: make(keras, "dense", OPTIMIZERS["sgd"]), fit of 2 epochs as above
KERAS_DENSE_SGD = [
    [
        [0.47986972, 0.7870091, 0.68863076, -0.79048437, 0.48936996],
        [0.41795033, 0.14276941, -0.33352593, 0.0580602, 0.37477177],
        [0.03941457, 0.01527718, -0.23355503, 0.1084589, -0.5099637],
    ],
    [0.5423633, 0.0, 0.09636338, 0.19824788, 0.0],
]


@pytest.mark.parametrize("jit", [False, True])
def test_fit_with_constraints_gives_keras_numbers(jit):
    model, inputs = make(dg, "dense", OPTIMIZERS["sgd"], jit)
    model.fit(inputs, Y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    kernel, bias = model.get_weights()[:2]
    np.testing.assert_allclose(kernel, KERAS_DENSE_SGD[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, KERAS_DENSE_SGD[1], rtol=1e-5, atol=1e-6)


def test_plain_sgd_inside_the_gradient_products_is_projected_too():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 128)).astype(np.float32)
    y = rng.standard_normal((32, 1)).astype(np.float32)
    start = [
        (0.5 * rng.standard_normal((128, 128))).astype(np.float32),
        np.zeros(128, np.float32),
        (0.1 * rng.standard_normal((128, 1))).astype(np.float32),
        np.zeros(1, np.float32),
    ]

    def fit(jit):
        model = dg.Sequential(
            [
                layers.Dense(128, "tanh", kernel_constraint=constraints.MaxNorm(1.0)),
                layers.Dense(1),
            ]
        )
        model.build((None, 128))
        model.set_weights(start)
        model.compile(optimizers.SGD(learning_rate=0.05), "mse", jit=jit)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
        return model

    compiled, eager = fit(True), fit(False)
    descent = compiled._compiled_steps["train"].descent
    assert descent is not None and descent.applied  # the kernel was updated in its product
    kernel = compiled.get_weights()[0]
    assert np.linalg.norm(start[0], axis=0).min() > 4  # each column was projected
    assert np.linalg.norm(kernel, axis=0).max() <= 1.0 + 1e-6
    # the same steps, the product rounded once (BLAS' β = 1) instead of twice
    np.testing.assert_allclose(kernel, eager.get_weights()[0], rtol=1e-5, atol=1e-7)


def test_a_variable_constraint_is_applied_by_apply_gradients_as_in_keras():
    # Keras' optimizer_test.test_constraints_are_applied
    variable = dg.layers.Variable(
        np.random.default_rng(0).random((2, 2)).astype(np.float32) - 1.0, requires_grad=True
    )
    variable.constraint = constraints.NonNeg()
    optimizer = optimizers.SGD(learning_rate=0.0001)
    optimizer.apply_gradients([(np.zeros((2, 2), np.float32), variable)])
    np.testing.assert_array_equal(raw_data(variable), np.zeros((2, 2), np.float32))


def test_a_plain_training_loop_projects_after_step():
    dense = layers.Dense(2, kernel_constraint=lambda w: dg.numpy.clip(w, -0.1, 0.1))
    dense.build((None, 3))
    optimizer = optimizers.Adam(dense.trainable_weights, learning_rate=1.0)
    dg.numpy.sum(dense(X) ** 2).backward()
    optimizer.step()
    kernel = raw_data(dense.kernel)
    assert np.abs(kernel).max() == pytest.approx(0.1)
    assert optimizer.flat is not None
    assert kernel is optimizer.flat.groups[0].value_views[0]  # still a view of the buffer


def test_a_frozen_weight_is_not_projected_as_in_keras():
    dense = layers.Dense(2, kernel_constraint="non_neg", bias_constraint="non_neg")
    model = dg.Sequential([dense, layers.Dense(1)])
    model.build((None, 3))
    model.set_weights([-np.ones(w.shape, np.float32) for w in model.get_weights()])
    dense.trainable = False
    model.compile("sgd", "mse")
    model.fit(X, Y[:, :1], epochs=1, batch_size=8, verbose=0)
    assert (dense.get_weights()[0] == -1).all() and (dense.get_weights()[1] == -1).all()


def test_a_constraint_that_changes_the_shape_is_refused():
    dense = layers.Dense(2, kernel_constraint=lambda w: w[0])
    model = dg.Sequential([dense])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"returned a value of shape \(2,\) for a weight of shape"):
        model.train_on_batch(X[:4], Y[:4])


def test_lbfgs_refuses_a_constrained_weight():
    model = dg.Sequential([layers.Dense(2, kernel_constraint="max_norm")])
    model.compile("lbfgs", "mse")
    with pytest.raises(ValueError, match=r"LBFGS: a weight of shape \(3, 2\) has the constraint"):
        model.fit(X, Y, epochs=1, verbose=0)

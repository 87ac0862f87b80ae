"""Keras 3's arguments of BatchNormalization and LayerNormalization: the initializers and
regularizers of γ and β (and of the moving averages), LayerNormalization's list of axes and
``rms_scaling``. deepgrad refused them before. Outputs, penalties (``model.losses``), the
logged loss and the weights after ``fit`` with SGD match Keras 3 on JAX, eager and compiled;
the arguments are saved with the model."""

import os
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import initializers, layers, regularizers

RNG = np.random.default_rng(0)
X = (2 * RNG.standard_normal((16, 3, 4)) + 1).astype(np.float32)
Y = RNG.standard_normal((16, 3, 4)).astype(np.float32)


def batch_normalized(module):
    return [
        module.layers.Dense(4),
        module.layers.BatchNormalization(
            momentum=0.7,
            epsilon=0.01,
            beta_initializer="ones",
            gamma_initializer="random_normal",
            moving_mean_initializer="ones",
            moving_variance_initializer="zeros",
            beta_regularizer="l2",
            gamma_regularizer=module.regularizers.L1L2(0.01, 0.02),
        ),
    ]


def batch_normalized_on_axis_1(module):
    return [
        module.layers.BatchNormalization(axis=1, momentum=0.5, center=False, gamma_regularizer="l1")
    ]


def layer_normalized(module):
    return [
        module.layers.Dense(4),
        module.layers.LayerNormalization(
            epsilon=0.01, gamma_regularizer="l2", beta_regularizer="l1"
        ),
    ]


def layer_normalized_on_two_axes(module):
    return [module.layers.LayerNormalization(axis=[1, 2], center=False, gamma_regularizer="l2")]


def rms_scaled(module):
    return [module.layers.LayerNormalization(rms_scaling=True, gamma_regularizer="l2")]


MODELS = {
    "batch_normalized": batch_normalized,
    "batch_normalized_on_axis_1": batch_normalized_on_axis_1,
    "layer_normalized": layer_normalized,
    "layer_normalized_on_two_axes": layer_normalized_on_two_axes,
    "rms_scaled": rms_scaled,
}


def make(module, model_name, jit=False):
    """The model with weights drawn from one seed (for deepgrad and Keras alike), compiled
    with SGD."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling's deprecation
        found = MODELS[model_name](module)
    if module is dg:
        model = dg.Sequential(found)
        model.build((None, *X.shape[1:]))
    else:
        model = module.Sequential([module.Input(X.shape[1:]), *found])
    draws = np.random.default_rng(1)
    values = [draws.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()]
    if model_name.startswith("batch"):  # the moving variance comes last
        values[-1] = np.abs(values[-1])
    model.set_weights(values)
    options = {"jit": jit} if module is dg else {"jit_compile": jit}
    model.compile(module.optimizers.SGD(learning_rate=0.05), "mse", **options)
    return model


def run(module, model_name, jit=False):
    """Inference and training outputs, the penalties, the logged losses of 2 epochs of
    fit and the weights after them."""
    model = make(module, model_name, jit)
    inference, training = np.asarray(model(X)), np.asarray(model(X, training=True))
    penalties = [float(np.asarray(penalty)) for penalty in model.losses]
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0, shuffle=False)
    return inference, training, penalties, history.history["loss"], model.get_weights()


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("model_name", list(MODELS))
def test_normalization_arguments_match_keras(model_name, jit):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    ours, theirs = run(dg, model_name, jit), run(keras, model_name, jit)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-5)  # inference
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-5)  # training
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5)  # model.losses
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)  # logged loss
    for weight, reference in zip(ours[4], theirs[4], strict=True):
        np.testing.assert_allclose(weight, reference, rtol=1e-5, atol=1e-5)


# Keras 3.15 on JAX: run(keras, "batch_normalized") and run(keras, "rms_scaled")
KERAS_PENALTIES = {"batch_normalized": [0.0811277, 0.11127564], "rms_scaled": [0.02601892]}
KERAS_LOGGED_LOSS = {
    "batch_normalized": [4.62974501, 3.92383099],
    "rms_scaled": [9.27000809, 2.7320838],
}


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("model_name", list(KERAS_PENALTIES))
def test_the_penalties_and_the_logged_loss_are_keras_numbers(model_name, jit):
    _, _, penalties, logged, _ = run(dg, model_name, jit)
    np.testing.assert_allclose(penalties, KERAS_PENALTIES[model_name], rtol=1e-5)
    np.testing.assert_allclose(logged, KERAS_LOGGED_LOSS[model_name], rtol=1e-5)


def test_the_initializers_make_the_weights():
    layer = layers.BatchNormalization(
        beta_initializer=initializers.Constant(0.5),
        gamma_initializer="zeros",
        moving_mean_initializer="ones",
        moving_variance_initializer=initializers.Constant(4.0),
    )
    layer.build_for((None, 3))
    gamma, beta, mean, variance = layer.get_weights()
    for value, expected in ((gamma, 0.0), (beta, 0.5), (mean, 1.0), (variance, 4.0)):
        np.testing.assert_array_equal(value, np.full(3, expected, np.float32))
    # inference: (x - 1) / √(4 + 0.001) · 0 + 0.5
    np.testing.assert_array_equal(layer(np.ones((2, 3), np.float32)), np.full((2, 3), 0.5))


def test_rms_scaling_warns_as_keras_and_has_no_shift():
    with pytest.warns(UserWarning, match="rms_scaling=True`, which is deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True, scale=False, center=True)
    layer.build_for((None, 4))
    assert layer.beta is None and layer.gamma is not None  # as Keras builds it


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"renorm": True}, "batch renormalization .* not supported"),
        ({"renorm_clipping": {"rmax": 3.0}}, "renorm_clipping=\\{'rmax': 3.0\\}"),
        ({"renorm_momentum": 0.9}, "renorm_momentum=0.9"),
        ({"synchronized": True}, "synchronized=True .* not supported"),
    ],
)
def test_renormalization_and_synchronized_statistics_are_refused(arguments, match):
    with pytest.raises(ValueError, match=f"BatchNormalization: .*{match}"):
        layers.BatchNormalization(**arguments)


def test_a_bad_layer_normalization_axis_is_refused_naming_it():
    with pytest.raises(TypeError, match="LayerNormalization: axis must be an int or a list"):
        layers.LayerNormalization(axis="last")
    layer = layers.LayerNormalization(axis=[1, 3])
    with pytest.raises(ValueError, match="axis 3 is out of bounds for inputs of 3 dim"):
        layer(X)
    with pytest.raises(ValueError, match=r"axis=\[0, 1\] includes an axis of unknown size"):
        layers.LayerNormalization(axis=[0, 1]).build_for((None, 4))


@pytest.mark.parametrize("jit", [False, True])
def test_the_arguments_are_saved_and_loaded(tmp_path, jit):
    model = make(dg, "batch_normalized", jit)
    model.add(layers.LayerNormalization([1, 2], gamma_regularizer=regularizers.L1(0.3)))
    model.compile(dg.optimizers.SGD(learning_rate=0.05), "mse", jit=jit)
    model.save(tmp_path / "normalized.dg")
    restored = dg.load_model(tmp_path / "normalized.dg")
    normalization, restored_normalization = model.layers[1], restored.layers[1]
    assert restored_normalization.get_config() == normalization.get_config()
    assert restored.layers[2].get_config() == model.layers[2].get_config()
    assert restored.layers[2].gamma.shape == (3, 4)
    config = normalization.get_config()
    assert config["gamma_regularizer"] == {
        "class_name": "l1_l2",
        "config": {"l1": 0.01, "l2": 0.02},
    }
    restored_initializer = initializers.get(config["moving_variance_initializer"])
    assert isinstance(restored_initializer, initializers.Zeros)
    assert layers.BatchNormalization.from_config(config).get_config() == config
    np.testing.assert_allclose(
        [float(np.asarray(p)) for p in restored.losses],
        [float(np.asarray(p)) for p in model.losses],
    )
    for trained in (model, restored):
        trained.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for ours, saved in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, saved)


def test_inputs_of_other_sizes_on_the_normalized_axes_are_refused_naming_the_layer():
    """A layer built for (batch, 4) inputs, called on (batch, 3, 4) with axis=1, failed in
    a reshape of γ without naming the layer (Keras fails there too)."""
    layer = layers.LayerNormalization(axis=1, name="ln_axis_1")
    layer(X[:, 0])
    with pytest.raises(ValueError, match=r"ln_axis_1.*sizes \(3,\) on axis=1, but γ and β"):
        layer(X)
    scale_only = layers.LayerNormalization(center=False, name="ln_scale_only")
    scale_only(X)
    with pytest.raises(ValueError, match="ln_scale_only"):
        scale_only(X[..., :2])

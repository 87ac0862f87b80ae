"""Keras 3 layer arguments: those deepgrad lacks are refused by name, never ignored;
``ReLU``'s ``max_value``, ``negative_slope`` and ``threshold`` match Keras on JAX."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import constraints, layers
from deepgrad.tensor import raw_data


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: layers.Dense(3, lora_rank=2), "lora_rank"),
        (lambda: layers.Embedding(5, 2, mask_zero=True), "mask_zero"),
    ],
)
def test_a_keras_argument_deepgrad_lacks_is_refused_naming_the_layer(make, argument):
    with pytest.raises(TypeError) as error:
        make()
    message = str(error.value)
    layer_name = message.split(":")[0]
    assert layer_name in {"Dense", "Embedding"}
    assert argument in message and "it takes" in message


def test_a_constraint_is_refused_with_what_to_do_instead():
    with pytest.raises(TypeError, match="ReLU takes no weight constraint in deepgrad; Dense"):
        layers.ReLU(kernel_constraint="non_neg")


CONSTRAINED_LAYERS = [
    (
        lambda: layers.Dense(3, kernel_constraint="max_norm", bias_constraint="non_neg"),
        {"kernel": constraints.MaxNorm, "bias": constraints.NonNeg},
    ),
    (
        lambda: layers.Embedding(5, 3, "random_uniform", None, constraints.UnitNorm(axis=1)),
        {"embeddings": constraints.UnitNorm},
    ),
    (
        lambda: layers.BatchNormalization(
            gamma_constraint=constraints.MinMaxNorm(0.5, 2.0), beta_constraint="NonNeg"
        ),
        {"gamma": constraints.MinMaxNorm, "beta": constraints.NonNeg},
    ),
    (
        lambda: layers.LayerNormalization(beta_constraint="max_norm"),
        {"beta": constraints.MaxNorm},
    ),
]


@pytest.mark.parametrize(("make", "expected"), CONSTRAINED_LAYERS)
def test_constraint_arguments_reach_the_weights_and_the_config(make, expected):
    layer = make()
    layer.build((None, 4))
    weights = dict((name, weight) for name, weight, *_ in layer.named_weights())
    for name, weight in weights.items():
        assert type(weight.constraint) is expected.get(name, type(None)), name
    rebuilt = type(layer).from_config(layer.get_config())
    rebuilt.build((None, 4))
    for name, weight, *_ in rebuilt.named_weights():
        original = weights[name].constraint
        assert type(weight.constraint) is type(original)
        if original is not None:
            assert weight.constraint.get_config() == original.get_config()


@pytest.mark.parametrize(
    ("keras_layer", "ours", "arguments"),
    [
        ("Dense", lambda: layers.Dense(2), ("kernel_constraint", "bias_constraint")),
        ("Embedding", lambda: layers.Embedding(4, 2), ("embeddings_constraint",)),
        (
            "BatchNormalization",
            layers.BatchNormalization,
            ("beta_constraint", "gamma_constraint"),
        ),
        (
            "LayerNormalization",
            layers.LayerNormalization,
            ("beta_constraint", "gamma_constraint"),
        ),
    ],
)
def test_constraint_arguments_are_keras_names_in_the_config(keras_layer, ours, arguments):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    keras_config = getattr(keras.layers, keras_layer)(
        *((2,) if keras_layer == "Dense" else (4, 2) if keras_layer == "Embedding" else ()),
        **{name: "non_neg" for name in arguments},
    ).get_config()
    our_config = ours().get_config()
    for name in arguments:
        assert keras_config[name]["class_name"] == "NonNeg" and our_config[name] is None
    with_keras_configs = {**our_config, **{name: keras_config[name] for name in arguments}}
    rebuilt = type(ours()).from_config(with_keras_configs)
    assert all(type(getattr(rebuilt, name)) is constraints.NonNeg for name in arguments)


def test_add_weight_takes_a_constraint_as_keras():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.factor = self.add_weight(shape=(2,), initializer="ones", constraint="non_neg")

    layer = Scale()
    layer.build((None, 2))
    assert type(layer.factor.constraint) is constraints.NonNeg


RELU_CASES = [
    {},
    {"max_value": 6.0},
    {"max_value": 1.5},
    {"negative_slope": 0.1},
    {"threshold": 0.5},
    {"max_value": 2.0, "negative_slope": 0.2, "threshold": 0.5},
    {"negative_slope": 0.3, "threshold": 1.0},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", RELU_CASES)
def test_relu_arguments_match_keras(dtype, kwargs):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    x = np.linspace(-4, 8, 49).reshape(7, 7).astype(dtype)
    expected = np.asarray(keras.layers.ReLU(dtype=dtype.__name__, **kwargs)(x))
    layer = layers.ReLU(dtype=dtype, **kwargs)
    got = raw_data(layer(x))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    rebuilt = layers.ReLU.from_config(layer.get_config())
    np.testing.assert_allclose(raw_data(rebuilt(x)), expected, rtol=1e-6, atol=1e-6)


def test_relu_arguments_keep_the_gradient_and_refuse_negative_values():
    layer = layers.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5)
    x = np.array([-1.0, 0.25, 1.0, 3.0])
    np.testing.assert_allclose(raw_data(dg.elementwise_grad(layer)(x)), [0.2, 0.2, 1.0, 0.0])
    with pytest.raises(ValueError, match="ReLU: threshold"):
        layers.ReLU(threshold=-1.0)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (layers.Reshape((-1, 2), name="r"), (None, None, 4)),
        (layers.Add(name="r"), [(None, 3), (None, None, 3)]),
    ],
)
def test_compute_output_shape_of_an_unknown_size_is_refused_by_name(layer, shape):
    """Keras gives (None, None, 2) and (None, None, 3); deepgrad runs one zero sample and
    needs the sizes, so it says so (it raised NumPy's 'NoneType' TypeError)."""
    with pytest.raises(ValueError, match=r"'r': compute_output_shape.*needs a size on every"):
        layer.compute_output_shape(shape)


def test_flatten_channels_first_moves_the_channels_last_as_keras():
    """Keras 3.15 on JAX, ``Flatten(data_format="channels_first")`` on arange(24) of shape
    (1, 2, 3, 4): channel 0's entry, then channel 1's, at each position."""
    x = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    expected = [[v for pair in zip(range(12), range(12, 24), strict=True) for v in pair]]
    flatten = layers.Flatten(data_format="channels_first")
    np.testing.assert_array_equal(raw_data(flatten(x)), np.array(expected, np.float32))
    np.testing.assert_array_equal(raw_data(flatten(x[:, :, 0, 0])), x[:, :, 0, 0])  # rank 2
    config = flatten.get_config()
    assert config["data_format"] == "channels_first"
    assert layers.Flatten().get_config()["data_format"] == "channels_last"  # Keras' default
    np.testing.assert_array_equal(raw_data(layers.Flatten.from_config(config)(x)), expected)
    with pytest.raises(ValueError, match="Flatten: data_format must be"):
        layers.Flatten(data_format="channels_middle")


def test_reshape_takes_none_for_the_unknown_size_as_keras():
    """Keras 3.15: ``Reshape((None, 2))`` on (2, 6) gives (2, 3, 2), None kept in the config."""
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    reshape = layers.Reshape((None, 2))
    np.testing.assert_array_equal(raw_data(reshape(x)), x.reshape(2, 3, 2))
    assert reshape.get_config()["target_shape"] == [None, 2]
    assert reshape.compute_output_shape((None, 6)) == (None, 3, 2)
    with pytest.raises(ValueError, match="Reshape: at most one entry of target_shape"):
        layers.Reshape((None, -1))


@pytest.mark.parametrize("units", [2.5, "3", True, 0])
def test_dense_refuses_units_that_are_not_a_positive_integer(units):
    # 2.5 was truncated to 2 units without a word; Keras 3 raises for it.
    with pytest.raises(ValueError, match="Dense: units must be a positive integer"):
        layers.Dense(units)


@pytest.mark.parametrize(("input_dim", "output_dim"), [(0, 3), (3, 0), (2.5, 3), (True, 3)])
def test_embedding_refuses_sizes_that_are_not_positive_integers(input_dim, output_dim):
    # They were taken through int(): Embedding(2.5, 3) made a table of 2 rows.
    with pytest.raises(ValueError, match=r"Embedding: (input|output)_dim must be a positive"):
        layers.Embedding(input_dim, output_dim)

"""Keras 3's Identity, Lambda, Rescaling, ActivityRegularization, RepeatVector, Permute,
Dot, UnitNormalization and RMSNormalization: numbers, shapes and configs against Keras,
gradients against central differences, compiled against eager training, saving, and the
errors for what they cannot take.

The fixed numbers were produced by Keras 3.15 on JAX (float32), by calling the Keras
layer of the same arguments on the same inputs (``np.asarray(keras.layers.X(...)(x))``);
the tests guarded by ``pytest.importorskip("keras")`` run Keras itself."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad import numpy as dnp
from deepgrad.autodiff.check import check_grads
from deepgrad.compiler import settings
from deepgrad.layers.base import LAYER_CLASSES
from deepgrad.models.stateless import using_weights
from deepgrad.tensor import raw_data

X3 = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11.5) / 7
Y3 = (np.arange(40, dtype=np.float32).reshape(2, 4, 5) % 7 - 3) / 3
A = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], np.float32)
B = np.array([[4.0, -5.0, 6.0], [1.0, 1.0, 1.0]], np.float32)


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


def _out(layer, inputs):
    return np.asarray(raw_data(layer(inputs)))


# ---- fixed numbers from Keras -----------------------------------------------------------


def test_dot_takes_keras_numbers_and_shapes():
    np.testing.assert_allclose(_out(layers.Dot(axes=-1), [A, B]), [[12.0], [0.0]])
    # normalize=True: the cosine; a zero sample gives 0, not nan (Keras' epsilon 1e-7)
    np.testing.assert_allclose(
        _out(layers.Dot(axes=-1, normalize=True), [A, B]), [[0.365487], [0.0]], atol=1e-6
    )
    out = _out(layers.Dot(axes=(2, 1)), [X3, Y3])
    assert out.shape == (2, 3, 5)
    np.testing.assert_allclose(
        out[0, 0], [1.452381, -0.452381, 1.142857, -0.761905, 0.5], atol=1e-5
    )
    normalized = _out(layers.Dot(axes=(2, 1), normalize=True), [X3, Y3])
    np.testing.assert_allclose(
        normalized[1, 2], [-0.111111, -0.355525, 0.134715, -0.212485, 0.318728], atol=1e-5
    )
    # (batch, 4) with (batch, 4, 5) along axis 1 of both: (batch, 5), Keras' first row
    np.testing.assert_allclose(
        _out(layers.Dot(axes=(1, 1)), [X3[:, 0], Y3])[0],
        [1.452381, -0.452381, 1.142857, -0.761905, 0.5],
        atol=1e-5,
    )
    x4 = np.arange(48, dtype=np.float32).reshape(2, 2, 3, 4) / 10
    y4 = np.arange(16, dtype=np.float32).reshape(2, 4, 2) / 10
    assert layers.Dot(axes=(3, 1))([x4, y4]).shape == (2, 2, 3, 2)


def test_rms_and_unit_normalization_take_keras_numbers():
    np.testing.assert_allclose(
        _out(layers.RMSNormalization(), X3)[0, 0],
        [-1.142879, -1.043498, -0.944117, -0.844737],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        _out(layers.RMSNormalization(axis=[1, 2]), X3)[1, 2],
        [1.227935, 1.372398, 1.516861, 1.661324],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        _out(layers.UnitNormalization(), X3)[0, 2],
        [-0.763763, -0.545545, -0.327327, -0.109109],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        _out(layers.UnitNormalization(axis=[1, 2]), X3)[0, 0],
        [-0.479583, -0.43788, -0.396177, -0.354474],
        atol=1e-6,
    )
    np.testing.assert_array_equal(
        _out(layers.UnitNormalization(), np.zeros((1, 3), np.float32)), [[0, 0, 0]]
    )


def test_rms_normalization_lays_scale_on_the_normalized_axis():
    """axis=1 of (batch, 3, 3): scale[i] multiplies row i. Keras broadcasts a (3,) scale
    on the last axis instead (its output there is [0, 0.4264, 1.0776] for the first row,
    columns scaled), and refuses (2, 3, 4): deepgrad follows the definition."""
    z = np.arange(18, dtype=np.float32).reshape(2, 3, 3)
    norm = layers.RMSNormalization(axis=1)
    norm.build((None, 3, 3))
    norm.set_weights([np.array([1.0, 2.0, 3.0], np.float32)])
    rms = np.sqrt((z**2).mean(axis=1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(_out(norm, z), z / rms * np.array([1, 2, 3])[:, None], rtol=1e-6)
    assert layers.RMSNormalization(axis=1)(X3).shape == (2, 3, 4)


def test_rescaling_takes_keras_numbers_and_casts_integer_inputs():
    pixels = np.array([[[0, 128, 255], [10, 20, 30]]], np.uint8)
    out = layers.Rescaling([1 / 255, 2 / 255, 1.0], offset=-0.5)(pixels)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        raw_data(out),
        [[[-0.5, 0.503922, 254.5], [-0.460784, -0.343137, 29.5]]],
        atol=1e-6,
    )


def test_repeat_vector_permute_identity():
    np.testing.assert_array_equal(
        _out(layers.RepeatVector(3), np.array([[1.0, 2.0]], np.float32)), [[[1, 2]] * 3]
    )
    x = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    np.testing.assert_array_equal(_out(layers.Permute((2, 3, 1)), x), x.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(_out(layers.Identity(), x), x)


# ---- against Keras itself ----------------------------------------------------------------

# name: (deepgrad layer, the Keras layer's class and arguments, inputs)
CASES = {
    "dot_last": (lambda: layers.Dot(axes=-1), ("Dot", {"axes": -1}), [A, B]),
    "dot_cos": (
        lambda: layers.Dot(axes=-1, normalize=True),
        ("Dot", {"axes": -1, "normalize": True}),
        [A, B],
    ),
    "dot_2_1": (lambda: layers.Dot(axes=(2, 1)), ("Dot", {"axes": (2, 1)}), [X3, Y3]),
    "dot_1_2_norm": (
        lambda: layers.Dot(axes=[1, 2], normalize=True),
        ("Dot", {"axes": [1, 2], "normalize": True}),
        [X3, np.moveaxis(Y3[:, :3, :], 1, 2).copy()],
    ),
    "dot_2d_3d": (lambda: layers.Dot(axes=1), ("Dot", {"axes": 1}), [X3[:, 0], Y3]),
    "rms": (lambda: layers.RMSNormalization(), ("RMSNormalization", {}), X3),
    "rms_axes": (
        lambda: layers.RMSNormalization(axis=[1, 2], epsilon=0.1),
        ("RMSNormalization", {"axis": [1, 2], "epsilon": 0.1}),
        X3,
    ),
    "unit": (lambda: layers.UnitNormalization(), ("UnitNormalization", {}), X3),
    "unit_axes": (
        lambda: layers.UnitNormalization(axis=(1, -1)),
        ("UnitNormalization", {"axis": (1, -1)}),
        X3,
    ),
    "rescaling": (
        lambda: layers.Rescaling(1 / 127.5, offset=-1),
        ("Rescaling", {"scale": 1 / 127.5, "offset": -1}),
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10,
    ),
    "repeat": (lambda: layers.RepeatVector(4), ("RepeatVector", {"n": 4}), X3[:, 1]),
    "permute": (lambda: layers.Permute((2, 1)), ("Permute", {"dims": (2, 1)}), X3),
    "identity": (lambda: layers.Identity(), ("Identity", {}), X3),
    "activity_reg": (
        lambda: layers.ActivityRegularization(l1=0.1, l2=0.3),
        ("ActivityRegularization", {"l1": 0.1, "l2": 0.3}),
        X3,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_symbolic_shapes_and_configs_agree_with_keras(name):
    keras = _keras()
    make, (class_name, arguments), inputs = CASES[name]
    expected = np.asarray(getattr(keras.layers, class_name)(**arguments)(inputs))
    ours = make()
    np.testing.assert_allclose(_out(ours, inputs), expected, rtol=1e-5, atol=1e-6)

    several = isinstance(inputs, list)
    shapes = [x.shape[1:] for x in _as_list(inputs)]
    keras_in = [keras.Input(x.shape[1:], dtype=str(x.dtype)) for x in _as_list(inputs)]
    ours_in = [dg.Input(x.shape[1:], dtype=x.dtype) for x in _as_list(inputs)]
    keras_out = getattr(keras.layers, class_name)(**arguments)(keras_in if several else keras_in[0])
    ours_out = make()(ours_in if several else ours_in[0])
    assert ours_out.shape == keras_out.shape
    input_shapes = [(None, *s) for s in shapes]
    assert make().compute_output_shape(input_shapes if several else input_shapes[0]) == tuple(
        keras_out.shape
    )

    keras_config = getattr(keras.layers, class_name)(**arguments).get_config()
    our_config = make().get_config()
    for key in set(keras_config) - {"name", "dtype", "trainable"}:
        assert _plain(our_config[key]) == _plain(keras_config[key]), key


def _as_list(inputs):
    return inputs if isinstance(inputs, list) else [inputs]


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def test_activity_regularization_fit_takes_keras_losses():
    """Dense(3, tanh) → ActivityRegularization(l1=0.05, l2=0.2) → Dense(1), SGD(0.1), mse,
    batches of 4, three epochs, no shuffling, from the same weights: Keras 3.15's history
    [1.419374942779541, 1.2472203969955444, 1.1804006099700928] (without the layer's
    penalty the first epoch's loss would differ)."""
    losses = {}
    for jit in (False, True):
        model = _regularized_model(l1=0.05, l2=0.2)
        model.compile(dg.optimizers.SGD(learning_rate=0.1), "mse", jit=jit)
        history = model.fit(*_FIT_DATA, batch_size=4, epochs=3, shuffle=False, verbose=0)
        losses[jit] = history.history["loss"]
        np.testing.assert_allclose(
            losses[jit], [1.419374942779541, 1.2472203969955444, 1.1804006099700928], rtol=2e-6
        )
    plain = _regularized_model(l1=0.0, l2=0.0)
    plain.compile(dg.optimizers.SGD(learning_rate=0.1), "mse")
    unpenalized = plain.fit(*_FIT_DATA, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert abs(unpenalized.history["loss"][0] - losses[False][0]) > 1e-2


_RNG = np.random.default_rng(0)
_FIT_DATA = (
    _RNG.standard_normal((12, 4)).astype(np.float32),
    _RNG.standard_normal((12, 1)).astype(np.float32),
)
_FIT_WEIGHTS = [
    (_RNG.standard_normal((4, 3)) / 2).astype(np.float32),
    np.zeros(3, np.float32),
    (_RNG.standard_normal((3, 1)) / 2).astype(np.float32),
    np.zeros(1, np.float32),
]


def _regularized_model(l1, l2):
    model = dg.Sequential(
        [
            layers.Dense(3, activation="tanh"),
            layers.ActivityRegularization(l1=l1, l2=l2),
            layers.Dense(1),
        ]
    )
    model.build((None, 4))
    model.set_weights(_FIT_WEIGHTS)
    return model


def test_activity_regularization_fit_agrees_with_keras_itself():
    keras = _keras()
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, activation="tanh"),
            keras.layers.ActivityRegularization(l1=0.05, l2=0.2),
            keras.layers.Dense(1),
        ]
    )
    model.set_weights(_FIT_WEIGHTS)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    expected = model.fit(*_FIT_DATA, batch_size=4, epochs=3, shuffle=False, verbose=0)
    ours = _regularized_model(l1=0.05, l2=0.2)
    ours.compile(dg.optimizers.SGD(learning_rate=0.1), "mse")
    history = ours.fit(*_FIT_DATA, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=2e-6)


# ---- gradients -----------------------------------------------------------------------------

GRADIENT_CASES = {
    "dot_normalize": (lambda: layers.Dot(axes=(2, 1), normalize=True, dtype="float64"), 2),
    "dot_normalize_2d": (lambda: layers.Dot(axes=-1, normalize=True, dtype="float64"), 2),
    "rms": (lambda: layers.RMSNormalization(axis=[1, 2], dtype="float64"), 1),
    "unit": (lambda: layers.UnitNormalization(axis=1, dtype="float64"), 1),
    "rescaling": (lambda: layers.Rescaling([0.5, -2.0, 3.0, 1.0], 0.25, dtype="float64"), 1),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_agree_with_central_differences(name):
    make, n_inputs = GRADIENT_CASES[name]
    layer = make()
    rng = np.random.default_rng(1)
    if name == "dot_normalize_2d":
        args = (rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
    else:
        args = (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5)))[:n_inputs]
    if n_inputs == 2:
        check_grads(lambda x, y: layer([x, y]), args, order=1, modes=("rev",))
    else:
        check_grads(layer, args, order=1, modes=("rev",))


def test_rms_normalization_scale_gradient_agrees_with_central_differences():
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    layer = layers.RMSNormalization(dtype="float64")
    layer.build((None, 3, 4))

    def normalized(scale):
        with using_weights(layer, [scale]):
            return layer(x)

    check_grads(normalized, (np.linspace(0.5, 2, 4),), order=1, modes=("rev",))


def test_unit_and_dot_normalize_have_a_zero_gradient_at_zero_not_nan():
    x = dg.tensor(np.zeros((1, 3)), requires_grad=True)
    y = dg.tensor(np.ones((1, 3)), requires_grad=True)
    dnp.sum(layers.UnitNormalization(dtype="float64")(x)).backward()
    assert np.all(np.isfinite(raw_data(x.grad)))
    x.grad = None
    dnp.sum(layers.Dot(axes=-1, normalize=True, dtype="float64")([x, y])).backward()
    assert np.all(np.isfinite(raw_data(x.grad)))


# ---- a model of them all: compiled against eager, saving --------------------------------


def _model_of_them_all():
    dg.random.seed(0)
    inputs = dg.Input((4,))
    a = layers.Dense(6, activation="tanh")(inputs)
    b = layers.Dense(6)(layers.Rescaling([0.5, 1.0, 2.0, -1.0], offset=0.1)(inputs))
    sequence = layers.Permute((2, 1))(layers.RepeatVector(3)(a))  # (batch, 6, 3)
    sequence = layers.RMSNormalization(axis=[1, 2])(sequence)
    sequence = layers.UnitNormalization(axis=1)(sequence)
    similarity = layers.Dot(axes=1, normalize=True)([a, b])  # (batch, 1)
    attended = layers.Dot(axes=(1, 1))([sequence, b])  # (batch, 3)
    merged = layers.Concatenate()([attended, similarity])
    merged = layers.ActivityRegularization(l1=0.01, l2=0.05)(layers.Identity()(merged))
    return dg.Model(inputs, layers.Dense(1)(merged))


def test_compiled_and_eager_training_agree():
    x, y = _FIT_DATA
    results = []
    for jit in (False, True):
        model = _model_of_them_all()
        model.compile(dg.optimizers.SGD(learning_rate=0.05), "mse", jit=jit)
        history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    (eager_loss, eager_weights), (compiled_loss, compiled_weights) = results
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-6)
    assert eager_loss[-1] < eager_loss[0]
    for compiled, eager in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-7)


def test_saving_and_loading_a_model_of_them_all(tmp_path):
    x, y = _FIT_DATA
    model = _model_of_them_all()
    model.compile("adam", "mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    kinds = {type(layer).__name__ for layer in restored.layers}
    assert kinds >= {
        "Rescaling",
        "RepeatVector",
        "Permute",
        "RMSNormalization",
        "UnitNormalization",
        "Dot",
        "ActivityRegularization",
        "Identity",
    }
    for saved, loaded in zip(model.layers, restored.layers, strict=True):
        assert type(loaded) is type(saved) and loaded.get_config() == saved.get_config()


# ---- Lambda --------------------------------------------------------------------------------


def test_lambda_passes_arguments_and_training_and_lets_gradients_flow():
    seen = []

    def function(x, power, training=None):
        seen.append(training)
        return x**power

    layer = layers.Lambda(function, arguments={"power": 3})
    x = dg.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    dnp.sum(layer(x, training=True)).backward()
    np.testing.assert_array_equal(raw_data(x.grad), [[3.0, 12.0]])
    layer(np.ones((1, 2), np.float32))
    assert seen == [True, False]
    assert layers.Lambda(lambda x, mask: x if mask is None else -x)(A).shape == (2, 3)


def test_lambda_output_shape_is_checked_and_gives_the_output_shape():
    layer = layers.Lambda(lambda x: x[:, :2], output_shape=(2,))
    assert layer.compute_output_shape((None, 5)) == (None, 2)
    assert layer(np.ones((3, 5), np.float32)).shape == (3, 2)
    assert layers.Lambda(lambda x: x, output_shape=lambda s: s).compute_output_shape((None, 7)) == (
        None,
        7,
    )
    with pytest.raises(ValueError, match=r"Lambda 'wrong'.*output_shape=\(3,\).*\(None, 2\)"):
        layers.Lambda(lambda x: x[:, :2], output_shape=(3,), name="wrong")(np.ones((3, 5)))
    symbolic = layers.Lambda(lambda x: dnp.concatenate([x, x], axis=-1))(dg.Input((3,)))
    assert symbolic.shape == (None, 6)


def test_a_compiled_fit_through_a_lambda_agrees_with_eager():
    x, y = _FIT_DATA
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = dg.Sequential(
            [
                layers.Dense(3),
                layers.Lambda(lambda h, shift: dnp.tanh(h) + shift, arguments={"shift": 0.5}),
                layers.Dense(1),
            ]
        )
        model.compile(dg.optimizers.SGD(learning_rate=0.05), "mse", jit=jit)
        history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        results.append(history.history["loss"])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_calling_a_built_lambda_changes_no_setting():
    """A layer's settings (its __init__ arguments) reassigned make compiled steps record
    again. Lambda takes ``output_shape``, which every call also sets as the layer's
    recorded output shape: that is state, not a setting, so calls must not count."""
    layer = layers.Lambda(lambda x: x * 2, output_shape=(3,))
    layer(np.ones((2, 3), np.float32))
    before = settings.version()
    layer(np.ones((2, 3), np.float32))
    assert settings.version() == before


def test_lambda_agrees_with_keras():
    keras = _keras()
    expected = np.asarray(keras.layers.Lambda(lambda x: x * 2.0 + 1.0)(X3))
    np.testing.assert_allclose(_out(layers.Lambda(lambda x: x * 2.0 + 1.0), X3), expected)


def test_lambda_refuses_a_mask_and_a_model_holding_one_refuses_to_be_saved(tmp_path):
    with pytest.raises(ValueError, match=r"mask=.*no masking"):
        layers.Lambda(lambda x: x, mask=np.ones(3, bool))
    with pytest.raises(TypeError, match="callable"):
        layers.Lambda(3.0)  # type: ignore[arg-type]
    model = dg.Sequential([layers.Dense(2), layers.Lambda(lambda x: x * 2, name="double")])
    model.build((None, 3))
    with pytest.raises(ValueError, match=r"Lambda 'double'.*cannot be saved.*holds no code"):
        model.save(tmp_path / "model.dg")
    model.save_weights(tmp_path / "weights.dg")  # the weights alone can be saved
    assert "Lambda" not in LAYER_CLASSES


# ---- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "inputs", "error", "message"),
    [
        (lambda: layers.Dot(axes=0), [A, B], ValueError, r"Dot 'dot.*batch axis 0"),
        (lambda: layers.Dot(axes=3), [A, B], ValueError, r"axes=3 names axis 3 of input 0"),
        (lambda: layers.Dot(axes=(1, 2)), [X3, Y3], ValueError, r"axis 1 of the first.*size 3"),
        (lambda: layers.Dot(axes=-1), [A, B, A], ValueError, "exactly 2 inputs"),
        (lambda: layers.Dot(axes=-1), [A, B[:1]], ValueError, "different batch sizes"),
        (lambda: layers.Dot(axes=-1), [A[:, 0], B[:, 0]], ValueError, "needs a batch axis"),
        (lambda: layers.Permute((2, 1)), X3[:, 0], ValueError, r"Permute.*permutes inputs of 3"),
        (lambda: layers.RepeatVector(2), X3, ValueError, r"RepeatVector.*\(batch, features\)"),
        (lambda: layers.RMSNormalization(axis=3), X3, ValueError, "axis=3 names axis 3"),
        (lambda: layers.UnitNormalization(axis=-4), X3, ValueError, "axis=-4"),
        (lambda: layers.Rescaling([1.0, 2.0]), X3, ValueError, r"scale of shape \(2,\)"),
    ],
)
def test_inputs_it_cannot_take_raise_naming_layer_and_shapes(make, inputs, error, message):
    with pytest.raises(error, match=message):
        make()(inputs)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: layers.Dot(axes="last"), TypeError, "Dot: axes must be"),
        (lambda: layers.Dot(axes=(1, 2, 3)), ValueError, "two ints"),
        (lambda: layers.Permute((1, 3)), ValueError, r"permutation.*dims=\(1, 3\)"),
        (lambda: layers.Permute((0, 1)), ValueError, "batch axis 0 stays first"),
        (lambda: layers.RepeatVector(2.0), TypeError, "n must be an integer"),
        (lambda: layers.RepeatVector(0), ValueError, "positive"),
        (lambda: layers.Rescaling("half"), TypeError, "scale must be a number"),
        (lambda: layers.UnitNormalization(axis="x"), TypeError, "UnitNormalization: axis"),
        (
            lambda: layers.ActivityRegularization(activity_regularizer="l2"),
            TypeError,
            "takes l1 and l2",
        ),
    ],
)
def test_bad_arguments_are_refused_by_name(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_built_rms_normalization_refuses_inputs_of_other_sizes():
    norm = layers.RMSNormalization()
    norm(X3)
    with pytest.raises(ValueError, match=r"RMSNormalization.*scale was built for \(4,\)"):
        norm(np.ones((2, 3, 5), np.float32))

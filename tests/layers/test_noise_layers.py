"""Dropout's noise_shape and seed, GaussianDropout and AlphaDropout, as Keras 3 has them:
the noise's statistics, the identity at inference, the checks of their arguments, saving,
and fresh noise at every step of a compiled fit."""

import itertools
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers
from deepgrad.tensor import raw_data

RNG = np.random.default_rng(0)
X = RNG.standard_normal((48, 6)).astype(np.float32)
Y = (X @ RNG.standard_normal((6, 1))).astype(np.float32)

NOISE_LAYERS = {
    "Dropout": lambda **kw: layers.Dropout(0.3, **kw),
    "Dropout_noise_shape": lambda **kw: layers.Dropout(0.3, noise_shape=(None, 1, None), **kw),
    "GaussianNoise": lambda **kw: layers.GaussianNoise(0.2, **kw),
    "GaussianDropout": lambda **kw: layers.GaussianDropout(0.3, **kw),
    "AlphaDropout": lambda **kw: layers.AlphaDropout(0.3, **kw),
    "AlphaDropout_noise_shape": lambda **kw: layers.AlphaDropout(
        0.3, noise_shape=(1, None, 1), **kw
    ),
}


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", sorted(NOISE_LAYERS))
def test_the_identity_at_inference_and_noise_in_training(name):
    x = RNG.standard_normal((5, 4, 3)).astype(np.float32)
    layer = NOISE_LAYERS[name]()
    np.testing.assert_array_equal(raw_data(layer(x)), x)
    np.testing.assert_array_equal(raw_data(layer(x, training=False)), x)
    noisy = raw_data(layer(x, training=True))
    assert noisy.dtype == np.float32 and noisy.shape == x.shape
    assert not np.array_equal(noisy, x)


def test_dropout_noise_shape_shares_the_mask_along_its_axes_of_size_one():
    x = np.ones((200, 7, 30), np.float32)
    y = raw_data(layers.Dropout(0.25, noise_shape=(None, 1, None), seed=3)(x, training=True))
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y[:, 0, :] == 0).mean() - 0.25) < 0.02
    # no None: a shorter noise_shape broadcasts from the right, as NumPy and Keras do
    z = raw_data(layers.Dropout(0.5, noise_shape=(1, 30), seed=3)(x, training=True))
    np.testing.assert_array_equal(z, np.broadcast_to(z[:1, :1, :], z.shape))


def test_alpha_dropout_noise_shape_shares_the_mask():
    x = np.zeros((4, 500, 3), np.float32)
    y = raw_data(layers.AlphaDropout(0.4, noise_shape=(1, None, 1), seed=0)(x, training=True))
    np.testing.assert_array_equal(y, np.broadcast_to(y[:1, :, :1], y.shape))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.Dropout(0.5, noise_shape=(None, 2, None)), "does not broadcast"),
        (lambda: layers.Dropout(0.5, noise_shape=(1, 1, 1, 1)), "does not broadcast"),
        (lambda: layers.Dropout(0.5, noise_shape=(None, 3)), "one entry per axis"),
        (lambda: layers.AlphaDropout(0.5, noise_shape=(4, 2, 1)), "does not broadcast"),
    ],
)
def test_a_noise_shape_that_does_not_fit_the_input_is_refused_naming_both(make, message):
    layer = make()
    with pytest.raises(ValueError, match=message) as error:
        layer(np.ones((4, 3, 5), np.float32), training=True)
    assert type(layer).__name__ in str(error.value) and "(4, 3, 5)" in str(error.value)


@pytest.mark.parametrize("cls", [layers.Dropout, layers.GaussianDropout, layers.AlphaDropout])
def test_rate_is_checked_as_keras_checks_it(cls):
    for rate in (-0.1, 1.5, "0.5", None):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: rate must be a number in \[0, 1\]"):
            cls(rate)
    with pytest.raises(ValueError, match="seed must be an integer"):
        cls(0.5, seed=1.5)
    cls(1.0)  # accepted, as by Keras


def test_noise_shape_is_checked_as_keras_checks_it():
    for bad in ("ab", 3, (None, 0), (None, -2), (None, 2.0)):
        with pytest.raises(ValueError, match="Dropout: noise_shape must"):
            layers.Dropout(0.5, noise_shape=bad)


def test_dropout_rate_one_drops_everything_as_keras():
    """Keras returns zeros (before, deepgrad refused rate=1)."""
    keras = _keras()
    x = np.array([[1.0, -np.inf, 3.0]], np.float32)
    expected = np.asarray(keras.layers.Dropout(1.0)(x, training=True))
    got = raw_data(layers.Dropout(1.0)(x, training=True))
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, np.zeros_like(x))


@pytest.mark.parametrize("cls", [layers.GaussianDropout, layers.AlphaDropout])
def test_rate_one_in_training_is_refused_by_name(cls):
    """Keras raises ZeroDivisionError in the call: the noise's scale is infinite."""
    layer = cls(1.0)
    np.testing.assert_array_equal(raw_data(layer(np.ones(3, np.float32))), np.ones(3))
    with pytest.raises(ValueError, match=rf"\({cls.__name__}\): rate=1 in training"):
        layer(np.ones(3, np.float32), training=True)


def test_gaussian_dropout_noise_is_n_1_rate_over_1_minus_rate():
    x = np.full((400, 500), 2.0, np.float32)
    for rate in (0.1, 0.5):
        noise = raw_data(layers.GaussianDropout(rate, seed=0)(x, training=True)) / 2.0
        assert abs(noise.mean() - 1.0) < 0.005
        np.testing.assert_allclose(noise.var(), rate / (1 - rate), rtol=0.01)


def test_gaussian_dropout_statistics_agree_with_keras():
    keras = _keras()
    x = np.ones((400, 500), np.float32)
    expected = np.asarray(keras.layers.GaussianDropout(0.4, seed=0)(x, training=True))
    got = raw_data(layers.GaussianDropout(0.4, seed=0)(x, training=True))
    assert abs(got.mean() - expected.mean()) < 0.01
    np.testing.assert_allclose(got.var(), expected.var(), rtol=0.02)


def test_alpha_dropout_takes_keras_values_and_keeps_mean_and_variance():
    """Keras' output on zeros is b where kept and a·α′ + b where dropped, and on ones
    a + b where kept: deepgrad's affine correction takes the same values."""
    keras = _keras()
    rate = 0.2
    for value in (0.0, 1.0):
        x = np.full((100, 50), value, np.float32)
        expected = np.unique(np.asarray(keras.layers.AlphaDropout(rate, seed=0)(x, training=True)))
        got = raw_data(layers.AlphaDropout(rate, seed=0)(x, training=True))
        assert expected.size == 2
        np.testing.assert_allclose(np.unique(got), expected, rtol=1e-6)
        assert abs((got == expected.min()).mean() - rate) < 0.02  # a·α′ + b < 0 is dropped
    x = RNG.standard_normal((1000, 200)).astype(np.float32)  # SELU's fixed point: N(0, 1)
    y = raw_data(layers.AlphaDropout(0.3, seed=1)(x, training=True))
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.01


def test_alpha_dropout_gradient_is_a_where_kept():
    x = dg.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    y = layers.AlphaDropout(0.5, seed=2)(x, training=True)
    y.sum().backward()
    rate, saturation = 0.5, -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * saturation**2)) ** -0.5
    kept = ~np.isclose(raw_data(y), a * saturation - a * saturation * rate, rtol=1e-6)
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(raw_data(x.grad), np.where(kept, a, 0.0), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(NOISE_LAYERS))
def test_a_seed_gives_the_layer_its_own_reproducible_stream(name):
    x = np.ones((6, 4, 3), np.float32)
    first, second = NOISE_LAYERS[name](seed=7), NOISE_LAYERS[name](seed=7)
    state = dg.random.get_state()
    draws = [raw_data(first(x, training=True)) for _ in range(2)]
    assert dg.random.get_state() == state  # the global stream did not move
    assert not np.array_equal(*draws)  # a new draw at each call
    dg.random.seed(123)  # and the global seed does not reset it
    np.testing.assert_array_equal(raw_data(second(x, training=True)), draws[0])
    np.testing.assert_array_equal(raw_data(second(x, training=True)), draws[1])


def test_config_round_trip_keeps_every_argument():
    made = [
        layers.Dropout(0.4, noise_shape=[None, 1, 3], seed=5, name="d"),
        layers.GaussianNoise(0.3, seed=2),
        layers.GaussianDropout(0.25, seed=9),
        layers.AlphaDropout(0.1, noise_shape=(None, 1, None), seed=4),
    ]
    for layer in made:
        config = layer.get_config()
        rebuilt = type(layer).from_config(config)
        assert rebuilt.get_config() == config
    assert made[0].get_config()["noise_shape"] == [None, 1, 3]
    assert made[0].get_config()["seed"] == 5


def _noisy_model(seed=None):
    return dg.Sequential(
        [
            layers.Dense(8, activation="selu", input_shape=(6,)),
            layers.AlphaDropout(0.1, seed=seed),
            layers.Dense(8),
            layers.GaussianDropout(0.2, seed=seed),
            layers.Reshape((4, 2)),
            layers.Dropout(0.3, noise_shape=(None, 1, None), seed=seed),
            layers.PReLU(shared_axes=[1], alpha_initializer="ones"),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )


def test_saving_and_loading_a_model_with_the_noise_layers(tmp_path):
    dg.random.seed(0)
    model = _noisy_model(seed=3)
    model.compile("adam", "mse")
    model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    np.testing.assert_array_equal(restored.predict(X, verbose=0), model.predict(X, verbose=0))
    for saved, loaded in zip(model.layers, restored.layers, strict=True):
        assert type(loaded) is type(saved) and loaded.get_config() == saved.get_config()
    assert restored.layers[6].alpha.shape == (1, 2)
    # a loaded seeded layer draws its stream again from the seed, as a new one does
    x = np.ones((3, 8), np.float32)
    fresh = layers.GaussianDropout(0.2, seed=3)
    np.testing.assert_array_equal(
        raw_data(restored.layers[3](x, training=True)), raw_data(fresh(x, training=True))
    )


@pytest.mark.parametrize("seed", [None, 11])
def test_a_compiled_fit_draws_fresh_noise_at_every_step(seed):
    """Compiled and eager fits from the same seeds end with the same bits: frozen noise
    (the recording's draws replayed) would differ from eager's fresh draws after the
    first step."""
    results = []
    for jit in (False, True):
        dg.random.seed(0)
        model = _noisy_model(seed)
        model.compile(dg.optimizers.SGD(learning_rate=0.01), "mse", jit=jit)
        history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        results.append((history.history["loss"], model.get_weights()))
    (eager_loss, eager_weights), (compiled_loss, compiled_weights) = results
    assert compiled_loss == eager_loss
    for a, b in zip(compiled_weights, eager_weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(NOISE_LAYERS))
def test_a_compiled_training_call_draws_new_noise_each_call(name):
    layer = NOISE_LAYERS[name](seed=0)
    x = np.ones((5, 4, 3), np.float32)
    forward = dg.compile(lambda inputs: layer(inputs, training=True))
    draws = [np.asarray(forward(x)) for _ in range(4)]
    for earlier, later in itertools.pairwise(draws):
        assert not np.array_equal(earlier, later)
    eager = NOISE_LAYERS[name](seed=0)  # the same stream, drawn eagerly
    for drawn in draws:
        np.testing.assert_array_equal(drawn, raw_data(eager(x, training=True)))


@pytest.mark.parametrize("stddev", [-0.5, float("nan"), "0.1", True])
def test_gaussian_noise_refuses_a_stddev_that_is_not_a_number_at_least_0(stddev):
    """A negative stddev failed at the first training call with NumPy's bare "scale < 0";
    NaN turned every input into NaN. Keras refuses both when the layer is made."""
    with pytest.raises(ValueError, match="GaussianNoise: stddev must be"):
        layers.GaussianNoise(stddev)


@pytest.mark.parametrize("stddev", [1.5, 2, 10.0])
def test_gaussian_noise_refuses_a_stddev_above_1_as_keras(stddev):
    """deepgrad took stddev > 1, which Keras 3 refuses when the layer is made."""
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Expected a float value between 0 and 1"):
        keras.layers.GaussianNoise(stddev)
    with pytest.raises(ValueError, match="GaussianNoise: stddev must be a number between 0 and 1"):
        layers.GaussianNoise(stddev)


@pytest.mark.parametrize("stddev", [0, 0.5, 1])
def test_gaussian_noise_takes_a_stddev_from_0_to_1(stddev):
    assert layers.GaussianNoise(stddev).get_config()["stddev"] == stddev


def test_dropout_zeroes_dropped_infinities_and_nans_as_keras():
    """Keras 3's where(mask, x / keep, 0): a dropped ±inf or NaN is 0 (inf · 0 was NaN)."""
    x = np.array([[np.inf, -np.inf, np.nan, 1.0] * 250], np.float32)
    out = raw_data(layers.Dropout(0.3, seed=1)(x, training=True))
    dropped = out == 0
    assert 0 < dropped.mean() < 0.6
    kept = ~dropped
    np.testing.assert_array_equal(out[kept], x[kept] * np.float32(1 / 0.7))  # Keras' scale
    assert not np.isnan(out[np.isinf(x)]).any()


def test_keras_dropout_gives_no_nan_at_a_dropped_infinity():
    """The behaviour the test above follows, run in Keras itself."""
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    x = np.full((1, 1000), np.inf, np.float32)
    out = np.asarray(keras.layers.Dropout(0.3, seed=1)(x, training=True))
    assert not np.isnan(out).any() and (out == 0).any()


def test_a_seeded_layer_draws_a_stream_of_its_own_in_each_data_parallel_process():
    """Regression: processes of a data-parallel job drew the same masks from one seed."""

    def masks(process):
        layer = layers.Dropout(0.5, seed=3)
        x = np.ones((4, 6))
        if process is None:
            return np.asarray(layer(x, training=True).data)
        with dg.random.as_process(process):
            return np.asarray(layer(x, training=True).data)

    assert not np.array_equal(masks(0), masks(1))
    np.testing.assert_array_equal(masks(1), masks(1))  # reproducible from the seed
    np.testing.assert_array_equal(masks(None), masks(None))
    assert not np.array_equal(masks(None), masks(0))


INTEGERS = (np.arange(600).reshape(50, 4, 3) % 7 - 3).astype(np.int64)


@pytest.mark.parametrize("name", list(NOISE_LAYERS))
def test_integer_inputs_get_the_noise_of_their_float32_values(name):
    """Noise drawn in an integer input's dtype was rounded to whole numbers: GaussianNoise
    (stddev 0.2) returned its integer input unchanged, GaussianDropout multiplied it by
    whole numbers, and Dropout and AlphaDropout answered in float64. In training they are
    now the float32 answers (Keras' dtype), the same draws as for the float32 values."""
    ours = NOISE_LAYERS[name](seed=5)(INTEGERS, training=True).numpy()
    expected = NOISE_LAYERS[name](seed=5)(INTEGERS.astype(np.float32), training=True).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, expected)
    assert not np.array_equal(ours, INTEGERS)


@pytest.mark.parametrize("name", list(NOISE_LAYERS))
def test_integer_inputs_are_unchanged_at_inference(name):
    ours = raw_data(NOISE_LAYERS[name]()(INTEGERS, training=False))
    assert ours.dtype == INTEGERS.dtype
    np.testing.assert_array_equal(ours, INTEGERS)


@pytest.mark.parametrize("name", ["GaussianNoise", "GaussianDropout", "AlphaDropout"])
def test_keras_noise_layers_give_floats_for_integer_inputs_in_training(name):
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    layer = getattr(keras.layers, name)(0.2, seed=1)
    assert str(layer(INTEGERS, training=True).dtype) == "float32"
    assert str(layer(INTEGERS, training=False).dtype).startswith("int")

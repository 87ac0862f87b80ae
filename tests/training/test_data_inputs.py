"""What ``fit``/``evaluate``/``predict`` accept, as Keras 3 does: PyDataset-like objects,
generators with ``steps_per_epoch``/``validation_steps``, ``validation_data`` as batches,
``class_weight``, PyTorch DataLoaders; and the bad inputs named before any work (empty
arrays, NaN/Inf, string labels, a feature-count mismatch). Plus the Keras names
``utils.to_categorical``, ``utils.one_hot``, ``schedules.PiecewiseConstantDecay`` and
positional learning rates."""

import math
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses, optimizers, utils


def regression(n=32, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    return x, (x @ np.arange(1, features + 1, dtype=np.float32)).reshape(-1, 1)


def linear(optimizer="sgd"):
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


class Batches(utils.PyDataset):
    def __init__(self, x, y, batch_size, weights=None):
        super().__init__()
        self.x, self.y, self.batch_size, self.weights = x, y, batch_size, weights
        self.epochs_ended = 0
        self.read: list[int] = []

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        self.read.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.weights is None:
            return self.x[part], self.y[part]
        return self.x[part], self.y[part], self.weights[part]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_in_fit_evaluate_predict():
    x, y = regression()
    data = Batches(x, y, 8)
    model = linear()
    history = model.fit(data, epochs=3, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 3
    assert data.read[:4] == [0, 1, 2, 3] and data.epochs_ended == 3
    arrays = model.evaluate(x, y, verbose=0, batch_size=8)
    assert model.evaluate(data, verbose=0) == pytest.approx(arrays)


def test_pydataset_in_predict():
    x, y = regression()
    model = linear()
    model.fit(x, y, verbose=0)
    np.testing.assert_allclose(model.predict(Batches(x, y, 8)), model.predict(x), rtol=1e-6)


def test_pydataset_batches_are_shuffled_each_epoch_with_shuffle():
    x, y = regression(64)
    data = Batches(x, y, 8)
    dg.random.seed(0)
    linear().fit(data, epochs=2, verbose=0)
    assert sorted(data.read[:8]) == list(range(8)) and data.read[:8] != list(range(8))


def test_pydataset_sample_weights_match_arrays():
    x, y = regression()
    weights = np.linspace(0.1, 2, len(x)).astype(np.float32)
    model = linear()
    by_batches = model.evaluate(Batches(x, y, 8, weights), verbose=0)
    assert by_batches == pytest.approx(model.evaluate(x, y, sample_weight=weights, verbose=0))


def generator(x, y, batch_size):
    """An endless generator, as Keras users write them."""
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]


def test_generator_with_steps_per_epoch_and_validation_steps():
    x, y = regression()
    seen = []
    counter = dg.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    model = linear()
    history = model.fit(
        generator(x, y, 8),
        steps_per_epoch=3,
        epochs=2,
        validation_data=generator(x, y, 16),
        validation_steps=2,
        callbacks=[counter],
        verbose=0,
    )
    assert seen == [0, 1, 2, 0, 1, 2]
    assert len(history.history["val_loss"]) == 2


def test_steps_per_epoch_with_arrays_continues_and_restarts():
    x, y = regression(40)
    seen = []
    counter = dg.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    linear().fit(x, y, batch_size=10, steps_per_epoch=3, epochs=3, callbacks=[counter], verbose=0)
    assert seen == [0, 1, 2] * 3


def test_a_used_up_generator_says_so():
    x, y = regression(16)
    once = ((x[i : i + 8], y[i : i + 8]) for i in range(0, 16, 8))
    with pytest.warns(UserWarning, match="ran out"):
        with pytest.raises(ValueError, match="gave no batches in epoch 2"):
            linear().fit(once, steps_per_epoch=3, epochs=2, verbose=0)


def test_validation_data_as_a_generator_of_batches():
    """Today's failure: ArrayData.__init__() got multiple values for argument 'what'."""
    x, y = regression()
    batches = ((x[i : i + 8], y[i : i + 8]) for i in range(0, 32, 8))
    history = linear().fit(x, y, epochs=1, validation_data=batches, verbose=0)
    assert "val_loss" in history.history


def test_validation_data_as_a_pydataset_matches_arrays():
    x, y = regression()
    dg.random.seed(1)
    first = linear().fit(x, y, epochs=2, validation_data=Batches(x, y, 8), verbose=0)
    dg.random.seed(1)
    second = linear().fit(x, y, epochs=2, validation_data=(x, y), verbose=0)
    np.testing.assert_allclose(first.history["val_loss"], second.history["val_loss"], rtol=1e-6)


def test_validation_data_as_a_list_is_unpacked_as_keras_does():
    x, y = regression()
    weights = np.linspace(0.5, 2.0, 32)
    for given in ([x, y], [x, y, weights]):
        dg.random.seed(1)
        as_list = linear().fit(x, y, epochs=2, validation_data=given, verbose=0)
        dg.random.seed(1)
        as_tuple = linear().fit(x, y, epochs=2, validation_data=tuple(given), verbose=0)
        assert as_list.history == as_tuple.history


def test_class_weight_equals_the_sample_weights_it_stands_for():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 24)
    class_weight = {0: 1.0, 1: 5.0, 2: 0.5}

    def train(**kwargs):
        dg.random.seed(3)
        model = dg.Sequential([layers.Dense(3)])
        model.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
        return model.fit(x, labels, epochs=2, batch_size=8, verbose=0, **kwargs)

    weighted = train(class_weight=class_weight)
    by_hand = train(sample_weight=np.array([class_weight[int(k)] for k in labels]))
    unweighted = train()
    np.testing.assert_allclose(weighted.history["loss"], by_hand.history["loss"], rtol=1e-6)
    assert not np.allclose(weighted.history["loss"], unweighted.history["loss"])


def test_class_weight_with_one_hot_labels():
    from deepgrad.training.data import class_weights_of

    one_hot = utils.to_categorical([2, 0, 1])
    np.testing.assert_array_equal(class_weights_of(one_hot, {2: 3.0}), [3.0, 1.0, 1.0])


def test_torch_dataloader_converts_at_the_boundary():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    x, y = regression()
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    model = linear()
    history = model.fit(DataLoader(dataset, batch_size=8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.evaluate(DataLoader(dataset, batch_size=8), verbose=0) == pytest.approx(
        model.evaluate(x, y, batch_size=8, verbose=0)
    )
    with pytest.raises(TypeError, match=r"wrap it in a torch\.utils\.data\.DataLoader"):
        model.fit(dataset, epochs=1, verbose=0)


def test_empty_arrays_get_a_clear_message():
    model = linear()
    with pytest.raises(ValueError, match=r"fit: x has no samples \(shape \(0, 4\)\)"):
        model.fit(np.zeros((0, 4), np.float32), np.zeros((0, 1)), verbose=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_training_inputs_are_named_by_row_and_column(bad):
    x, y = regression()
    x[5, 2] = bad
    kind = "NaN" if np.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=f"fit: x holds {kind} at row 5, column 2"):
        linear().fit(x, y, verbose=0)
    x, y = regression()
    y[7, 0] = bad
    with pytest.raises(ValueError, match=f"fit: y holds {kind} at row 7, column 0"):
        linear().fit(x, y, verbose=0)


def test_string_labels_for_a_sparse_cross_entropy():
    x, _ = regression(4)
    model = dg.Sequential([layers.Dense(2)])
    model.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match=r"fit: y holds strings .*np\.unique"):
        model.fit(x, np.array(["cat", "dog", "cat", "dog"]), verbose=0)


@pytest.mark.parametrize("what", ["fit", "evaluate", "predict"])
def test_string_inputs_are_refused_by_name(what):
    # fit failed inside NumPy with "_UFuncNoLoopError.__init__() missing 1 required
    # positional argument", naming neither x nor the model.
    model = dg.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([["a", "b", "c"]] * 4)
    call = {
        "fit": lambda: model.fit(x, np.zeros((4, 2)), verbose=0),
        "evaluate": lambda: model.evaluate(x, np.zeros((4, 2)), verbose=0),
        "predict": lambda: model.predict(x, verbose=0),
    }[what]
    with pytest.raises(ValueError, match=rf"{what}: x holds strings \(e.g. 'a'\)"):
        call()


@pytest.mark.parametrize("inputs", ["list", "dict"])
def test_several_arrays_for_a_one_input_model_are_refused_by_name(inputs):
    # Dense read .dtype of the list: "AttributeError: 'list' object has no attribute
    # 'dtype'" (built), or NumPy's "'tuple' object cannot be interpreted as an integer".
    x = np.ones((5, 3), np.float32)
    given = [x, x] if inputs == "list" else {"a": x, "b": x}
    for model in (
        dg.Sequential([layers.Input((3,)), layers.Dense(2)]),
        dg.Sequential([layers.Dense(2)]),
    ):
        with pytest.raises(ValueError, match=rf"expected one input array, got a {inputs} of 2"):
            model.predict(given, verbose=0)
    merged = dg.Sequential([layers.Concatenate(), layers.Dense(2)])
    assert merged.predict([x, x], verbose=0).shape == (5, 2)


def test_feature_count_mismatch_names_the_model_and_layer():
    x, y = regression(features=4)
    model = linear()
    model.fit(x, y, verbose=0)
    wrong = np.zeros((32, 64), np.float32)
    message = "the model expects 4 features and got 64 .*first layer 'dense"
    with pytest.raises(ValueError, match=message):
        model.evaluate(wrong, y, verbose=0)
    with pytest.raises(ValueError, match=message):
        model.fit(wrong, y, verbose=0)
    # predict: the model's own check (Dense names itself and both counts) or this one
    with pytest.raises(ValueError, match="64 features but the layer was built for 4|" + message):
        model.predict(wrong)


def test_to_categorical_and_one_hot_match_keras():
    labels = np.array([0, 2, 1, 2])
    expected = np.eye(3)[labels]
    np.testing.assert_array_equal(utils.to_categorical(labels), expected)
    np.testing.assert_array_equal(utils.to_categorical(labels.reshape(-1, 1), 4), np.eye(4)[labels])
    np.testing.assert_array_equal(utils.one_hot(labels, 3), expected.astype(np.float32))
    assert utils.one_hot(labels, 3, axis=0).shape == (3, 4)
    with pytest.raises(TypeError, match="to_categorical: expected integer class labels"):
        utils.to_categorical(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="does not fit num_classes=2"):
        utils.to_categorical(labels, 2)
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    np.testing.assert_array_equal(utils.to_categorical(labels), keras.utils.to_categorical(labels))
    np.testing.assert_array_equal(
        utils.one_hot(labels, 3), np.asarray(keras.ops.one_hot(labels, 3))
    )


def test_piecewise_constant_decay_matches_keras():
    schedule = optimizers.schedules.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    ours = [schedule(step) for step in range(9)]
    assert ours == [1.0] * 4 + [0.5] * 3 + [0.1] * 2
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    theirs = keras.optimizers.schedules.PiecewiseConstantDecay([3, 6], [1.0, 0.5, 0.1])
    assert ours == pytest.approx([float(theirs(step)) for step in range(9)])
    model = linear(optimizers.SGD(schedule))
    x, y = regression()
    model.fit(x, y, verbose=0, epochs=1)  # usable, and saved with the model
    restored = optimizers.schedules.get(optimizers.schedules.serialize(schedule))
    assert [restored(step) for step in range(9)] == ours


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "Adagrad", "Nadam"])
def test_positional_learning_rate_as_keras_writes_it(name):
    optimizer = getattr(optimizers, name)(0.003)
    assert optimizer.learning_rate == 0.003 and optimizer.params == []


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_negative_or_nan_learning_rate_raises(bad):
    with pytest.raises(ValueError, match="Adam: learning_rate must be a finite number >= 0"):
        optimizers.Adam(learning_rate=bad)
    with pytest.raises(ValueError, match="SGD: learning_rate must be a finite number >= 0"):
        optimizers.SGD(bad)


def test_a_function_as_first_argument_is_still_refused():
    with pytest.raises(TypeError, match="pass a function by name"):
        optimizers.SGD(lambda step: 0.1)


def test_torch_tensors_inside_several_inputs_are_converted():
    torch = pytest.importorskip("torch")
    from deepgrad.training.data import as_batch

    x, y, weights = as_batch(({"a": torch.ones(2, 3), "b": [torch.zeros(2)]}, torch.ones(2)))
    assert isinstance(x["a"], np.ndarray) and isinstance(x["b"][0], np.ndarray)
    assert isinstance(y, np.ndarray) and weights is None


def test_noise_variance_is_estimated_on_all_the_data_with_steps_per_epoch():
    x, y = regression(40)
    model = linear()
    model.fit(x, y, batch_size=8, steps_per_epoch=2, epochs=2, verbose=0)
    assert model.noise_variance_ == pytest.approx(model.noise_variance(x, y), rel=1e-6)


def test_huge_finite_inputs_are_not_mistaken_for_inf():
    from deepgrad.training.checks import check_finite

    check_finite(np.full((4, 3), 3e38, np.float32), "x", "fit")  # the sum overflows: fine
    with pytest.raises(ValueError, match="x holds -inf at row 3, column 1"):
        check_finite(np.array([[1e308, 1e308]] * 3 + [[1.0, -np.inf]]), "x", "fit")

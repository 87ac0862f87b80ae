"""keras.utils.timeseries_dataset_from_array: Keras 3.15's windows, targets and batches
(its rules in keras/src/utils/timeseries_dataset_utils.py, recomputed here index by index,
and its docstring's examples), a seeded shuffle in Keras' order, its errors, and fit."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import utils


def _keras_windows(length, n_targets, sequence_length, stride, rate, start, end):
    """(first indices, window indices) by Keras' documented rules, one window at a time."""
    end = length if end is None else end
    start = start or 0
    firsts, windows = [], []
    first = start
    while first + (sequence_length - 1) * rate < end:
        if n_targets is not None and first - start >= n_targets:
            break
        firsts.append(first)
        windows.append([first + j * rate for j in range(sequence_length)])
        first += stride
    return firsts, windows


def _all_batches(dataset):
    return [dataset[i] for i in range(len(dataset))]


@pytest.mark.parametrize(
    ("length", "sequence_length", "stride", "rate", "batch_size", "start", "end", "n_targets"),
    [
        (99, 10, 3, 2, 8, None, None, 99),
        (20, 4, 1, 1, 5, None, None, 20),
        (20, 4, 1, 1, 128, None, None, None),
        (30, 5, 2, 3, 4, 3, 25, 30),
        (30, 5, 2, 3, 4, None, None, 6),  # fewer targets than windows
        (17, 1, 16, 1, 3, None, None, 17),
        (25, 3, 4, 2, 2, 0, 24, None),
    ],
)
def test_windows_targets_and_batches_follow_keras_rules(
    length, sequence_length, stride, rate, batch_size, start, end, n_targets
):
    data = np.arange(length * 2, dtype=np.float32).reshape(length, 2)
    targets = None if n_targets is None else np.arange(n_targets) * 10
    dataset = utils.timeseries_dataset_from_array(
        data, targets, sequence_length, stride, rate, batch_size, start_index=start, end_index=end
    )
    assert isinstance(dataset, utils.PyDataset)
    firsts, windows = _keras_windows(length, n_targets, sequence_length, stride, rate, start, end)
    batches = _all_batches(dataset)
    sizes = [len(b[0] if targets is not None else b) for b in batches]
    assert sizes == [batch_size] * (len(firsts) // batch_size) + (
        [len(firsts) % batch_size] if len(firsts) % batch_size else []
    )
    if targets is None:
        x = np.concatenate(batches)
    else:
        x = np.concatenate([b[0] for b in batches])
        y = np.concatenate([b[1] for b in batches])
        np.testing.assert_array_equal(y, targets[np.array(firsts)])  # targets[start + p]
        assert y.dtype == targets.dtype
    np.testing.assert_array_equal(x, data[np.array(windows)])
    assert x.dtype == np.float32 and x.shape == (len(firsts), sequence_length, 2)
    with pytest.raises(IndexError, match="timeseries_dataset_from_array: batch"):
        dataset[len(dataset)]


def test_keras_docstring_example_1_windows():
    dataset = utils.timeseries_dataset_from_array(
        np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3
    )
    x = np.concatenate(_all_batches(dataset))
    assert x[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert x[1].tolist() == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert x[2].tolist() == [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert x[-1].tolist() == [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]
    assert len(x) == 27


def test_keras_docstring_example_2_temporal_regression():
    data = np.random.default_rng(0).normal(size=50)
    inputs, targets = utils.timeseries_dataset_from_array(data[:-10], data[10:], 10)[0]
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    np.testing.assert_array_equal(inputs[-1], data[30:40])
    assert targets[-1] == data[40] and len(inputs) == 31


def test_keras_docstring_example_3_many_to_many():
    x, y = np.arange(100), np.arange(100) * 2
    inputs = utils.timeseries_dataset_from_array(x, None, 20, sequence_stride=20)[0]
    outputs = utils.timeseries_dataset_from_array(y, None, 20, sequence_stride=20)[0]
    np.testing.assert_array_equal(inputs[0], x[:20])
    np.testing.assert_array_equal(outputs[1], y[20:40])
    assert inputs.shape == (5, 20)


def test_shuffle_with_a_seed_is_keras_permutation_of_the_windows():
    data, targets = np.arange(40), np.arange(40) * 10
    dataset = utils.timeseries_dataset_from_array(
        data, targets, 5, sequence_stride=2, batch_size=4, shuffle=True, seed=7
    )
    x = np.concatenate([b[0] for b in _all_batches(dataset)])
    y = np.concatenate([b[1] for b in _all_batches(dataset)])
    # Keras: start positions np.arange(0, 36, 2, dtype="int32"), shuffled by RandomState(7)
    firsts = np.arange(0, 36, 2, dtype="int32")
    np.random.RandomState(7).shuffle(firsts)
    assert firsts.tolist() != sorted(firsts.tolist())
    np.testing.assert_array_equal(x[:, 0], firsts)
    np.testing.assert_array_equal(x, firsts[:, None] + np.arange(5))
    np.testing.assert_array_equal(y, firsts * 10)


def test_shuffle_without_a_seed_draws_it_from_numpys_global_generator():
    def first_windows():
        np.random.seed(3)
        batch = utils.timeseries_dataset_from_array(np.arange(30), None, 3, shuffle=True)[0]
        return batch[:, 0]

    firsts = np.arange(28, dtype="int32")
    np.random.seed(3)
    np.random.RandomState(np.random.randint(1_000_000)).shuffle(firsts)  # Keras: randint(1e6)
    np.testing.assert_array_equal(first_windows(), firsts)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start_index": -1}, ValueError, "`start_index` must be 0 or greater"),
        ({"start_index": 20}, ValueError, "`start_index` must be lower than the length"),
        ({"start_index": 5, "end_index": 5}, ValueError, "`end_index` must be higher than `start"),
        ({"end_index": 20}, ValueError, "`end_index` must be lower than the length"),
        ({"end_index": 0}, ValueError, "`end_index` must be higher than 0"),
        ({"end_index": 2.5}, TypeError, "`end_index` must be an integer or None"),
        ({"sampling_rate": 0}, ValueError, "`sampling_rate` must be higher than 0"),
        ({"sampling_rate": 20}, ValueError, "`sampling_rate` must be lower than the length"),
        ({"sequence_stride": 0}, ValueError, "`sequence_stride` must be higher than 0"),
        ({"sequence_stride": 20}, ValueError, "`sequence_stride` must be lower than the length"),
        ({"sequence_length": 0}, ValueError, "`sequence_length` must be higher than 0"),
        ({"sequence_length": 2.0}, TypeError, "`sequence_length` must be an integer"),
        ({"sequence_length": 21}, ValueError, r"no window of sequence_length=21 .* data\[0:20\]"),
        ({"batch_size": None}, ValueError, "batch_size=None .* not supported"),
        ({"batch_size": 0}, ValueError, "`batch_size` must be higher than 0"),
        ({"start_index": 3, "targets": np.arange(5)}, ValueError, "starting at 7 has no target"),
    ],
)
def test_errors_name_the_function_and_argument(kwargs, error, message):
    arguments = {"data": np.arange(20), "targets": None, "sequence_length": 3, **kwargs}
    with pytest.raises(error, match="timeseries_dataset_from_array: .*" + message):
        utils.timeseries_dataset_from_array(**arguments)


def test_fit_trains_on_the_windows():
    dg.utils.set_random_seed(0)
    series = np.sin(np.arange(300) * 0.1).astype(np.float32)[:, None]
    dataset = utils.timeseries_dataset_from_array(series[:-8], series[8:], 8, batch_size=32)
    model = dg.Sequential([dg.Input((8, 1)), dg.layers.Flatten(), dg.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    losses = model.fit(dataset, epochs=15, verbose=0).history["loss"]
    assert len(losses) == 15 and losses[-1] < 0.3 * losses[0]
    assert model.predict(dataset, verbose=0).shape == (len(series) - 15, 1)

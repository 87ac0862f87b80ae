"""``fit(shuffle="batch")``, against Keras 3 (on JAX): Keras shuffles arrays "in
batch-sized chunks", each batch holding the samples it holds unshuffled, in a new order,
so the updates are those of ``shuffle=False``. deepgrad took the string as ``True`` and
shuffled across batches: another trajectory."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.training.data import ArrayData
from tests.training.test_callbacks_match_keras import data, keras_or_skip, one_unit_net


def losses(module, shuffle):
    """Three epochs of the one-unit net on 8 samples in batches of 3 (the last one short)."""
    x, y = data()
    model = one_unit_net(module)
    history = model.fit(x, y, epochs=3, batch_size=3, shuffle=shuffle, verbose=0)
    return history.history["loss"]


def test_batch_shuffling_trains_as_keras():
    dg.random.seed(0)
    ours = losses(dg, "batch")
    # Keras 3.15, with shuffle="batch" as with shuffle=False
    keras_numbers = [3.9327521324157715, 0.22994160652160645, 0.06504083424806595]
    assert ours == pytest.approx(keras_numbers, rel=1e-6)
    assert ours == pytest.approx(losses(dg, False), rel=1e-6)
    keras = keras_or_skip()
    assert losses(keras, "batch") == pytest.approx(keras_numbers, rel=1e-6)


def test_each_batch_keeps_its_samples_in_a_new_order():
    dg.random.seed(0)
    rows = np.arange(10, dtype=np.float32).reshape(10, 1)
    orders = [
        [batch[:, 0].tolist() for batch, _, _ in ArrayData(rows).batches(4, "batch")]
        for _ in range(5)
    ]
    for batches in orders:
        assert [sorted(batch) for batch in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len({str(batches) for batches in orders}) > 1  # the order is drawn each pass

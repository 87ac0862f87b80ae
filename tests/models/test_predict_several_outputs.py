"""``predict`` of a model with several outputs had a loop of its own that ignored
``steps`` and ``callbacks`` (``predict(x, batch_size=4, steps=2)`` gave all 10 rows where
Keras 3 gives 8, and no ``on_predict_*`` hook ran) and refused generators and
``PyDataset``s, which Keras 3 takes. It now runs ``predict``'s one loop, joining each
output's batches."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
XA = RNG.normal(size=(10, 3)).astype(np.float32)
XB = RNG.normal(size=(10, 2)).astype(np.float32)


def two_by_two():
    a, b = dg.Input((3,), name="a"), dg.Input((2,), name="b")
    hidden = layers.Concatenate()([a, b])
    outputs = {
        "o1": layers.Dense(1, kernel_initializer="ones", name="o1")(hidden),
        "o2": layers.Dense(2, kernel_initializer="ones", name="o2")(hidden),
    }
    return dg.Model({"a": a, "b": b}, outputs)


def expected(rows=slice(None)):
    total = XA.sum(axis=1, keepdims=True) + XB.sum(axis=1, keepdims=True)
    return {"o1": total[rows], "o2": np.repeat(total, 2, axis=1)[rows]}


def assert_outputs(predicted, wanted):
    assert sorted(predicted) == sorted(wanted)
    for name, values in wanted.items():
        np.testing.assert_allclose(predicted[name], values, rtol=1e-5, atol=1e-6)


def test_steps_limit_the_rows_as_in_keras():
    predicted = two_by_two().predict({"a": XA, "b": XB}, batch_size=4, steps=2, verbose=0)
    assert predicted["o1"].shape == (8, 1) and predicted["o2"].shape == (8, 2)  # Keras 3.15
    assert_outputs(predicted, expected(slice(0, 8)))


def test_callbacks_get_the_predict_hooks():
    seen = []
    hook = dg.callbacks.LambdaCallback(
        on_predict_batch_end=lambda batch, logs: seen.append(sorted(logs["outputs"]))
    )
    two_by_two().predict({"a": XA, "b": XB}, batch_size=4, callbacks=[hook], verbose=0)
    assert seen == [["o1", "o2"]] * 3


class Batches(dg.utils.PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, index):
        part = slice(4 * index, 4 * index + 4)
        return ({"a": XA[part], "b": XB[part]},)


def generator():
    for start in range(0, 10, 4):
        yield ([XA[start : start + 4], XB[start : start + 4]],)


@pytest.mark.parametrize("source", [Batches, generator])
def test_predict_from_a_pydataset_or_a_generator(source):
    assert_outputs(two_by_two().predict(source(), verbose=0), expected())

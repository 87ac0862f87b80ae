"""``steps`` of ``predict`` and ``evaluate``, and ``validation_steps``, started the arrays
over when they ran out: ``predict`` of 50 rows returned 132, ``evaluate`` counted samples
twice, and each epoch validated on another slice. Keras 3 reads the first batches of each
pass and stops at the end of the data."""

import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 3)).astype(np.float32)
Y = RNG.normal(size=(50, 1)).astype(np.float32)


@pytest.fixture
def model():
    dg.random.seed(0)
    net = dg.Sequential([layers.Dense(1)])
    net.compile(optimizer=dg.optimizers.SGD(0.05), loss="mse")
    net.fit(X, Y, epochs=1, verbose=0)
    return net


def test_predict_stops_at_the_end_of_the_data(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert model.predict(X, batch_size=16, steps=10).shape == (50, 1)
    assert model.predict(X, batch_size=16, steps=2).shape == (32, 1)


def test_evaluate_counts_each_sample_once(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        many = model.evaluate(X, Y, batch_size=16, steps=10, verbose=0)
    assert many == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-6)
    assert model.evaluate(X, Y, batch_size=16, steps=1, verbose=0) == pytest.approx(
        model.evaluate(X[:16], Y[:16], verbose=0), rel=1e-6
    )


def test_validation_steps_read_the_same_first_batches_every_epoch(model):
    seen = []
    record = dg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(
            (logs["val_loss"], model.evaluate(X[:16], Y[:16], verbose=0))
        )
    )
    model.fit(
        X,
        Y,
        epochs=2,
        batch_size=16,
        shuffle=False,
        verbose=0,
        callbacks=[record],
        validation_data=(X[:20], Y[:20]),
        validation_steps=1,
    )
    for logged, first_batch in seen:
        assert logged == pytest.approx(first_batch, rel=1e-6)

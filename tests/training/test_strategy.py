"""Distribute strategies: fit always calls one, at the points the Strategy protocol names;
the identity strategy changes nothing, and the MPI strategy has the protocol's shape."""

import inspect

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, distributed, layers, optimizers
from deepgrad.training.strategy import SingleProcess, Strategy, get_strategy


def _regression(n=40):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)


def _model(optimizer=None):
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


class Recording(SingleProcess):
    """The identity strategy, writing down each call fit makes."""

    def __init__(self):
        self.calls = []

    def start(self, initial_epoch):
        self.calls.append("start")
        return initial_epoch

    def ready(self, optimizer):
        self.calls.append("ready")
        return "replicate" in self.calls

    def replicate(self, model):
        self.calls.append("replicate")

    def shard(self, x, y, sample_weight):
        self.calls.append("shard")
        return x, y, sample_weight

    def agree(self, flag):
        self.calls.append("agree")
        return flag

    def reduce_metrics(self, metrics):
        self.calls.append("reduce_metrics")

    def end_epoch(self, model):
        self.calls.append("end_epoch")


def test_both_strategies_have_the_protocols_methods():
    names = [n for n in vars(Strategy) if not n.startswith("_") and callable(vars(Strategy)[n])]
    assert set(names) == {"start", "ready", "replicate", "shard", "own_draws", "agree"} | {
        "reduce_metrics",
        "agree_logs",
        "end_epoch",
    }
    for cls in (SingleProcess, distributed.DataParallelStrategy):
        for name in names:
            ours = inspect.signature(getattr(cls, name)).parameters
            assert list(ours) == list(inspect.signature(getattr(Strategy, name)).parameters)
    assert isinstance(SingleProcess(), Strategy)
    assert isinstance(distributed.DataParallelStrategy(), Strategy)  # one process here


def test_get_strategy():
    assert type(get_strategy(False)) is SingleProcess
    assert type(get_strategy(True)) is distributed.DataParallelStrategy
    recording = Recording()
    assert get_strategy(recording) is recording


def test_fit_calls_the_strategy_at_each_point_of_its_loop():
    x, y = _regression(40)
    recording = Recording()
    history = _model().fit(
        x, y, batch_size=10, epochs=2, verbose=0, validation_split=0.5, distributed=recording
    )
    # 20 training samples: two batches; 20 validation samples: two batches.
    batch = ["ready", "shard", "agree"]
    validation = ["shard", "shard", "reduce_metrics"]
    epoch = [*batch, *batch, "reduce_metrics", "end_epoch", *validation, "agree"]
    first_epoch = ["ready", "replicate", *epoch[1:]]
    assert recording.calls == ["start", *first_epoch, *epoch]
    # The identity strategy changes nothing: the same numbers as fit on one process.
    reference = _model().fit(x, y, batch_size=10, epochs=2, verbose=0, validation_split=0.5)
    assert history.history == reference.history


def test_a_process_without_samples_still_takes_part_in_the_update():
    """When a global batch has fewer samples than there are processes, some get none: they
    step with a zero gradient (and a closure, for L-BFGS)."""

    class NoSamples(SingleProcess):
        def shard(self, x, y, sample_weight):
            return None

    x, y = _regression(8)
    for optimizer in (optimizers.SGD(learning_rate=0.1), optimizers.LBFGS()):
        model = _model(optimizer)
        model(x[:1])
        before = [w.copy() for w in model.get_weights()]
        model.fit(x, y, batch_size=None, epochs=2, verbose=0, distributed=NoSamples())
        for a, b in zip(model.get_weights(), before, strict=True):
            np.testing.assert_array_equal(a, b)
        assert optimizer.iterations == 2 or optimizer.memory["func_evals"] >= 2


def test_stop_training_is_agreed_after_each_batch_and_each_epoch():
    class StopEverywhere(SingleProcess):
        def agree(self, flag):  # as if another process had asked to stop
            return True

    x, y = _regression(40)
    seen = []
    spy = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    history = _model().fit(
        x, y, batch_size=10, epochs=5, verbose=0, callbacks=[spy], distributed=StopEverywhere()
    )
    assert seen == [0] and len(history.history["loss"]) == 1


def test_noise_variance_is_set_before_the_users_on_train_end():
    x, y = _regression(40)
    model = _model()
    seen = []
    read = callbacks.LambdaCallback(on_train_end=lambda logs: seen.append(model.noise_variance_))
    model.fit(x, y, epochs=2, verbose=0, callbacks=[read])
    assert seen == [model.noise_variance_] == [pytest.approx(model.noise_variance(x, y))]

"""With nothing to run between batches (one process, the default train_step, no callback
with a batch hook), fit sends each batch straight to the step; the training is the same,
bit for bit, as through the hooks."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses
from deepgrad.training import progress, trainer
from deepgrad.training.callbacks import LambdaCallback


def _fit(jit, callbacks, optimizer="adam", verbose=0):
    dg.random.seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 4)).astype(np.float32)
    y = rng.integers(0, 3, 100)
    model = dg.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])
    model.compile(
        optimizer,
        losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit=jit,
    )
    model.build_for((None, 4))
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=verbose, callbacks=callbacks)
    return history.history, [w.tobytes() for w in model.get_weights()]


@pytest.fixture
def counted_hooked_batches(monkeypatch):
    """The list that gets one item each time a batch goes through the hooks' path."""
    calls = []
    original = trainer.Trainer._train_batch

    def counted(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(trainer.Trainer, "_train_batch", counted)
    return calls


@pytest.mark.parametrize("jit", [False, True])
def test_straight_to_the_step_trains_as_through_the_hooks(jit, counted_hooked_batches):
    calls = counted_hooked_batches
    direct = _fit(jit, [])
    assert calls == []  # every batch went straight to the step
    hooked = _fit(jit, [LambdaCallback(on_train_batch_end=lambda batch, logs: None)])
    assert len(calls) == 3 * 7  # a batch hook with code: each batch through _train_batch
    assert direct == hooked


def test_a_batch_hook_still_sees_every_batch_and_can_stop_training():
    seen = []

    def stop_at_two(batch, logs):
        seen.append(batch)
        if batch == 2:
            stop.model.stop_training = True

    stop = LambdaCallback(on_train_batch_end=stop_at_two)
    history, _ = _fit(True, [stop])
    assert seen == [0, 1, 2] and len(history["loss"]) == 1


@pytest.mark.parametrize("hooked", [False, True])
def test_stop_training_set_inside_the_step_stops_after_that_batch(hooked):
    """A layer (or loss) may set ``model.stop_training`` while a batch runs; the direct path
    stops after that batch, as the hooked one does."""
    calls = []

    class Stopper(dg.layers.Layer):
        def call(self, inputs, training=False):
            if training:
                calls.append(1)
                if len(calls) == 3:
                    model.stop_training = True
            return inputs

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 3)).astype(np.float32), rng.integers(0, 2, 64)
    model = dg.Sequential([Stopper(), layers.Dense(2)])
    model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True))
    hook = [LambdaCallback(on_train_batch_end=lambda batch, logs: None)] if hooked else []
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=hook)
    assert len(calls) == 3 and len(history.history["loss"]) == 1


@pytest.mark.parametrize("verbose", [1, 2])
def test_the_progress_display_keeps_batches_straight_to_the_step(
    verbose, counted_hooked_batches, capsys
):
    if verbose == 1:
        pytest.importorskip("tqdm")
    shown = _fit(True, [], verbose=verbose)
    assert counted_hooked_batches == []
    assert shown == _fit(True, [], verbose=0)  # the same training, bit for bit
    text = "".join(capsys.readouterr())
    assert "Epoch 3/3" in text and "accuracy: " in text
    if verbose == 1:
        assert "7/7" in text  # the bar counted every batch of the epoch


@pytest.mark.parametrize("hooked", [False, True])
def test_the_bar_reads_the_running_metrics_only_when_it_shows_them(hooked, monkeypatch):
    pytest.importorskip("tqdm")
    reads = []
    original = trainer.Trainer._logs

    def counted(self):
        reads.append(1)
        return original(self)

    monkeypatch.setattr(trainer.Trainer, "_logs", counted)
    monkeypatch.setattr(progress, "POSTFIX_SECONDS", 3600.0)  # once an epoch, at its start
    hook = [LambdaCallback(on_train_batch_end=lambda batch, logs: None)] if hooked else []
    _fit(True, hook, verbose=1)
    through_the_hooks = 3 * 7 if hooked else 0  # each hooked step returns its logs
    by_the_bar = 0 if hooked else 3  # it shows the hooks' logs, or reads them itself
    at_epoch_ends = 3
    assert len(reads) == through_the_hooks + by_the_bar + at_epoch_ends

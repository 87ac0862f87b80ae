"""CallbackList calls only the hooks that run code; every way of giving a hook code still
fires (a subclass, the older Keras name, a LambdaCallback's function)."""

from deepgrad.training.callbacks import LambdaCallback
from deepgrad.training.hooks import Callback, CallbackList


def test_hooks_with_code_fire_and_base_no_ops_are_skipped():
    seen = []

    class Subclass(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(("subclass", batch))

    class OlderName(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("older", batch))

    lam = LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(("lambda", batch)))
    plain = Callback()
    callbacks = CallbackList([plain, Subclass(), OlderName(), lam], model=None, params={})
    for step in range(2):
        callbacks.on_train_batch_begin(step)
        callbacks.on_train_batch_end(step, {"loss": 1.0})
    callbacks.on_epoch_end(0, {})
    assert seen == [(who, step) for step in (0, 1) for who in ("older", "lambda", "subclass")]
    assert callbacks._callbacks_running("on_train_batch_end") == [callbacks.callbacks[1]]
    assert callbacks._callbacks_running("on_epoch_end") == []

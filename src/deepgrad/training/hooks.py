"""``Callback`` and ``CallbackList``: the hooks ``fit``, ``evaluate`` and ``predict`` call,
with Keras 3's names and arguments.

Every hook receives a dict of logs, ``{}`` when there is nothing to report, so a hook
declared as ``def on_epoch_end(self, epoch, logs)`` works as well as one with
``logs=None``. As in Keras, ``on_train_batch_begin``/``end`` call ``on_batch_begin``/``end``
unless overridden, so a callback written with the older names still fires.

>>> calls = []
>>> class Spy(Callback):
...     def on_batch_end(self, batch, logs):
...         calls.append((batch, logs))
>>> CallbackList([Spy()], model=None, params={}).on_train_batch_end(0)
>>> calls
[(0, {})]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Callback:
    """Base class: every hook is a no-op. ``self.model`` and ``self.params`` are set by the
    loop that runs it (``fit``, ``evaluate`` or ``predict``)."""

    # Callbacks that write files run on the main process only in distributed training.
    writes_files = False

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs)  # Keras' default: the older name fires too

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


# The hooks called with (logs) and with (index, logs).
GLOBAL_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)
INDEXED_HOOKS = (
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


def listed(callbacks: Any) -> list:
    """The callbacks as a list: a list or tuple of them, one callback alone, or none (None),
    as Keras 3 takes them.

    >>> listed(None), len(listed(Callback()))
    ([], 1)
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, Iterable):
        raise TypeError(
            f"callbacks: expected a Callback or a list of them, got {type(callbacks).__name__} "
            "(subclass deepgrad.callbacks.Callback, or use LambdaCallback)"
        )
    return list(callbacks)


class CallbackList:
    """Calls each hook on every callback, in order, always with a logs dict (positional,
    as Keras calls them). Every callback sees the same dict, so what one adds (a learning
    rate) the next ones, and ``History`` last, receive."""

    def __init__(
        self, callbacks: list[Callback] | Callback | None, model: Any, params: dict
    ) -> None:
        self.callbacks = listed(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks: expected Callback instances, got {type(callback).__name__} "
                    "(subclass deepgrad.callbacks.Callback, or use LambdaCallback)"
                )
            callback.set_model(model)
            callback.set_params(params)
        self._running: dict[str, list[Callback]] = {}  # hook → the callbacks it calls

    def _callbacks_running(self, hook: str) -> list[Callback]:
        """The callbacks whose ``hook`` does more than the base class's no-op, in order
        (skipping the no-ops saves a few µs per batch per callback)."""
        if hook not in self._running:
            self._running[hook] = [c for c in self.callbacks if _runs_code(c, hook)]
        return self._running[hook]

    def _call(self, hook: str, *index: int, logs: dict | None) -> None:
        logs = {} if logs is None else logs
        for callback in self._callbacks_running(hook):
            getattr(callback, hook)(*index, logs)

    def runs(self, hook: str) -> bool:
        """Whether any callback's ``hook`` does more than the base class's no-op."""
        return bool(self._callbacks_running(hook))

    def __getattr__(self, hook: str) -> Any:
        if hook in GLOBAL_HOOKS:
            call = self._global(hook)
        elif hook in INDEXED_HOOKS:
            call = self._indexed(hook)
        else:
            raise AttributeError(hook)
        setattr(self, hook, call)  # made once per list: the batch hooks run every step
        return call

    def _global(self, hook: str) -> Any:
        def call(logs: dict | None = None) -> None:
            self._call(hook, logs=logs)

        return call

    def _indexed(self, hook: str) -> Any:
        def call(index: int, logs: dict | None = None) -> None:
            self._call(hook, index, logs=logs)

        return call


# The batch hooks whose default calls the older name (Keras' on_batch_begin/end).
_OLDER_NAME = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _runs_code(callback: Callback, hook: str) -> bool:
    """Whether ``callback.hook`` does more than the base class's no-op: the hook (or the
    older name it calls) is overridden by the callback's class or set on the instance
    (``LambdaCallback``)."""
    names = (hook, _OLDER_NAME[hook]) if hook in _OLDER_NAME else (hook,)
    return any(
        name in vars(callback) or getattr(type(callback), name) is not getattr(Callback, name)
        for name in names
    )

"""``TensorBoard``: the logs of ``fit`` as TensorBoard event files, without TensorFlow.

The ``tensorboard`` package (``pip install tensorboard``) writes the event files itself
(its ``EventFileWriter`` and protocol buffers); TensorFlow is not needed. As Keras does, the
training logs go to ``log_dir/train`` and the validation logs (``val_`` removed) to
``log_dir/validation``, as scalars named ``epoch_loss``, ``epoch_accuracy``, ...; with an
int ``update_freq`` the running training logs are also written every that many batches as
``batch_loss``, ... Histograms, images and the graph are not written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from deepgrad.training.hooks import Callback


class TensorBoard(Callback):
    """Write the logs of ``fit`` for TensorBoard (``tensorboard --logdir logs``).

    >>> TensorBoard(log_dir="logs", update_freq=10).update_freq
    10
    """

    writes_files = True

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        """Keras' arguments; the graph (``write_graph``, on by default in Keras too) is
        not written, and asking for histograms, images, steps per second, a profile or
        embeddings raises rather than writing nothing."""
        super().__init__()
        wanted = {
            "histogram_freq": histogram_freq,
            "write_images": write_images,
            "write_steps_per_second": write_steps_per_second,
            "profile_batch": profile_batch,
            "embeddings_freq": embeddings_freq,
            "embeddings_metadata": embeddings_metadata,
        }
        unsupported = [f"{name}={value!r}" for name, value in wanted.items() if value]
        if unsupported:
            raise ValueError(
                f"TensorBoard: {', '.join(unsupported)} is not supported: deepgrad writes "
                "scalars only (the logs of fit)"
            )
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0
        ):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of "
                f"batches, got {update_freq!r}"
            )
        self.write_graph = write_graph
        self.log_dir = Path(log_dir)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.writers: dict[str, Any] = {}
        self.global_batch = 0

    def _writer(self, kind: str) -> Any:
        if kind not in self.writers:
            try:  # optional: TensorBoard's own package, without TensorFlow
                from tensorboard.summary.writer.event_file_writer import EventFileWriter
            except ImportError:
                raise ImportError(
                    "TensorBoard: the callback writes event files with the tensorboard "
                    "package; pip install tensorboard (TensorFlow is not needed)"
                ) from None
            self.writers[kind] = EventFileWriter(str(self.log_dir / kind))
        return self.writers[kind]

    def _write(self, kind: str, prefix: str, logs: dict, step: int) -> None:
        from tensorboard.compat.proto.event_pb2 import Event  # pyright: ignore[reportAttributeAccessIssue]
        from tensorboard.compat.proto.summary_pb2 import Summary  # pyright: ignore[reportAttributeAccessIssue]

        values = [
            Summary.Value(tag=f"{prefix}{name}", simple_value=float(value))
            for name, value in logs.items()
            if isinstance(value, int | float)
        ]
        event = Event(wall_time=time.time(), step=step, summary=Summary(value=values))
        self._writer(kind).add_event(event)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._writer("train")  # fail at once, not after the first epoch, without the package
        self.global_batch = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.global_batch += 1
        if self.update_freq != "epoch" and self.global_batch % int(self.update_freq) == 0:
            self._write("train", "batch_", logs or {}, self.global_batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        self._write("train", "epoch_", train, epoch)
        if validation:
            self._write("validation", "epoch_", validation, epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}

"""Run under mpiexec by test_data_parallel.py: ``python mpi_worker.py MODE OUT.json``.

fit-sgd, fit-adam, fit-adam-jit: fit(distributed=True) on every process (the last with
model.compile(jit=True)); rank 0 also trains one process on the same global batches.
loop: the same with a plain loop and DataParallel.
raise: rank 1 raises in the middle of training. hang: rank 1 never reaches a collective.
stop-one-rank: rank 1 alone sets stop_training after a batch. lbfgs-empty: full-batch
L-BFGS on 2 samples, so that a third process holds none. dropout: fit with Dropout,
recording every process's shuffles and masks.
logs: the logs callbacks get after each batch, and a custom train_step's History.
frozen: a frozen layer's weights after fit, against before.
losses-not-means: fit with losses that are not a mean over the samples must refuse.
"""

import json
import sys
import time

import numpy as np

import deepgrad as dg
from deepgrad import distributed, layers, losses, optimizers

# Set from the command line; pytest only imports this file (for doctests) and runs nothing.
MODE, OUT = (sys.argv[1], sys.argv[2]) if __name__ == "__main__" else ("", "")
N, EPOCHS, BATCH = 203, 3, 32  # 203 samples: the last batch (11) splits unevenly too


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 5)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] ** 2 > 0.5).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, labels


def model(optimizer):
    dg.random.seed(1)
    m = dg.Sequential([layers.Dense(16, activation="tanh"), layers.Dense(3)])
    m.compile(
        optimizer=optimizer,
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit=MODE.endswith("-jit"),
    )
    return m


def optimizer():
    if MODE.startswith("fit-adam"):
        return optimizers.Adam(learning_rate=0.01)
    return optimizers.SGD(learning_rate=0.1, momentum=0.9)


def train_fit(distributed_run):
    x, y = data()
    m = model(optimizer())
    dg.random.seed(2)  # the shuffles
    history = m.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        verbose=0,
        validation_split=0.2,
        distributed=distributed_run,
    )
    return m, history.history


def train_loop(distributed_run):
    x, y = data()
    x, y = x[:194], y[:194]  # the last batch holds 2 samples: one process gets none
    m = model("sgd")
    m(x[:1])
    opt = optimizers.SGD(m.trainable_weights, learning_rate=0.1, momentum=0.9)
    data_parallel = distributed.DataParallel(opt) if distributed_run else None
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)
    for start in range(0, len(x), BATCH):
        xb, yb = x[start : start + BATCH], y[start : start + BATCH]
        if data_parallel is not None:
            part = data_parallel.shard(len(xb))
            xb, yb = xb[part], yb[part]
        loss_fn(yb, m(xb, training=True)).backward()
        opt.step()
        opt.zero_grad()
    return m, {}


def stop_on_one_rank(rank):
    """Only rank 1 asks to stop, after its third batch: every process must stop there."""
    x, y = data()
    m = model(optimizer())

    def stop(batch, logs=None):
        if rank == 1 and batch == 2:
            m.stop_training = True

    history = m.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=5,
        verbose=0,
        distributed=True,
        callbacks=[dg.callbacks.LambdaCallback(on_train_batch_end=stop)],
    )
    return {
        "steps": distributed.allgather_object(m.optimizer.iterations),
        "epochs": distributed.allgather_object(len(history.history["loss"])),
    }


def lbfgs_on_two_samples(distributed_run):
    x, y = data()
    m = model(optimizers.LBFGS(max_iter=5))
    m.fit(x[:2], y[:2], batch_size=None, epochs=3, verbose=0, distributed=distributed_run)
    return m


def dropout_draws(seed=None):
    """Each process's masks (rows of the first batch's Dropout layer) and the order of the
    samples in each epoch's batches (from the generator after each epoch: the next shuffle)."""
    x, y = data()
    dg.random.seed(1)
    dropout = layers.Dropout(0.5, seed=seed)
    masks = []

    class Recorded(layers.Layer):
        def call(self, inputs, training=False):
            outputs = dropout(inputs, training=training)
            if training and not masks:
                masks.append((np.asarray(outputs.data) != 0).tolist())
            return outputs

    m = dg.Sequential([layers.Dense(8), Recorded(), layers.Dense(3)])
    m.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    states = []
    record = dg.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs=None: states.append(json.dumps(dg.random.get_state()))
    )
    m.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, distributed=True, callbacks=[record])
    return {
        "states": distributed.allgather_object(states),
        "masks": distributed.allgather_object(masks[0]),
    }


def refusals():
    """What fit(distributed=True) says for losses whose batch value is not a mean over the
    samples (None where it trained: the gradients would be weighted wrongly)."""
    x, y = data()
    refused = {}
    for name, loss in [
        ("sum", losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")),
        ("weighted", losses.MeanSquaredError(reduction="mean_with_sample_weight")),
        ("ignore_class", losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)),
        ("dice", {"a": losses.Dice(), "b": "mse"}),
    ]:
        dg.random.seed(1)
        inputs = dg.Input((5,))
        outputs = {"a": layers.Dense(3, name="a")(inputs), "b": layers.Dense(3, name="b")(inputs)}
        m = dg.Model(inputs, outputs if isinstance(loss, dict) else outputs["a"])
        m.compile(optimizer="sgd", loss=loss)
        target = np.eye(3)[y] if name in ("weighted", "dice") else y
        target = {"a": target, "b": target} if isinstance(loss, dict) else target
        try:
            m.fit(x, target, batch_size=BATCH, epochs=1, verbose=0, distributed=True)
            refused[name] = None
        except ValueError as error:
            refused[name] = str(error)
    return refused


class CustomStep(dg.Sequential):
    """Keras' custom train_step (docs/training.md), returning its metrics' results, and a
    log of its own (the number of samples here) when EXTRA is set."""

    extra = False

    def train_step(self, data):
        x, y = data[:2]
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        self.optimizer.apply([w.grad for w in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, y_pred)
        logs = {m.name: m.result() for m in self.metrics if m.name != "loss"}
        return {**logs, "samples": len(x)} if self.extra else logs


def logs_seen(distributed_run, kind=dg.Sequential, extra=False, samples=N, batch=BATCH):
    """The loss and accuracy callbacks see after each batch, and the History."""
    x, y = data()
    x, y = x[:samples], y[:samples]
    dg.random.seed(1)
    m = kind([layers.Dense(16, activation="tanh"), layers.Dense(3)])
    m.extra = extra
    m.compile(
        optimizer="sgd",
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    seen = []
    record = dg.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs=None: seen.append(logs))
    dg.random.seed(2)
    history = m.fit(
        x, y, batch_size=batch, epochs=2, verbose=0, distributed=distributed_run, callbacks=[record]
    )
    return {"batches": seen, "history": history.history}


def all_logs():
    try:
        logs_seen(True, CustomStep, extra=True)
        refused = None
    except ValueError as error:
        refused = str(error)
    result = {
        "builtin": distributed.allgather_object(logs_seen(True)),
        "custom": distributed.allgather_object(logs_seen(True, CustomStep)),
        # batches of 2 on 3 processes: one never holds a sample, nor runs the custom step
        "empty": distributed.allgather_object(logs_seen(True, CustomStep, samples=20, batch=2)),
        "extra": distributed.allgather_object(refused),
    }
    if distributed.is_main():
        result["builtin_reference"] = [logs_seen(False)]
        result["custom_reference"] = [logs_seen(False, CustomStep)]
        result["empty_reference"] = [logs_seen(False, CustomStep, samples=20, batch=2)]
    return result


def frozen_weights_move():
    """How many of a frozen layer's weights fit changed (none: no gradient updates them)."""
    x, y = data()
    dg.random.seed(1)
    frozen = layers.Dense(16, activation="tanh")
    m = dg.Sequential([frozen, layers.Dense(3)])
    m(x[:1])
    frozen.trainable = False
    before = [w.copy() for w in frozen.get_weights()]
    m.compile(optimizer="sgd", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, distributed=True)
    return sum(int(np.sum(a != b)) for a, b in zip(frozen.get_weights(), before, strict=True))


def main():
    distributed.init(timeout=5.0 if MODE in ("hang", "stop-one-rank") else 600.0)
    rank = distributed.rank()
    if MODE == "stop-one-rank":
        result = stop_on_one_rank(rank)
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump(result, f)
        return
    if MODE == "dropout":
        result = {**dropout_draws(), "seeded": dropout_draws(seed=3)}
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump(result, f)
        return
    if MODE == "logs":
        result = all_logs()
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump(result, f)
        return
    if MODE == "frozen":
        changed = distributed.allgather_object(frozen_weights_move())
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump({"changed": changed}, f)
        return
    if MODE == "losses-not-means":
        result = distributed.allgather_object(refusals())
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump(result, f)
        return
    if MODE == "lbfgs-empty":
        trained = lbfgs_on_two_samples(True)
        if distributed.is_main():
            reference = lbfgs_on_two_samples(False)
            # Relative to the largest weight: L-BFGS's curvature pairs amplify the float32
            # rounding of the gradient sums in the weights near zero.
            difference = max(
                float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                for a, b in zip(trained.get_weights(), reference.get_weights(), strict=True)
            )
            with open(OUT, "w") as f:
                json.dump({"difference": difference}, f)
        return
    if MODE == "raise":
        x, y = data()
        m = model(optimizer())

        class Boom(RuntimeError):
            pass

        def explode(batch, logs=None):
            if rank == 1 and batch == 2:
                raise Boom("rank 1 fails on purpose")

        m.fit(
            x,
            y,
            batch_size=BATCH,
            epochs=50,
            verbose=0,
            distributed=True,
            callbacks=[dg.callbacks.LambdaCallback(on_train_batch_begin=explode)],
        )
        return
    if MODE.startswith("backup"):  # backup-crash, then backup-resume, in one folder
        x, y = data()
        m = model(optimizer())
        dg.random.seed(2)

        def crash(epoch, logs=None):
            # Rank 0 crashes, after it wrote epoch 2's backup. (Were rank 1 to crash, it
            # could get there while rank 0 is still writing: the job would then resume
            # from epoch 1's backup, correctly, but the count below would be 3.)
            if MODE == "backup-crash" and epoch == 2 and distributed.is_main():
                raise RuntimeError("killed on purpose in epoch 3")

        history = m.fit(
            x,
            y,
            batch_size=BATCH,
            epochs=4,
            verbose=0,
            distributed=True,
            callbacks=[
                dg.callbacks.BackupAndRestore(OUT + ".backup"),
                dg.callbacks.LambdaCallback(on_epoch_begin=crash),
            ],
        )
        if distributed.is_main():
            reference = model(optimizer())
            dg.random.seed(2)
            reference.fit(x, y, batch_size=BATCH, epochs=4, verbose=0)
            difference = max(
                float(np.max(np.abs(a - b) / (np.abs(b) + 1e-6)))
                for a, b in zip(m.get_weights(), reference.get_weights(), strict=True)
            )
            with open(OUT, "w") as f:
                json.dump({"epochs_run": len(history.history["loss"]), "difference": difference}, f)
        return
    if MODE == "early":  # EarlyStopping must stop every process in the same epoch
        x, y = data()
        m = model(optimizer())
        stop = dg.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=0.05)
        history = m.fit(
            x,
            y,
            batch_size=BATCH,
            epochs=30,
            verbose=0,
            validation_split=0.2,
            distributed=True,
            callbacks=[stop],
        )
        epochs = distributed.allgather_object(len(history.history["loss"]))
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump({"epochs": epochs}, f)
        return
    if MODE == "batchnorm":
        x, y = data()
        dg.random.seed(1)
        m = dg.Sequential(
            [layers.Dense(8), layers.BatchNormalization(), layers.ReLU(), layers.Dense(3)]
        )
        m.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, distributed=True)
        weights = [w.tolist() for w in m.get_weights()]
        everyone = distributed.allgather_object(weights)
        if distributed.is_main():
            with open(OUT, "w") as f:
                json.dump({"identical_across_processes": all(w == weights for w in everyone)}, f)
        return
    if MODE == "hang":
        if rank == 1:
            time.sleep(120)
        distributed.allreduce(np.ones(3))
        return
    train = train_loop if MODE == "loop" else train_fit
    trained, history = train(True)
    weights = [w.tolist() for w in trained.get_weights()]
    everyone = distributed.allgather_object(weights)
    if distributed.is_main():
        reference, reference_history = train(False)
        result = {
            "size": distributed.size(),
            "identical_across_processes": all(w == weights for w in everyone),
            "max_relative_difference": max(
                float(np.max(np.abs(a - b) / (np.abs(b) + 1e-6)))
                for a, b in zip(trained.get_weights(), reference.get_weights(), strict=True)
            ),
            "history": history,
            "reference_history": reference_history,
        }
        with open(OUT, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()

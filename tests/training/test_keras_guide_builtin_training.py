"""Keras 3's guide "Training & evaluation with the built-in methods" (keras-team/keras,
guides/training_with_built_in_methods.py): the sections on metrics, validation, PyDataset,
PyTorch DataLoader, class and sample weights, callbacks, checkpointing, schedules and
TensorBoard, ported with the imports and data loading changed (``import deepgrad as
keras``; random images of MNIST's shape, fewer of them, instead of the download) and:

- the custom metric's ``keras.ops`` calls written with NumPy (deepgrad has no ``ops``
  namespace; ``update_state`` receives NumPy arrays);
- ``tf.data`` sections left out (TensorFlow), as are the custom losses written with
  ``keras.ops`` and the multi-input sections (tested with the functional API);
- ``model.fit(x, y, epochs=1, ...)`` calls without a ``batch_size`` keep Keras' 32.
"""

import os

import numpy as np
import pytest
import torch

import deepgrad as keras
from deepgrad import layers


@pytest.fixture
def mnist_like(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the guide writes checkpoints to the working directory
    keras.random.seed(0)
    rng = np.random.default_rng(0)
    x_train = rng.random((2500, 784)).astype("float32")
    y_train = rng.integers(0, 10, 2500).astype("float32")
    x_test = rng.random((500, 784)).astype("float32")
    y_test = rng.integers(0, 10, 500).astype("float32")
    # Reserve 500 samples for validation
    x_val = x_train[-500:]
    y_val = y_train[-500:]
    x_train = x_train[:-500]
    y_train = y_train[:-500]
    return x_train, y_train, x_val, y_val, x_test, y_test


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def test_api_overview(mnist_like, capsys):
    x_train, y_train, x_val, y_val, x_test, y_test = mnist_like
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    print("Fit model on training data")
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        validation_data=(x_val, y_val),
    )
    assert list(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]
    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)
    assert len(results) == 2
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)
    assert predictions.shape == (3, 10)
    assert "val_sparse_categorical_accuracy: " in capsys.readouterr().out


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.reshape(np.argmax(y_pred, axis=1), (-1, 1))
        values = y_true.astype("int32") == y_pred.astype("int32")
        values = values.astype("float32")
        if sample_weight is not None:
            sample_weight = sample_weight.astype("float32")
            values = np.multiply(values, sample_weight)
        self.true_positives.assign_add(np.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0)


def test_custom_metric_and_validation_split(mnist_like):
    x_train, y_train, *_ = mnist_like
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 3 and all(isinstance(count, float) for count in counts)
    # y_true (n,) against y_pred (n, 1) broadcasts to (n, n) in the guide's update_state,
    # in Keras 3 as here: the count is that of the n × n comparisons, per batch
    predicted = np.argmax(model.predict(x_train[:64]), axis=1).reshape(-1, 1)
    metric = CategoricalTruePositives()
    metric.update_state(y_train[:64], model.predict(x_train[:64]))
    assert metric.result() == np.sum(y_train[:64].astype(int) == predicted)

    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0)
    assert "val_sparse_categorical_accuracy" in history.history


class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size : (idx + 1) * self.batch_size]
        return batch_x, batch_y


def test_pydataset(mnist_like):
    x_train, y_train, x_val, y_val, *_ = mnist_like
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    model = get_compiled_model()
    model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    result = model.evaluate(val_py_dataset)
    assert result == pytest.approx(model.evaluate(x_val, y_val, verbose=0))

    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32, workers=4)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32, workers=4)
    model = get_compiled_model()
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset, epochs=1)
    assert "val_loss" in history.history


class ExampleTorchDataset(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


def test_torch_dataloader(mnist_like):
    x_train, y_train, x_val, y_val, *_ = mnist_like
    train_torch_dataset = ExampleTorchDataset(x_train, y_train)
    val_torch_dataset = ExampleTorchDataset(x_val, y_val)
    train_dataloader = torch.utils.data.DataLoader(train_torch_dataset, batch_size=32, shuffle=True)
    val_dataloader = torch.utils.data.DataLoader(val_torch_dataset, batch_size=32, shuffle=True)
    model = get_compiled_model()
    history = model.fit(train_dataloader, batch_size=64, validation_data=val_dataloader, epochs=1)
    assert "val_sparse_categorical_accuracy" in history.history
    results = model.evaluate(val_dataloader)
    assert results == pytest.approx(model.evaluate(x_val, y_val, verbose=0), rel=1e-5)


def test_class_and_sample_weights(mnist_like):
    x_train, y_train, *_ = mnist_like
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5",
        # making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }
    print("Fit with class weight")
    keras.random.seed(1)
    model = get_compiled_model()
    by_class = model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)

    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    print("Fit with sample weight")
    keras.random.seed(1)
    model = get_compiled_model()
    by_sample = model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)
    assert by_class.history["loss"] == pytest.approx(by_sample.history["loss"], rel=1e-6)


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


def test_callbacks(mnist_like, capsys):
    x_train, y_train, *_ = mnist_like
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=1,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    epochs = len(history.history["loss"])
    assert epochs < 20  # random labels: the validation loss soon stops improving
    assert f"Epoch {epochs}: early stopping" in capsys.readouterr().out

    losses = LossHistory()
    get_compiled_model().fit(x_train, y_train, batch_size=500, epochs=1, callbacks=[losses])
    assert len(losses.per_batch_losses) == 4


def test_checkpointing(mnist_like, capsys):
    x_train, y_train, *_ = mnist_like
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # The saved model name will include the current epoch.
            filepath="mymodel_{epoch}.keras",
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    assert os.path.exists("mymodel_1.keras")
    assert "Epoch 1: val_loss improved from None to " in capsys.readouterr().out

    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = "./ckpt"
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one
        # if there is no checkpoint available.
        checkpoints = [os.path.join(checkpoint_dir, name) for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model()

    model = make_or_restore_model()
    callbacks = [
        # This callback saves the model every 100 batches.
        # We include the training loss in the saved model name.
        keras.callbacks.ModelCheckpoint(
            filepath=os.path.join(checkpoint_dir, "model-loss={loss:.2f}.keras"),
            save_freq=20,  # the guide's 100, for 63 batches of 32 here
        )
    ]
    model.fit(x_train, y_train, epochs=1, callbacks=callbacks)
    saved = os.listdir(checkpoint_dir)
    assert 1 <= len(saved) <= 3 and all(name.startswith("model-loss=") for name in saved)
    restored = make_or_restore_model()
    assert "Restoring from ./ckpt/model-loss=" in capsys.readouterr().out
    assert restored.predict(x_train[:5]).shape == (5, 10)


def test_schedules_and_tensorboard(mnist_like, tmp_path):
    pytest.importorskip("tensorboard")
    x_train, y_train, *_ = mnist_like
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    assert optimizer.current_learning_rate() == pytest.approx(0.1)

    board = keras.callbacks.TensorBoard(
        log_dir=str(tmp_path / "logs"),
        histogram_freq=0,  # How often to log histogram visualizations
        embeddings_freq=0,  # How often to log embedding visualizations
        update_freq="epoch",
    )  # How often to write logs (default: once per epoch)
    get_compiled_model().fit(x_train, y_train, epochs=1, callbacks=[board], verbose=0)
    assert os.listdir(tmp_path / "logs" / "train")

"""compile / fit / evaluate / predict: the three forms of gradient descent, callbacks,
data inputs, the published targets (digits, the shallow net's σ), and plain loops."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import callbacks, layers, losses, optimizers


def _regression(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    return x, y


def _linear_model(seed=0, optimizer=None):
    dg.random.seed(seed)
    model = dg.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=0.1), loss="mse")
    return model


@pytest.mark.parametrize("batch_size, steps", [(None, 1), ("full", 1), (1, 64), (10, 7)])
def test_three_forms_of_gradient_descent(batch_size, steps):
    x, y = _regression()
    model = _linear_model()
    seen = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0, callbacks=[counter])
    assert len(seen) == 2 * steps


def test_full_batch_step_is_one_gradient_step():
    x, y = _regression()
    model = _linear_model()
    kernel, bias = (w.copy() for w in model.get_weights())

    def loss(params):
        pred = x @ params[0] + params[1]
        return dg.numpy.mean((pred - y) ** 2)

    g_kernel, g_bias = dg.grad(loss)((kernel.astype(np.float64), bias.astype(np.float64)))
    model.fit(x, y, batch_size=None, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], kernel - 0.1 * g_kernel, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], bias - 0.1 * g_bias, rtol=1e-5)


def test_loss_decreases_and_history_has_validation():
    x, y = _regression(200)
    model = _linear_model()
    history = model.fit(x, y, epochs=5, batch_size=16, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "val_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert len(history.history["val_loss"]) == 5
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x[:10], y[:10]))


def test_callback_order():
    x, y = _regression(20)
    model = _linear_model()
    calls = []
    hooks = [
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_epoch_end",
        "on_train_end",
    ]
    spy = callbacks.LambdaCallback(**{h: (lambda *a, h=h: calls.append(h)) for h in hooks})
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[spy])
    assert calls == [
        "on_train_begin",
        "on_epoch_begin",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_epoch_end",
        "on_train_end",
    ]


def test_early_stopping_restores_best_weights():
    x, y = _regression(100)
    model = _linear_model(optimizer=optimizers.SGD(learning_rate=1.2))  # converges, then diverges
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    history = model.fit(
        x, y, batch_size=None, epochs=50, verbose=0, callbacks=[stop], validation_data=(x, y)
    )
    assert len(history.history["loss"]) < 50 and stop.stopped_epoch > 0
    best = min(history.history["val_loss"])
    assert model.evaluate(x, y, verbose=0) == pytest.approx(best, rel=1e-6)


def test_learning_rate_callbacks_and_terminate_on_nan(tmp_path):
    x, y = _regression(40)
    model = _linear_model()
    schedule = callbacks.LearningRateScheduler(lambda epoch, rate: 0.1 / (1 + epoch))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[schedule])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10.0)
    model.optimizer.learning_rate = 0.1
    model.fit(x, y, epochs=3, verbose=0, callbacks=[plateau])
    assert model.optimizer.current_learning_rate() == pytest.approx(0.1 * 0.5**2)
    bad = _linear_model(optimizer=optimizers.SGD(learning_rate=1e6))
    h = bad.fit(x * 1e6, y, epochs=20, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) < 20


def test_csv_logger_and_checkpoint(tmp_path):
    x, y = _regression(40)
    model = _linear_model()
    log = tmp_path / "log.csv"
    checkpoint = callbacks.ModelCheckpoint(
        tmp_path / "best.dg", monitor="loss", save_best_only=True
    )
    model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.CSVLogger(log), checkpoint])
    rows = log.read_text().splitlines()
    assert rows[0] == "epoch,loss,val_loss" and len(rows) == 4  # val_ columns as in Keras
    restored = dg.load_model(tmp_path / "best.dg")
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-6)


def test_backup_and_restore_resumes_identically(tmp_path):
    x, y = _regression(96)
    x = np.hstack([x, x]).astype(np.float32)

    def make():
        dg.random.seed(7)
        model = dg.Sequential(
            [layers.Dense(8, activation="tanh"), layers.Dropout(0.2), layers.Dense(1)]
        )
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
        return model

    reference = make()
    reference.fit(x, y, epochs=5, batch_size=16, verbose=0)

    class Crash(Exception):
        pass

    def crash(epoch, logs=None):
        if epoch == 3:
            raise Crash

    interrupted = make()
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(Crash):
        interrupted.fit(
            x,
            y,
            epochs=5,
            batch_size=16,
            verbose=0,
            callbacks=[backup, callbacks.LambdaCallback(on_epoch_begin=crash)],
        )
    assert (tmp_path / "backup" / "latest.dg").exists()
    dg.random.seed(12345)  # the restart does not even share the random state
    resumed = make()
    history = resumed.fit(
        x,
        y,
        epochs=5,
        batch_size=16,
        verbose=0,
        callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")],
    )
    assert len(history.history["loss"]) == 2  # epochs 3 and 4 only
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not (tmp_path / "backup" / "latest.dg").exists()


def test_backup_and_restore_takes_keras_arguments_in_keras_order(tmp_path):
    """Keras 3's signature is (backup_dir, save_freq, double_checkpoint, delete_checkpoint):
    ``BackupAndRestore(path, 100)`` asks Keras for a backup every 100 batches. deepgrad's
    second argument was delete_checkpoint, so the 100 was taken for True, silently."""
    with pytest.raises(ValueError, match=r"save_freq=100 .* not supported"):
        callbacks.BackupAndRestore(tmp_path, 100)
    kept = callbacks.BackupAndRestore(tmp_path, "epoch", True, False)
    assert kept.delete_checkpoint is False
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 2), np.float32)
    model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[kept])
    assert kept.path.exists()  # delete_checkpoint=False, given by position as in Keras


def test_iterator_input_and_one_hot_labels():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64)
    batches = [(x[i : i + 20], labels[i : i + 20]) for i in range(0, 60, 20)]
    model = dg.Sequential([layers.Dense(2)])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.05),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(batches, epochs=30, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    one_hot = np.eye(2)[labels]
    model.compile(
        optimizer="adam",
        loss=losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    loss, accuracy = model.evaluate(x, one_hot, verbose=0)
    assert accuracy > 0.9 and loss > 0


def test_on_batch_methods_and_weights():
    x, y = _regression(8)
    model = _linear_model()
    before = model.test_on_batch(x, y)
    after = model.train_on_batch(x, y, return_dict=True)["loss"]
    assert before == pytest.approx(after)
    assert model.test_on_batch(x, y) < before
    # Different batch sizes take different BLAS kernels: equal to float32 rounding.
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, batch_size=3), rtol=1e-5)
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert np.all(model.predict(x) == 0)
    with pytest.raises(ValueError, match="expected 2 arrays"):
        model.set_weights(weights[:1])


def test_errors_before_compile_and_after_freezing():
    model = dg.Sequential([layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile the model first"):
        model.fit(np.ones((2, 1)), np.ones((2, 1)))
    x, y = _regression(8)
    model = _linear_model()
    model.fit(x, y, verbose=0)
    model.layers[0].trainable = False
    with pytest.raises(RuntimeError, match="call compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="x has 8 samples but y has 3"):
        _linear_model().fit(x, y[:3], verbose=0)


@pytest.mark.parametrize("weight", [2.0, np.float32(2), np.array(2.0)])
def test_one_sample_weight_for_all_the_data_is_refused_by_name(weight):
    # Keras 3 refuses it too (with an IndexError); a loss called alone takes it
    x, y = _regression(8)
    model = _linear_model()
    with pytest.raises(ValueError, match=r"fit: sample_weight is one number, 2\.0; .*8"):
        model.fit(x, y, sample_weight=weight, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: sample_weight is one number"):
        model.evaluate(x, y, sample_weight=weight, verbose=0)


def test_digits_reach_96_percent():
    (x_train, y_train), (x_test, y_test) = dg.datasets.load_digits()
    scaler = dg.datasets.Standardizer().fit(x_train)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(
        optimizer=optimizers.Adam(learning_rate=1e-3),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(scaler.transform(x_train), y_train, epochs=30, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(scaler.transform(x_test), y_test, verbose=0)
    assert accuracy >= 0.96


def test_shallow_net_recovers_sigma():
    """y = Σ β_j σ(x'γ_j) + ε, ε ~ N(0, 0.3²), fitted by Gaussian NLL with σ learned."""
    x, y = dg.datasets.make_shallow_net_regression(n=2000, m=3, sigma=0.3, seed=1)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(3, activation="sigmoid"), layers.Dense(1)])
    nll = losses.GaussianNLL(sigma="learned")
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss=nll)
    model.fit(x, y, epochs=150, batch_size=64, verbose=0)
    assert abs(nll.sigma - 0.3) / 0.3 < 0.10
    # The MLE of σ² at the fitted weights agrees with the σ learned jointly with them.
    assert model.noise_variance_ == pytest.approx(nll.sigma**2, rel=0.05)


def test_least_squares_on_a_one_shot_generator():
    """A generator is used up by the epoch; fit must not try to read it again."""
    x, y = _regression(32)
    model = _linear_model()
    batches = ((x[i : i + 8], y[i : i + 8]) for i in range(0, 32, 8))
    model.fit(batches, epochs=1, verbose=0)
    assert not hasattr(model, "noise_variance_")
    with pytest.raises(ValueError, match="noise_variance: no samples"):
        model.noise_variance(x, y, sample_weight=np.zeros(32))


def test_noise_variance_after_least_squares():
    """MSE is the Gaussian NLL with σ fixed; σ̂² = mean squared residual is read off after."""
    x, y = dg.datasets.make_shallow_net_regression(n=2000, m=3, sigma=0.3, seed=2)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(3, activation="sigmoid"), layers.Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.02), loss="mse")
    model.fit(x, y, epochs=150, batch_size=64, verbose=0)
    assert abs(np.sqrt(model.noise_variance_) - 0.3) / 0.3 < 0.10
    residual = y.reshape(-1, 1) - model.predict(x)
    assert model.noise_variance(x, y) == pytest.approx(float(np.mean(residual**2)), rel=1e-6)
    weights = np.r_[np.zeros(1000), np.ones(1000)]
    assert model.noise_variance(x, y, sample_weight=weights) == pytest.approx(
        float(np.mean(residual[1000:] ** 2)), rel=1e-6
    )


def test_noise_variance_with_a_weight_per_time_step():
    """Sequence outputs (n, t, k) weighted per time step (n, t), as Keras' fit takes them:
    fit ended in a matmul error (the weights were flattened against one square per
    sample); σ̂² weighs each step's mean square by its weight."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 4, 3)), rng.normal(size=(12, 4, 2))
    weights = rng.random((12, 4))
    dg.random.seed(0)
    model = dg.Sequential([layers.Input((4, 3)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, sample_weight=weights, batch_size=5, epochs=1, verbose=0)
    step_squares = np.mean((y - model.predict(x, verbose=0)) ** 2, axis=-1)
    expected = float(np.sum(step_squares * weights) / np.sum(weights))
    assert model.noise_variance_ == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(12, 2\) does not fit"):
        model.noise_variance(x, y, sample_weight=np.ones((12, 2)))


def test_plain_loop_on_the_same_objects():
    x, y = _regression(32)
    dg.random.seed(0)
    model = dg.Sequential([layers.Dense(1)])
    model(x[:1])
    opt = optimizers.SGD(model.trainable_weights, learning_rate=0.05, momentum=0.5)
    mse = losses.MeanSquaredError()
    first = None
    for _ in range(100):
        loss = mse(y, model(x, training=True))
        loss.backward()
        opt.step()
        opt.zero_grad()
        first = first if first is not None else loss.item()
    assert loss.item() < first / 100


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (
            lambda p: optimizers.SGD(p, learning_rate=0.1),
            lambda p: __import__("torch").optim.SGD(p, lr=0.1),
        ),
        (
            lambda p: optimizers.SGD(p, learning_rate=0.1, momentum=0.9),
            lambda p: __import__("torch").optim.SGD(p, lr=0.1, momentum=0.9),
        ),
        (
            lambda p: optimizers.SGD(p, learning_rate=0.1, momentum=0.9, nesterov=True),
            lambda p: __import__("torch").optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        ),
        (
            lambda p: optimizers.Adam(p, learning_rate=0.01),
            lambda p: __import__("torch").optim.Adam(p, lr=0.01),
        ),
    ],
)
def test_optimizers_match_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    x = rng.standard_normal((5, 3))
    params = [dg.tensor(s.copy(), requires_grad=True) for s in start]
    torch_params = [torch.tensor(s.copy(), requires_grad=True) for s in start]
    opt, torch_opt = ours(params), theirs(torch_params)
    for _ in range(5):
        opt.zero_grad()
        (dg.numpy.tanh(x @ params[0] + params[1]) ** 2).sum().backward()
        opt.step()
        torch_opt.zero_grad()
        (torch.tanh(torch.tensor(x) @ torch_params[0] + torch_params[1]) ** 2).sum().backward()
        torch_opt.step()
    for p, tp in zip(params, torch_params, strict=True):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_optimizer_keeps_params_as_views_of_one_buffer():
    params = [
        dg.tensor(np.ones((2, 2)), requires_grad=True),
        dg.tensor(np.ones(3), requires_grad=True),
    ]
    opt = optimizers.SGD(params, learning_rate=1.0)
    assert all(np.shares_memory(p.numpy(), opt.flat.groups[0].values) for p in params)
    params[0].data = np.zeros((2, 2))  # replaced wholesale: brought back into the buffer
    (params[0].sum() + params[1].sum()).backward()
    opt.step()
    np.testing.assert_array_equal(params[0].numpy(), -np.ones((2, 2)))
    with pytest.raises(ValueError, match="requires_grad=True"):
        optimizers.SGD([dg.tensor([1.0])])


@pytest.mark.parametrize("verbose, lines", [(0, 0), (2, 6)])
def test_progress_lines(capsys, verbose, lines):
    x, y = _regression(20)
    _linear_model().fit(x, y, epochs=3, verbose=verbose)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == lines
    if lines:  # Keras' two lines an epoch
        assert out[0] == "Epoch 1/3" and out[1].startswith("1/1 - ") and "loss:" in out[1]


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    x, y = _regression(20)
    _linear_model().fit(x, y, epochs=2, batch_size=5, verbose=1)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "4/4" in text


def test_loss_weights_of_a_single_output_scale_its_loss():
    """A number for a one-output model crashed fit with a zip() error; Keras scales."""
    model = dg.Sequential([layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", loss_weights=3.0)
    model.build_for((None, 2))
    model.set_weights([np.ones((2, 1), np.float32), np.zeros(1, np.float32)])
    history = model.fit(np.ones((4, 2)), np.zeros(4), verbose=0)
    assert history.history["loss"] == [pytest.approx(3.0 * 4.0)]

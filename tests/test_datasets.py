"""Data sets: scikit-learn's, MNIST from IDX files the test writes, CSV and NPZ files,
the shallow-net simulator, splitting and standardizing."""

import gzip
import struct

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import datasets


@pytest.mark.parametrize(
    "name, features, classes",
    [
        ("digits", 64, 10),
        ("iris", 4, 3),
        ("wine", 13, 3),
        ("breast_cancer", 30, 2),
        ("diabetes", 10, None),
    ],
)
def test_sklearn_loaders(name, features, classes):
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = getattr(datasets, f"load_{name}")()
    assert x_train.dtype == np.float32 and x_train.shape[1] == features
    assert len(x_train) + len(x_test) == len(y_train) + len(y_test)
    assert abs(len(x_test) / (len(x_train) + len(x_test)) - 0.2) < 0.01
    if classes:
        assert y_train.dtype == np.int64 and set(np.unique(y_train)) == set(range(classes))
    else:
        assert y_train.dtype == np.float32 and y_train.shape[1] == 1


def _write_idx(path, array, code=0x08, compress=False):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    blob = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    (gzip.open if compress else open)(path, "wb").write(blob)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_from_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    for prefix, n in (("train", 6), ("t10k", 3)):
        _write_idx(
            tmp_path / f"{prefix}-images-idx3-ubyte{suffix}",
            rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
            compress=compress,
        )
        _write_idx(
            tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}",
            rng.integers(0, 10, n).astype(np.uint8),
            compress=compress,
        )
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(tmp_path)
    assert y_test.shape == (3,)
    assert x_train.shape == (6, 28, 28) and x_test.shape == (3, 28, 28)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    assert y_train.dtype == np.int64


def test_idx_errors(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="bad magic"):
        datasets.read_idx(tmp_path / "bad")
    _write_idx(tmp_path / "short", np.zeros((2, 3), np.uint8))
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-2])
    with pytest.raises(ValueError, match="header says 6"):
        datasets.read_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError, match="train-images"):
        datasets.load_mnist(tmp_path)
    _write_idx(tmp_path / "floats", np.array([1.5, -2.0], np.float32), code=0x0D)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "floats"), [1.5, -2.0])


def test_csv_and_npz(tmp_path):
    table = np.array([[1.5, 2.0, 0], [3.0, 4.0, 1], [5.0, 6.0, 1]])
    np.savetxt(tmp_path / "h.csv", table, delimiter=",", header="a,b,label", comments="")
    x, y = datasets.load_csv(tmp_path / "h.csv", target="label")
    assert x.shape == (3, 2) and y.dtype == np.int64 and list(y) == [0, 1, 1]
    x, y = datasets.load_csv(tmp_path / "h.csv", target=0)
    assert y.dtype == np.float32 and y.shape == (3, 1) and x.shape == (3, 2)
    with pytest.raises(ValueError, match="no column named 'nope'"):
        datasets.load_csv(tmp_path / "h.csv", target="nope")
    (tmp_path / "t.csv").write_text("1,2\n3,x\n")
    with pytest.raises(ValueError, match="must be a number"):
        datasets.load_csv(tmp_path / "t.csv")
    np.savez(tmp_path / "d.npz", x=table[:, :2], y=table[:, 2])
    x, y = datasets.load_npz(tmp_path / "d.npz")
    assert x.dtype == np.float32 and len(y) == 3
    with pytest.raises(KeyError, match="features"):
        datasets.load_npz(tmp_path / "d.npz", x_key="features")


def test_shallow_net_regression_follows_the_model():
    x, y, params = datasets.make_shallow_net_regression(
        n=5000, m=4, sigma=0.3, seed=3, return_params=True
    )
    design = np.hstack([np.ones((len(x), 1)), x])
    mean = (1 / (1 + np.exp(-design @ params["gamma"]))) @ params["beta"]
    residual = y[:, 0] - mean
    assert abs(residual.std() - 0.3) < 0.01 and abs(residual.mean()) < 0.02
    a = datasets.make_shallow_net_regression(n=10, seed=1)
    b = datasets.make_shallow_net_regression(n=10, seed=1)
    np.testing.assert_array_equal(a[1], b[1])


def test_split_and_standardize():
    x = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    x_train, x_test, y_train, y_test = datasets.train_test_split(x, y, test_size=0.3, seed=0)
    assert len(x_test) == 3 and sorted(np.concatenate([y_train, y_test])) == list(range(10))
    np.testing.assert_array_equal(x_train[:, 0] / 2, y_train)
    scaler = datasets.Standardizer().fit(np.column_stack([x[:, 0], np.ones(10)]))
    z = scaler.transform(np.column_stack([x[:, 0], np.ones(10)]))
    assert abs(z[:, 0].mean()) < 1e-6 and abs(z[:, 0].std() - 1) < 1e-6 and np.all(z[:, 1] == 0)
    np.testing.assert_allclose(scaler.inverse_transform(z)[:, 0], x[:, 0], atol=1e-5)
    with pytest.raises(ValueError, match="different lengths"):
        datasets.train_test_split(x, y[:3])


def test_normalization_layer_saves_its_statistics(tmp_path):
    x = np.random.default_rng(0).normal(5, 3, (100, 2)).astype(np.float32)
    norm = dg.layers.Normalization()
    norm.adapt(x)
    model = dg.Sequential([norm, dg.layers.Dense(1)])
    model(x[:1])
    z = norm(x).numpy()
    assert np.allclose(z.mean(axis=0), 0, atol=1e-5) and np.allclose(z.std(axis=0), 1, atol=1e-4)
    model.save(tmp_path / "m.dg")
    np.testing.assert_array_equal(dg.load_model(tmp_path / "m.dg").predict(x), model.predict(x))

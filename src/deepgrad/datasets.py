"""Data sets: small real ones shipped inside scikit-learn, MNIST from local IDX files, the
user's own CSV and NPZ files, and the lecture's shallow-net model to simulate from.

Nothing is downloaded: the scikit-learn sets ship with the package (the ``datasets``
extra) and MNIST is read from a folder you point to. Loaders return
``(x_train, y_train), (x_test, y_test)`` with float32 features; class labels are int64.

>>> x, y = make_shallow_net_regression(n=100, m=3, sigma=0.3, seed=0)
>>> x.shape, y.shape, x.dtype
((100, 1), (100, 1), dtype('float32'))
"""

from __future__ import annotations

import csv
import gzip
import os
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---- splitting and scaling ------------------------------------------------------------------


def train_test_split(
    *arrays: Any, test_size: float = 0.2, seed: int | None = 0, shuffle: bool = True
) -> list[np.ndarray]:
    """Split arrays of equal length into train and test parts: ``a_train, a_test, b_train, ...``.

    >>> a_train, a_test = train_test_split(np.arange(10), test_size=0.3)
    >>> len(a_train), len(a_test)
    (7, 3)
    """
    if not arrays:
        raise ValueError("train_test_split: give at least one array")
    columns = [np.asarray(a) for a in arrays]
    n = len(columns[0])
    if any(len(a) != n for a in columns):
        raise ValueError(
            f"train_test_split: arrays have different lengths {[len(a) for a in columns]}"
        )
    if not 0 < test_size < 1:
        raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size}")
    n_test = max(1, round(n * test_size))
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    test, train = order[:n_test], order[n_test:]
    return [part for a in columns for part in (a[train], a[test])]


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1, as scikit-learn's
    ``StandardScaler``: the standard deviation divides by n (ddof=0); a constant feature,
    or one whose variance is rounding error (scikit-learn's test), is left unscaled
    (centred at 0) rather than divided by 0; NaN values are left out of ``fit`` and stay
    NaN in ``transform``. Samples lie along the first axis; each position of the others
    is a feature, and ``transform`` needs the shape of the features it was fitted on.

    >>> s = Standardizer().fit(np.array([[1.0], [3.0]]))
    >>> s.transform(np.array([[2.0]]))
    array([[0.]], dtype=float32)
    >>> Standardizer().fit(np.array([[1.0], [np.nan], [3.0]])).mean
    array([2.])
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, x: Any) -> Standardizer:
        x = _finite_or_nan(x, "fit")
        if len(x) == 0:
            raise ValueError(f"Standardizer.fit: x of shape {x.shape} has no samples")
        with warnings.catch_warnings():  # an all-NaN feature: NaN, as in scikit-learn
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, variance = np.nanmean(x, axis=0), np.nanvar(x, axis=0)
        count = np.sum(~np.isnan(x), axis=0)
        self.mean = mean
        self.scale = np.where(_is_constant(variance, mean, count), 1.0, np.sqrt(variance))
        return self

    def _fitted(self, x: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
        """(mean, scale), once ``fit`` has set them and when ``x`` has their features."""
        if self.mean is None or self.scale is None:
            raise RuntimeError("Standardizer: call fit(x) first")
        if x.shape[1:] != self.mean.shape:
            raise ValueError(
                f"Standardizer.{method}: x of shape {x.shape} has features of shape "
                f"{x.shape[1:]}, but the Standardizer was fitted on features of shape "
                f"{self.mean.shape}"
            )
        return self.mean, self.scale

    def transform(self, x: Any) -> np.ndarray:
        x = _finite_or_nan(x, "transform")
        mean, scale = self._fitted(x, "transform")
        return ((x - mean) / scale).astype(np.float32)

    def fit_transform(self, x: Any) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, z: Any) -> np.ndarray:
        z = _finite_or_nan(z, "inverse_transform")
        mean, scale = self._fitted(z, "inverse_transform")
        return (z * scale + mean).astype(np.float32)


def _finite_or_nan(x: Any, method: str) -> np.ndarray:
    """``x`` as float64 samples; NaN marks a missing value, ±inf is refused (as
    scikit-learn refuses it) rather than turning a whole feature into NaN."""
    array = np.asarray(x, dtype=np.float64)
    if array.ndim == 0:
        raise ValueError(f"Standardizer.{method}: expected samples along a first axis, got {x!r}")
    if np.isinf(array).any():
        raise ValueError(
            f"Standardizer.{method}: x of shape {array.shape} holds infinite values; "
            "NaN (a missing value) is allowed, inf is not"
        )
    return array


def _is_constant(variance: np.ndarray, mean: np.ndarray, count: np.ndarray) -> np.ndarray:
    """scikit-learn's ``_is_constant_feature``: the variance is within the rounding error
    of the two-pass algorithm (Chan, Golub and LeVeque), so the feature is constant."""
    eps = np.finfo(np.float64).eps
    return variance <= count * eps * variance + (count * mean * eps) ** 2


# ---- the lecture's model --------------------------------------------------------------------


def make_shallow_net_regression(
    n: int = 200,
    m: int = 3,
    sigma: float = 0.3,
    seed: int | None = 0,
    d: int = 1,
    return_params: bool = False,
) -> Any:
    """Draw from the shallow net y = Σ_j β_j ψ(x'γ_j) + ε, ε ~ N(0, σ²), ψ logistic.

    x has ``d`` features uniform on [−2, 2] and a constant 1 inside x'γ_j (an intercept);
    γ_j ~ N(0, 2²) and β_j ~ N(0, 1). With ``return_params`` also returns
    ``{"beta", "gamma", "sigma"}``.
    """
    if n < 1 or m < 1 or d < 1 or sigma < 0:
        raise ValueError("make_shallow_net_regression: need n, m, d >= 1 and sigma >= 0")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, (n, d))
    gamma = rng.normal(0.0, 2.0, (d + 1, m))
    beta = rng.normal(0.0, 1.0, m)
    design = np.hstack([np.ones((n, 1)), x])
    mean = (1.0 / (1.0 + np.exp(-design @ gamma))) @ beta
    y = (mean + sigma * rng.standard_normal(n)).reshape(n, 1)
    data = (x.astype(np.float32), y.astype(np.float32))
    if return_params:
        return (*data, {"beta": beta, "gamma": gamma, "sigma": sigma})
    return data


# ---- scikit-learn's small data sets ---------------------------------------------------------


def _sklearn_loader(name: str):
    try:
        import sklearn.datasets
    except ImportError:
        raise ImportError(
            f"load_{name} reads the copy shipped inside scikit-learn: "
            "pip install 'deepgrad[datasets]'"
        ) from None
    return getattr(sklearn.datasets, f"load_{name}")


def _load_sklearn(name: str, classification: bool, test_size: float, seed: int | None) -> Split:
    x, y = _sklearn_loader(name)(return_X_y=True)
    y = y.astype(np.int64) if classification else y.astype(np.float32).reshape(-1, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype(np.float32), y, test_size=test_size, seed=seed
    )
    return (x_train, y_train), (x_test, y_test)


def load_digits(test_size: float = 0.2, seed: int | None = 0) -> Split:
    """8×8 images of handwritten digits (1,797 samples, 64 features 0–16, 10 classes)."""
    return _load_sklearn("digits", True, test_size, seed)


def load_iris(test_size: float = 0.2, seed: int | None = 0) -> Split:
    """Fisher's iris flowers (150 samples, 4 features, 3 classes)."""
    return _load_sklearn("iris", True, test_size, seed)


def load_wine(test_size: float = 0.2, seed: int | None = 0) -> Split:
    """Wines from three cultivars (178 samples, 13 features, 3 classes)."""
    return _load_sklearn("wine", True, test_size, seed)


def load_breast_cancer(test_size: float = 0.2, seed: int | None = 0) -> Split:
    """Wisconsin breast cancer diagnosis (569 samples, 30 features, 2 classes)."""
    return _load_sklearn("breast_cancer", True, test_size, seed)


def load_diabetes(test_size: float = 0.2, seed: int | None = 0) -> Split:
    """Diabetes progression (442 samples, 10 features, a real-valued target)."""
    return _load_sklearn("diabetes", False, test_size, seed)


# ---- MNIST from IDX files -------------------------------------------------------------------

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw or gzipped), checking its header against its size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        blob = handle.read()
    if len(blob) < 4 or blob[0] != 0 or blob[1] != 0 or blob[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = blob[3]
    header = 4 + 4 * ndim
    if len(blob) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", blob[4:header])
    dtype = np.dtype(_IDX_TYPES[blob[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(blob) - header != expected:
        raise ValueError(f"{path}: IDX data is {len(blob) - header} bytes, header says {expected}")
    return (
        np.frombuffer(blob, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def _find(folder: Path, stem: str) -> Path:
    for name in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"load_mnist: no {stem}[.gz] in {folder}")


def load_mnist(path: str | os.PathLike) -> Split:
    """MNIST from the four standard IDX files in ``path`` (raw or .gz); nothing is
    downloaded. Images come back as float32 in [0, 1], shape (n, 28, 28); labels int64."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"load_mnist: {folder} is not a folder")
    parts = []
    for prefix in ("train", "t10k"):
        images = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
        if len(images) != len(labels):
            raise ValueError(f"load_mnist: {len(images)} {prefix} images but {len(labels)} labels")
        parts.append(((images / 255.0).astype(np.float32), labels.astype(np.int64)))
    return parts[0], parts[1]


# ---- the user's own files -------------------------------------------------------------------


def load_csv(
    path: str | os.PathLike, target: int | str = -1, delimiter: str = ","
) -> tuple[np.ndarray, np.ndarray]:
    """Features and target from a numeric CSV file (a header row is detected and skipped).

    ``target`` is a column index or, with a header, a column name. Integer-valued targets
    come back as int64 (class labels), others as float32 of shape (n, 1).
    """
    path = Path(path)
    with path.open(newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    if not rows:
        raise ValueError(f"{path}: empty CSV file")
    header = None if _is_numeric(rows[0]) else rows[0]
    body = rows[1:] if header else rows
    try:
        table = np.array([[float(v) for v in row] for row in body], dtype=np.float64)
    except ValueError as error:
        raise ValueError(
            f"{path}: every value after the header must be a number ({error})"
        ) from None
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"{path}: need at least two columns (features and a target)")
    column = _column(target, header, table.shape[1], path)
    y = table[:, column]
    x = np.delete(table, column, axis=1).astype(np.float32)
    if np.all(y == np.round(y)):
        return x, y.astype(np.int64)
    return x, y.astype(np.float32).reshape(-1, 1)


def _is_numeric(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def _column(target: int | str, header: list[str] | None, width: int, path: Path) -> int:
    if isinstance(target, str) and not target.lstrip("-").isdigit():
        if header is None or target not in header:
            raise ValueError(f"{path}: no column named {target!r} (columns: {header})")
        return header.index(target)
    index = int(target)
    if not -width <= index < width:
        raise ValueError(f"{path}: target column {index} out of range for {width} columns")
    return index % width


def load_npz(
    path: str | os.PathLike, x_key: str = "x", y_key: str = "y"
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays ``x_key`` and ``y_key`` from an .npz file (read with allow_pickle=False)."""
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in (x_key, y_key) if k not in archive]
        if missing:
            raise KeyError(f"{path}: no array named {missing[0]!r} (arrays: {list(archive)})")
        x, y = archive[x_key], archive[y_key]
    return x.astype(np.float32), y

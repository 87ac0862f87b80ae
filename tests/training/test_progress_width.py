"""The progress display shows every metric at any width (Keras-style), uses tqdm's text bar
where ipywidgets is missing (no ``IProgress not found`` warning in Jupyter), and falls back
to one line per epoch on a zero-column terminal (Open MPI under ``mpiexec ... > log``)."""

import re
import types
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses
from deepgrad.training import progress

pytest.importorskip("tqdm")

METRICS = ["accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"]


def fit_with_columns(monkeypatch, capsys, columns, verbose=1):
    monkeypatch.setattr(progress, "terminal_columns", lambda stream=None: columns)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    model = dg.Sequential([layers.Dense(3)])
    model.compile(
        optimizer="sgd",
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=METRICS,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a TqdmWarning would fail the test
        model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=verbose)
    return capsys.readouterr().out


def screen_lines(out):
    """What stays on screen: each line's text after its last carriage return."""
    return [line.split("\r")[-1] for line in out.split("\n")]


EVERY_NAME = ["loss", *METRICS, "val_loss", *(f"val_{m}" for m in METRICS)]


@pytest.mark.parametrize("columns", [60, 80, 120, 200])
def test_every_metric_is_shown_at_any_width(monkeypatch, capsys, columns):
    out = fit_with_columns(monkeypatch, capsys, columns)
    lines = screen_lines(out)
    shown = " ".join(lines)
    for name in EVERY_NAME:
        assert len(re.findall(rf"(?<![\w]){name}: \d", shown)) == 2, name  # both epochs
    wrapped = [line for line in lines if line.startswith("  ")]
    assert all(len(line) <= columns for line in wrapped)


def test_zero_column_terminal_falls_back_to_lines(monkeypatch, capsys):
    out = fit_with_columns(monkeypatch, capsys, 0)
    lines = [line for line in out.splitlines() if line]
    assert "\r" not in out and "|" not in out  # no bar drawn
    assert lines[0] == "Epoch 1/2" and lines[1].startswith("4/4 - ")  # Keras' two lines
    assert "Epoch 2/2" in lines
    assert all(f"val_{m}: " in out for m in METRICS)


def test_auto_verbose_on_a_zero_column_terminal_prints_lines(monkeypatch):
    monkeypatch.setattr(progress, "terminal_columns", lambda stream=None: 0)
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: True, raising=False)
    assert progress.resolve_verbose("auto") == 2


@pytest.mark.parametrize(
    ("in_jupyter", "expected"), [(True, 1), (False, 2)], ids=["jupyter", "ipython, a pipe"]
)
def test_auto_verbose_draws_the_bar_in_jupyter_as_keras_does(monkeypatch, in_jupyter, expected):
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: False, raising=False)
    ipython = types.ModuleType("IPython")  # what IPython.get_ipython() gives in a kernel,
    shell = types.SimpleNamespace(kernel=object() if in_jupyter else None)  # or in a shell
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(progress.sys.modules, "IPython", ipython)
    assert progress.resolve_verbose("auto") == expected


def test_text_bar_without_ipywidgets(monkeypatch):
    real = progress.importlib.util.find_spec
    monkeypatch.setattr(
        progress.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real(name, *a),
    )
    from tqdm.std import tqdm

    assert progress._tqdm_class() is tqdm


def test_wrapping_keeps_each_metric_whole():
    text = " - ".join(f"metric_{i}: 0.{i}000" for i in range(12))
    lines = progress.wrapped(text, 50).splitlines()
    assert all(len(line) <= 50 for line in lines)
    assert " ".join(lines).count("metric_") == 12
    assert all(
        re.fullmatch(r"  (- )?metric_\d+: 0\.\d+( - metric_\d+: 0\.\d+)*", ln) for ln in lines
    )

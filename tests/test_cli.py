"""The `deepgrad` command."""

import subprocess
import sys

import pytest

from deepgrad.cli import main


def test_demo_lists_the_gallery(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "autodiff_trace" in out and "shallow_net" in out


def test_demo_prints_the_published_numbers(capsys, tmp_path):
    assert main(["demo", "autodiff_trace", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Forward primal trace" in out and "Reverse adjoint trace" in out
    assert "y = 11.652071" in out
    assert "dy/dx1 = 5.500000, dy/dx2 = 1.716338" in out


def test_no_arguments_trains_on_digits(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "test" in out and (tmp_path / "deepgrad-run" / "model.dg").is_file()


def test_markdown_tables(capsys, tmp_path):
    assert main(["demo", "autodiff_trace", "--markdown", "--output", str(tmp_path)]) == 0
    assert "| v_2 | v_-1 × v_0 | 10.0000 |" in capsys.readouterr().out


def test_bad_input_is_one_line_not_a_traceback(capsys):
    assert main(["demo", "autodiff_trace", "--x1", "-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepgrad: error: --x1 must be positive") and "Traceback" not in err


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "deepgrad.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("deepgrad ")


def test_train_evaluate_predict(capsys, tmp_path):
    import numpy as np

    import deepgrad as dg

    out_dir = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                "iris",
                "--epochs",
                "60",
                "--hidden",
                "16,16",
                "--learning-rate",
                "0.01",
                "--output",
                str(out_dir),
                "--verbose",
                "0",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    test_row = [line for line in text.splitlines() if line.startswith("test")][-1]
    test_accuracy = float(test_row.split()[-1])
    assert test_accuracy > 0.8
    for name in ("model.dg", "history.csv"):
        assert (out_dir / name).is_file()
    assert main(["evaluate", str(out_dir / "model.dg"), "--data", "iris"]) == 0
    assert "accuracy" in capsys.readouterr().out
    (_, _), (x_test, _) = dg.datasets.load_iris()
    np.savetxt(tmp_path / "x.csv", x_test[:4], delimiter=",", header="a,b,c,d", comments="")
    assert main(["predict", str(out_dir / "model.dg"), str(tmp_path / "x.csv")]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == "class" and len(lines) == 5


def test_train_on_a_csv_regression(capsys, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=200)
    table = np.column_stack([x, y])
    np.savetxt(tmp_path / "d.csv", table, delimiter=",", header="a,b,c,target", comments="")
    args = [
        "train",
        "--data",
        str(tmp_path / "d.csv"),
        "--target",
        "target",
        "--epochs",
        "30",
        "--output",
        str(tmp_path / "r"),
        "--verbose",
        "0",
    ]
    assert main(args) == 0
    assert "mae" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--data", "nope"], "no data set or file named 'nope'"),
        (["train", "--hidden", "a,b"], "--hidden must be comma-separated integers"),
        (["evaluate", "missing.dg"], "no such file"),
    ],
)
def test_user_errors_are_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepgrad: error:") and message in err and "Traceback" not in err


def test_unknown_demo_is_rejected(capsys):
    assert main(["demo", "nope"]) == 1
    assert "no example named 'nope'; the examples: activations" in capsys.readouterr().err


def test_help_without_docstrings():
    """Regression: the parser's description came from __doc__, which python -OO removes."""
    done = subprocess.run(
        [sys.executable, "-OO", "-m", "deepgrad.cli", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "command line" in done.stdout

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
    names = [line.split() for line in text.splitlines() if "accuracy" in line.split()][-1]
    test_row = [line for line in text.splitlines() if line.startswith("test")][-1]
    test_accuracy = float(test_row.split()[1 + names.index("accuracy")])
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


def _train(tmp_path, data, *extra):
    out_dir = tmp_path / "run"
    args = ["train", "--data", data, "--output", str(out_dir), "--verbose", "0", *extra]
    assert main(args) == 0
    return out_dir


def _table(text):
    """The printed metrics table: {row name: [numbers]}."""
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] in ("train", "validation", "test", "baseline"):
            rows[parts[0]] = [float(p) for p in parts[1:]]
    return rows


def test_diabetes_regression_beats_the_mean_predictor_and_prints_it(capsys, tmp_path):
    """Regression: the target was not standardised, and the defaults did worse than the
    mean (test MSE 22,904 against a variance of 5,930); the baseline is now printed."""
    import numpy as np

    import deepgrad as dg

    out_dir = _train(tmp_path, "diabetes")
    rows = _table(capsys.readouterr().out)
    assert rows["test"][0] < 0.7 * rows["baseline"][0]
    (_, y_train), (_, y_test) = dg.datasets.load_diabetes()
    expected = np.mean((y_test - y_train.mean()) ** 2)
    assert rows["baseline"][0] == pytest.approx(expected, rel=1e-4)
    # the saved model predicts in the target's own units, not standardised ones
    model = dg.load_model(out_dir / "model.dg")
    (_, _), (x_test, _) = dg.datasets.load_diabetes()
    predictions = model.predict(x_test.reshape(len(x_test), -1))
    assert abs(predictions.mean() - y_test.mean()) < 0.3 * y_test.std()
    assert model.evaluate(x_test, y_test, verbose=0)[0] == pytest.approx(rows["test"][0], rel=1e-4)


def test_history_csv_counts_epochs_from_one(capsys, tmp_path):
    out_dir = _train(tmp_path, "iris", "--epochs", "3")
    lines = (out_dir / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2", "3"]


def test_learning_curve_has_a_panel_per_quantity(capsys, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.image

    out_dir = _train(tmp_path, "iris", "--epochs", "3")
    height, width = matplotlib.image.imread(out_dir / "learning_curve.png").shape[:2]
    assert width >= 800 and height >= 350  # two panels of ~4.6 × 3.6 inches at 110 dpi


def test_feature_count_mismatch_in_evaluate_and_predict(capsys, tmp_path):
    import numpy as np

    out_dir = _train(tmp_path, "iris", "--epochs", "1")
    capsys.readouterr()
    np.savetxt(tmp_path / "wide.csv", np.zeros((3, 64)), delimiter=",")
    assert main(["predict", str(out_dir / "model.dg"), str(tmp_path / "wide.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepgrad: error:") and "64" in err and "4" in err
    assert main(["evaluate", str(out_dir / "model.dg"), "--data", "digits"]) == 1
    err = capsys.readouterr().err
    assert "the model expects 4 features and got 64" in err and "Traceback" not in err


def test_demo_says_where_its_figure_went(capsys, tmp_path):
    assert main(["demo", "activations", "--quick", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"figure saved to {(tmp_path / 'activations.png').resolve()}" in out


def test_demo_descriptions_are_whole_sentences(capsys):
    assert main(["demo"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert lines and all(line.rstrip().endswith(".") for line in lines)


def test_help_is_plain_text_with_defaults():
    from deepgrad.cli import build_parser

    parser = build_parser()
    assert "``" not in parser.format_help()
    train = parser._subparsers._group_actions[0].choices["train"]
    text = " ".join(train.format_help().split())
    for option, default in [
        ("--epochs", "default 30"),
        ("--batch-size", "default 32"),
        ("--verbose", "default 2"),
        ("--output", "default deepgrad-run"),
    ]:
        assert option in text and default in text

"""The `deepgrad` command."""

import subprocess
import sys

import pytest

from deepgrad.cli import main


def test_demo_prints_the_published_numbers(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Forward primal trace" in out and "Reverse adjoint trace" in out
    assert "y = 11.652071" in out
    assert "dy/dx1 = 5.500000, dy/dx2 = 1.716338" in out


def test_no_arguments_runs_the_demo(capsys):
    assert main([]) == 0
    assert "y = 11.652071" in capsys.readouterr().out


def test_markdown_tables(capsys):
    assert main(["demo", "--markdown"]) == 0
    assert "| v_2 | v_-1 × v_0 | 10.0000 |" in capsys.readouterr().out


def test_bad_input_is_one_line_not_a_traceback(capsys):
    assert main(["demo", "--x1", "-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deepgrad: error: --x1 must be positive") and "Traceback" not in err


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "deepgrad.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("deepgrad ")


def test_unknown_demo_is_rejected():
    with pytest.raises(SystemExit):
        main(["demo", "nope"])

"""The gallery's uncertainty example runs (quick mode), saves its figure, and shows what
its docstring says (tests/gallery runs the other examples the same way)."""

import pytest

from deepgrad import gallery

pytest.importorskip("matplotlib")


def test_uncertainty_example(tmp_path, capsys):
    module = gallery.load("uncertainty")
    assert "Look at:" in module.__doc__ and gallery.summary("uncertainty")
    results = module.run(quick=True, output=str(tmp_path))
    assert list(tmp_path.glob("uncertainty.*")), "no figure saved"
    assert 0.92 <= results["coverage"] <= 0.98
    assert results["widening"] > 1.0
    assert abs(results["sigma_hat"] - 0.3) < 0.03
    evidence = results["evidence"]
    assert evidence[3] > evidence[2] > evidence[1]
    assert results["enough_units"] == 3
    printed = capsys.readouterr().out
    assert "std err" in printed and "permuting the hidden units" in printed

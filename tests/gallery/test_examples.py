"""Every example of the gallery runs (quick mode), saves its figure, and its numbers say
what its docstring says they show."""

import itertools

import numpy as np
import pytest

from deepgrad import gallery

pytest.importorskip("matplotlib")

EXPECTED = {
    "activations",
    "autodiff_trace",
    "backprop_by_hand",
    "differentiation_modes",
    "digits",
    "optimizer_paths",
    "regularization",
    "robbins_monro",
    "uncertainty",
    "shallow_net",
    "stochasticity",
    "universal_approximation",
    "vanishing_gradients",
}


def run(name, tmp_path, **options):
    results = gallery.load(name).run(quick=True, output=str(tmp_path), **options)
    figures = list(tmp_path.glob(f"{name}.*"))
    assert figures, f"{name} saved no figure"
    return results


def test_the_gallery_is_complete():
    assert set(gallery.names()) == EXPECTED
    for name in gallery.names():
        module = gallery.load(name)
        assert "Look at:" in module.__doc__, f"{name}: say what to look at in the figure"
        assert gallery.summary(name)


def test_shallow_net_recovers_sigma(tmp_path):
    results = run("shallow_net", tmp_path)
    assert abs(results["sigma_hat"] - results["sigma"]) / results["sigma"] < 0.1
    assert 0.93 < results["inside_2_sigma"] < 0.98


def test_activations_saturate_or_not(tmp_path):
    results = run("activations", tmp_path)
    assert results["sigmoid"]["max_slope"] == pytest.approx(0.25, abs=1e-4)
    assert results["sigmoid"]["slope_at_4"] < 0.02 and results["tanh"]["slope_at_4"] < 0.002
    for modern in ("relu", "elu", "gelu", "swish", "mish"):
        assert results[modern]["slope_at_4"] > 0.99
    assert all(r["error"] < 1e-8 for r in results.values())  # AD against central differences


# Keras 3.15 (JAX, float64): jax.grad of keras.activations.<name> on the example's grid
KERAS_NEWER_SLOPES = {
    # name: (max ψ′, ψ′(4), ψ′(−4))
    "squareplus": (0.9472135954999579, 0.9472135954999579, 0.05278640450004207),
    "tanh_shrink": (0.9986590493169744, 0.9986590493169744, 0.9986590493169742),
    "hard_shrink": (1.0, 1.0, 1.0),
    "soft_shrink": (1.0, 1.0, 1.0),
    "sparse_plus": (1.0, 1.0, 0.0),
    "sparse_sigmoid": (0.5, 0.0, 0.0),
}


def test_activations_has_keras_newer_ones_with_keras_slopes(tmp_path):
    results = run("activations", tmp_path)
    for name, slopes in KERAS_NEWER_SLOPES.items():
        got = [results[name][k] for k in ("max_slope", "slope_at_4", "slope_at_minus_4")]
        assert got == pytest.approx(slopes, abs=1e-12), name
        assert results[name]["error"] < 1e-8  # AD against central differences, off the kinks


def test_vanishing_gradients(tmp_path):
    results = run("vanishing_gradients", tmp_path)
    assert results["sigmoid, Glorot"]["first_over_last"] < 1e-8
    assert results["ReLU, He"]["first_over_last"] > 1e-2
    assert results["ReLU, He"]["signal"] > 100 * results["ReLU, Glorot"]["signal"]
    assert results["sigmoid, Glorot"]["train_accuracy"] < 0.3
    assert results["tanh, Glorot"]["train_accuracy"] > 0.6


def test_universal_approximation_reports_honestly(tmp_path, capsys):
    results = run("universal_approximation", tmp_path)
    assert results["shallow"][16] < results["shallow"][4]  # wider fits better
    verdict = "below" if results["deepest_below_widest"] else "not below"
    assert f"has an error {verdict} the widest" in capsys.readouterr().out


def test_stochasticity(tmp_path):
    results = run("stochasticity", tmp_path)
    full, one, mini = (results[k] for k in gallery.load("stochasticity").FORMS)
    assert full["steps"] == 5 and one["steps"] == 5 * 512 and mini["steps"] == 5 * 16
    assert mini["excess_loss"] < full["excess_loss"]  # more steps per epoch
    assert mini["excess_loss"] < one["excess_loss"]  # one-example SGD bounces at its noise floor


def test_optimizer_paths(tmp_path):
    results = run("optimizer_paths", tmp_path)
    distance = results["rosenbrock_distance"]
    assert distance["momentum 0.9"] < distance["SGD"] / 10  # with momentum, far fewer steps
    assert distance["Nesterov 0.9"] < distance["SGD"] / 10
    assert results["beale_value"]["Adam"] < results["beale_value"]["SGD"]
    escape = results["saddle_escape_step"]
    assert escape["SGD"] is None and escape["Adam"] is not None and escape["Adagrad"] is not None


def test_robbins_monro(tmp_path):
    results = run("robbins_monro", tmp_path)
    assert results["1/k"]["holds"] and results["1/k^0.75"]["holds"]
    assert not results["constant 0.1"]["holds"] and not results["1/√k"]["holds"]
    floor = results["constant 0.1"]["final_error"]
    assert results["1/k"]["final_error"] < floor / 10
    assert results["1/k^0.75"]["final_error"] < floor / 5


def test_autodiff_trace_publishes_baydins_numbers(tmp_path):
    results = run("autodiff_trace", tmp_path)
    assert results["y"] == pytest.approx(11.652071, abs=1e-6)
    assert results["dy_dx1"] == pytest.approx(5.5)
    assert results["dy_dx2"] == pytest.approx(1.716337814, abs=1e-8)
    dot = (tmp_path / "autodiff_trace.dot").read_text()
    assert '"v_-1" -> "v_2"' in dot and '"v_0" -> "v_2"' in dot and "doublecircle" in dot


def test_differentiation_modes(tmp_path):
    results = run("differentiation_modes", tmp_path)
    expanded, ad = results["expanded_sizes"], results["ad_sizes"]
    assert all(b > 1.7 * a for a, b in itertools.pairwise(expanded[1:]))  # swell
    assert len(set(np.diff(ad))) == 1  # AD: the same number of steps per iteration
    assert 1e-8 < results["best_h"] < 1e-4 and results["best_error"] < 1e-8
    # The cost of a gradient, by what it is made of (no timing in a test): forward mode
    # goes through f once per input, reverse mode once.
    assert results["forward_passes"] == results["input_sizes"]
    assert results["reverse_passes"] == [1] * len(results["input_sizes"])


def test_backprop_by_hand_equals_reverse_mode(tmp_path):
    assert max(run("backprop_by_hand", tmp_path).values()) < 1e-10


def test_regularization(tmp_path):
    results = run("regularization", tmp_path)
    none = results["none"]
    assert none["train_loss"] < 0.1  # it learns the flipped labels by heart
    for remedy in ("L2", "L1", "dropout", "early stopping"):
        assert results[remedy]["test_accuracy"] > none["test_accuracy"], remedy
    assert results["early stopping"]["epochs"] < 40


def test_digits(tmp_path):
    results = run("digits", tmp_path)
    assert results["test_accuracy"] > 0.9
    assert results["confusion"].sum() == 359

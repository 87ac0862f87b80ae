"""``evaluate`` and ``predict`` show their pass as Keras 3 does, with ``fit``'s display:
nothing at ``verbose=0``, a bar of the steps (and the running metrics) at 1, one line
``steps/steps - seconds - time per step`` and the logs at 2; ``"auto"``, ``predict``'s
default as in Keras, picks between 1 and 2 as ``fit`` does. Before, ``predict`` printed
nothing at any ``verbose`` and ``evaluate`` printed only its logs, without the steps."""

import os
import re

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.training import progress

RNG = np.random.default_rng(0)
X = RNG.standard_normal((70, 3)).astype(np.float32)  # 3 batches of 32: the last one partial
Y = X.sum(axis=1, keepdims=True)
KERNEL = np.array([[0.5], [-0.25], [1.0]], np.float32)
BIAS = np.array([0.1], np.float32)


def one_unit_net(module):
    if module is dg:
        model = dg.Sequential([dg.layers.Dense(1, input_shape=(3,))])
    else:
        model = module.Sequential([module.Input((3,)), module.layers.Dense(1)])
    model.set_weights([KERNEL, BIAS])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def shown(capsys, call):
    capsys.readouterr()
    call()
    return capsys.readouterr().out


def screen_lines(out):
    """What stays on screen: each line's text after its last carriage return."""
    return [line.split("\r")[-1].strip() for line in out.splitlines() if line.strip()]


TIMING = r"\d+s - \d+(s|ms|us)/step"  # Keras': 0s - 462us/step


def logged_numbers(line):
    return {name: float(value) for name, value in re.findall(r"(\w+): (\d+\.\d{4})", line)}


@pytest.mark.parametrize("verbose", [0, 1, 2, "auto"])
def test_evaluate_and_predict_show_their_pass(monkeypatch, capsys, verbose):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "terminal_columns", lambda stream=None: 120)
    model = one_unit_net(dg)
    prediction = shown(capsys, lambda: model.predict(X, verbose=verbose))
    evaluation = shown(capsys, lambda: model.evaluate(X, Y, verbose=verbose))
    if verbose == 0:
        assert prediction == evaluation == ""
        return
    resolved = progress.resolve_verbose(verbose)  # "auto" in a pipe: a line, as fit's
    predict_line, evaluate_line = screen_lines(prediction)[-1], screen_lines(evaluation)[-1]
    assert "3/3" in predict_line and "3/3" in evaluate_line
    assert ("\r" in prediction) == (resolved == 1)  # a bar is drawn over itself
    if resolved == 2:
        assert re.fullmatch(rf"3/3 - {TIMING}", predict_line)
        assert re.fullmatch(
            rf"3/3 - {TIMING} - loss: \d+\.\d{{4}} - mae: \d+\.\d{{4}}", evaluate_line
        )
    loss, mae = model.evaluate(X, Y, verbose=0)
    assert logged_numbers(evaluate_line) == {
        "loss": pytest.approx(loss, abs=5e-5),
        "mae": pytest.approx(mae, abs=5e-5),
    }


def test_predict_of_a_model_with_two_outputs_shows_its_pass(capsys):
    inputs = dg.Input((3,))
    model = dg.Model(inputs, [dg.layers.Dense(1)(inputs), dg.layers.Dense(2)(inputs)])
    out = shown(capsys, lambda: model.predict(X, verbose=2))
    assert re.fullmatch(rf"3/3 - {TIMING}", screen_lines(out)[-1])
    assert shown(capsys, lambda: model.predict(X, verbose=0)) == ""


def test_the_lines_match_keras(capsys):
    """Keras 3 prints ``3/3 - 0s - 462us/step - loss: 0.9261 - mae: 0.8036``: the same
    steps and numbers, from the same weights."""
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    lines = {}
    for module in (dg, keras):
        model = one_unit_net(module)
        predicted = shown(capsys, lambda model=model: model.predict(X, verbose=2))
        evaluated = shown(capsys, lambda model=model: model.evaluate(X, Y, verbose=2))
        quiet = shown(capsys, lambda model=model: model.predict(X, verbose=0))
        lines[module] = (screen_lines(predicted), screen_lines(evaluated), quiet)
    (ours_predict, ours_evaluate, ours_quiet) = lines[dg]
    (their_predict, their_evaluate, their_quiet) = lines[keras]
    assert len(ours_predict) == len(their_predict) == 1
    assert len(ours_evaluate) == len(their_evaluate) == 1
    assert re.fullmatch(rf"3/3 - {TIMING}", their_predict[0])  # the form deepgrad's takes
    assert ours_predict[0].split(" - ")[0] == their_predict[0].split(" - ")[0] == "3/3"
    assert ours_evaluate[0].split(" - ")[0] == their_evaluate[0].split(" - ")[0] == "3/3"
    assert logged_numbers(ours_evaluate[0]) == logged_numbers(their_evaluate[0])
    assert ours_quiet == their_quiet == ""

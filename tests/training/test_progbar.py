"""utils.Progbar: Keras' averaging and last-update rules, shown by fit's display."""

import re

import numpy as np
import pytest

from deepgrad.utils import Progbar

# (current, values) sequences; the values Keras 3.15's Progbar keeps after each
# (its _values: name -> [weighted sum, steps]) are compared below.
UPDATES = [
    (1, [("loss", 1.0), ("acc", 0.5)]),
    (3, [("loss", 0.5), ("acc", 1.0)]),
    (4, [("loss", 0.25)]),
]


def _run(bar, updates=UPDATES):
    for current, values in updates:
        bar.update(current, values)
    return bar


def test_averages_weighted_by_steps_and_last_update_as_given():
    bar = Progbar(5, verbose=0)
    _run(bar)
    # (1*1 + 0.5*2 + 0.25*1) / 4 steps; acc (0.5*1 + 1.0*2) / 3
    assert bar._values == {"loss": [2.25, 4], "acc": [2.5, 3]}
    assert bar.average("loss") == 0.5625
    bar.update(5, [("loss", 0.1)])  # the last step: shown as given, as Keras does
    assert bar.average("loss") == 0.1


def test_stateful_and_stateless_metrics():
    bar = _run(Progbar(10, verbose=0, stateful_metrics=["acc"]))
    assert bar._values["acc"] == [1.0, 1] and bar._values["loss"] == [2.25, 4]
    bar = _run(Progbar(10, verbose=0, stateless_metrics=["acc"]))
    assert bar._values["acc"] == [2.5, 3] and bar._values["loss"] == [0.25, 1]
    with pytest.raises(ValueError, match="not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_add_moves_on_from_the_last_step():
    bar = Progbar(None, verbose=0)
    for value in (1.0, 2.0, 3.0):
        bar.add(1, [("loss", value)])
    assert bar._values == {"loss": [6.0, 3]}


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(target=5),
        dict(target=10, stateful_metrics=["acc"]),
        dict(target=10, stateless_metrics=["acc"]),
    ],
)
def test_values_match_keras(kwargs):
    keras = pytest.importorskip("keras")
    reference = _run(keras.utils.Progbar(verbose=0, **kwargs))
    bar = _run(Progbar(verbose=0, **kwargs))
    assert bar._values == {k: [float(v[0]), v[1]] for k, v in reference._values.items()}


def test_verbose_2_prints_keras_line_at_the_end(capsys):
    bar = Progbar(4, verbose=2, stateful_metrics=["acc"], unit_name="sample")
    for i in range(1, 5):
        bar.update(i, [("loss", 1.0 / i), ("acc", i / 4)])
    # Keras 3.15: "4/4 - 0s - 2us/step - loss: 0.2500 - acc: 1.0000" (unit "step")
    out = capsys.readouterr().out
    assert re.fullmatch(r"4/4 - 0s - \d+us/sample - loss: 0\.2500 - acc: 1\.0000\n", out)


def test_verbose_1_draws_the_bar(capsys):
    pytest.importorskip("tqdm")
    bar = Progbar(3, verbose=1, width=7)
    for i in range(1, 4):
        bar.update(i, [("loss", np.float32(2.0))])
    out = capsys.readouterr().out
    assert "3/3" in out and "█" * 7 in out and "█" * 8 not in out and "loss: 2.0000" in out


def test_refuses_bad_arguments():
    with pytest.raises(TypeError, match=r"target must be an integer or None, got 2\.5"):
        Progbar(2.5)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="verbose"):
        Progbar(3, verbose=3)
    with pytest.raises(KeyError, match="no metric 'x'"):
        Progbar(3, verbose=0).average("x")

"""A class of the user's own that bears a built-in's name (a subclass of deepgrad's SGD
called SGD, with another update) is refused on save: its file would load the built-in,
whose numbers differ, without a word. Before, an optimizer of any class was written
under its class name, and a loss, metric or schedule under a built-in's name was too."""

import numpy as np
import pytest

import deepgrad as dg


class SGD(dg.optimizers.SGD):
    """Named as the built-in, with ten times its step."""

    def update(self, values, grads, state, rate, group):
        values -= 10 * rate * grads


class MeanSquaredError(dg.losses.MeanSquaredError):
    def call(self, y_true, y_pred):
        return 2 * super().call(y_true, y_pred)


class AUC(dg.metrics.Metric):
    def values(self, y_true, y_pred):
        return np.abs(y_true - y_pred)


class ExponentialDecay(dg.optimizers.schedules.ExponentialDecay):
    pass


class MyAdam(dg.optimizers.Adam):
    pass


def _model():
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1)])
    return model


@pytest.mark.parametrize(
    ("compile_settings", "refused"),
    [
        ({"optimizer": SGD(0.1), "loss": "mse"}, "optimizer SGD"),
        ({"optimizer": MyAdam(), "loss": "mse"}, "optimizer MyAdam"),
        ({"optimizer": "sgd", "loss": MeanSquaredError()}, "not a built-in loss"),
        ({"optimizer": "sgd", "loss": "mse", "metrics": [AUC("auc")]}, "not a built-in metric"),
        (
            {"optimizer": dg.optimizers.SGD(ExponentialDecay(0.1, 10, 0.5)), "loss": "mse"},
            "not a built-in schedule",
        ),
    ],
    ids=["optimizer named SGD", "optimizer of its own", "loss", "metric", "schedule"],
)
def test_a_class_of_ones_own_is_refused_on_save(tmp_path, compile_settings, refused):
    model = _model()
    model.compile(**compile_settings)
    with pytest.raises(ValueError, match=refused):
        model.save(tmp_path / "model.dg")
    assert not (tmp_path / "model.dg").exists()  # nothing written


def test_the_built_ins_still_save_and_load(tmp_path):
    model = _model()
    schedule = dg.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model.compile(dg.optimizers.SGD(schedule), dg.losses.MeanSquaredError(), metrics=["mae"])
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    model.save(tmp_path / "model.dg")
    loaded = dg.saving.load_model(tmp_path / "model.dg")
    assert type(loaded.optimizer) is dg.optimizers.SGD
    assert type(loaded.loss) is dg.losses.MeanSquaredError

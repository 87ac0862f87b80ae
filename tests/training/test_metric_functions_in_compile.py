"""``compile(metrics=[...])`` takes a function of (y_true, y_pred) and a metric class, as
Keras 3's compile does: the function is averaged over the samples and logged under its
name, the class is made with its defaults. deepgrad refused both ("unknown metric
<function ...>"). A model compiled with one of deepgrad's metric functions saves and loads;
one with a function of one's own is refused on save (a file holds no code)."""

import numpy as np
import pytest

import deepgrad as dg


def absolute_gap(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, 3)).astype(np.float32), rng.random((32, 1)).round()


def _model(metrics):
    dg.random.seed(0)
    model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "mse", metrics=metrics)
    return model


def test_a_function_is_averaged_and_logged_under_its_name():
    x, y = _data()
    logs = _model([absolute_gap, "mae"]).evaluate(x, y, verbose=0, return_dict=True)
    assert logs["absolute_gap"] == pytest.approx(logs["mae"], rel=1e-7)


def test_a_metric_class_is_made_with_its_defaults():
    x, y = _data()
    model = _model([dg.metrics.AUC])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    auc = dg.metrics.AUC()
    auc.update_state(y, model.predict(x, verbose=0))
    assert logs["auc"] == pytest.approx(auc.result(), rel=1e-7)


def test_deepgrads_metric_functions_save_and_load(tmp_path):
    x, y = _data()
    model = _model([dg.metrics.mean_absolute_error, dg.metrics.binary_accuracy])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "model.dg")
    loaded = dg.saving.load_model(tmp_path / "model.dg")
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == before


def test_a_function_of_ones_own_is_refused_on_save_and_nothing_written(tmp_path):
    x, y = _data()
    model = _model([absolute_gap])
    model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="absolute_gap"):
        model.save(tmp_path / "model.dg")
    assert not (tmp_path / "model.dg").exists()


def test_keras_logs_a_function_under_its_name_too():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("checked with Keras on JAX")
    x, y = _data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "mse", metrics=[keras.metrics.mean_absolute_error])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mean_absolute_error"}

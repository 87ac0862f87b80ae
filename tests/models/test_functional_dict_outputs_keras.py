"""A dict of outputs (or inputs) is flattened as Keras 3 flattens it, in sorted key order:
the layers and weights (so ``set_weights(keras_model.get_weights())`` puts each weight
where Keras has it), ``outputs``, ``output_names``, a list of losses and ``evaluate``'s
list follow it. deepgrad walked the dict in the order it was written, so a Keras model's
weights landed on the other output's layer without a word when the shapes agreed."""

import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.saving import model_file

RNG = np.random.default_rng(0)
XA = RNG.normal(size=(10, 3)).astype("float32")
XB = RNG.normal(size=(10, 2)).astype("float32")
Y_PRICE = RNG.normal(size=(10, 1)).astype("float32")
Y_KIND = RNG.normal(size=(10, 1)).astype("float32")
Y = {"price": Y_PRICE, "kind": Y_KIND}


def build(lib):
    """Two outputs of one shape, keyed "price" then "kind" (not in sorted order)."""
    layers = lib.layers
    a, b = lib.Input((3,), name="in_a"), lib.Input((2,), name="in_b")
    h = layers.Concatenate(name="cat")(
        [layers.Dense(4, name="da")(a), layers.Dense(4, name="db")(b)]
    )
    price = layers.Dense(1, name="dense_price")(h)
    kind = layers.Dense(1, activation="tanh", name="dense_kind")(h)
    return lib.Model([a, b], {"price": price, "kind": kind})


def keras_model():
    os.environ["KERAS_BACKEND"] = "jax"
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(3)
    return keras, build(keras)


def test_layers_and_weights_follow_keras_sorted_keys():
    # Keras 3.15 walks "kind" first: ... cat, dense_kind, dense_price; deepgrad listed
    # dense_price first, so Keras' weights went to the other output's Dense silently
    _, theirs = keras_model()
    ours = build(dg)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [layer.name for layer in ours.layers][-2:] == ["dense_kind", "dense_price"]
    ours.set_weights(theirs.get_weights())
    expected, got = theirs.predict([XA, XB], verbose=0), ours.predict([XA, XB], verbose=0)
    for key in ("price", "kind"):
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    assert ours.output_names == ["kind", "price"]
    assert [t._keras_history[0].name for t in ours.outputs] == ["dense_kind", "dense_price"]


def test_a_list_of_losses_is_read_in_sorted_key_order():
    # Keras 3.15 gives the first loss of the list to "kind", the first key in sorted
    # order; deepgrad gave it to "price", the first key written
    keras, theirs = keras_model()
    ours = build(dg)
    ours.set_weights(theirs.get_weights())
    results = []
    for lib, model in ((keras, theirs), (dg, ours)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=["mae", "mse"])
        history = model.fit([XA, XB], Y, batch_size=4, shuffle=False, verbose=0).history
        results.append((history, model.evaluate([XA, XB], Y, verbose=0, return_dict=True)))
    (their_history, their_eval), (history, evaluated) = results
    for theirs_logs, ours_logs in ((their_history, history), (their_eval, evaluated)):
        assert sorted(ours_logs) == sorted(theirs_logs)
        for key, value in theirs_logs.items():
            np.testing.assert_allclose(ours_logs[key], value, rtol=1e-4, err_msg=key)


@pytest.mark.parametrize("order", [("price", "kind"), ("kind", "price")])
def test_evaluate_lists_the_output_losses_in_the_loss_dicts_order(order):
    # Keras 3.15: loss, then each output's loss in the order of the loss dict (for a dict
    # of outputs), then the metrics by name; deepgrad listed the outputs' order
    losses = {"price": "mse", "kind": "mae"}
    keras, theirs = keras_model()
    ours = build(dg)
    ours.set_weights(theirs.get_weights())
    lists = []
    for lib, model in ((keras, theirs), (dg, ours)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.1),
            loss={key: losses[key] for key in order},
            metrics={"price": ["mae"], "kind": ["mse"]},
        )
        lists.append(model.evaluate([XA, XB], Y, verbose=0))
    np.testing.assert_allclose(lists[1], lists[0], rtol=1e-5)
    logs = ours.evaluate([XA, XB], Y, verbose=0, return_dict=True)
    assert lists[1][1] == pytest.approx(logs[f"{order[0]}_loss"])


def test_a_list_for_a_dict_of_inputs_out_of_sorted_order_is_refused():
    # Keras 3.15 refuses it ("The structure of `inputs` doesn't match"); deepgrad took
    # the list in the dict's order
    a, b = dg.Input((1,), name="zz"), dg.Input((1,), name="bb")
    model = dg.Model({"z": a, "b": b}, dg.layers.Subtract()([a, b]))
    assert model.input_names == ["b", "z"]
    with pytest.raises(ValueError, match="pass a dict keyed by input name"):
        model.predict([np.ones((2, 1)), np.zeros((2, 1))], verbose=0)
    given = {"z": np.ones((2, 1)), "b": np.zeros((2, 1))}
    np.testing.assert_array_equal(model.predict(given, verbose=0), np.ones((2, 1)))


def saved_as_format_2(path, monkeypatch, **compile_kwargs):
    dg.random.seed(0)
    model = build(dg)
    model.compile(optimizer="adam", **compile_kwargs)
    model.fit([XA, XB], Y, epochs=1, verbose=0)
    with monkeypatch.context() as patch:
        patch.setattr(model_file, "FORMAT_VERSION", "2")
        model.save(path)
    return model


def test_a_format_2_optimizer_state_for_unsorted_outputs_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "m.dg"
    model = saved_as_format_2(path, monkeypatch, loss={"price": "mse", "kind": "mae"})
    assert model.weights_listed_otherwise_in_format_2()
    with pytest.raises(ValueError, match="a dict of outputs in the dict's order"):
        dg.load_model(path)
    loaded = dg.load_model(path, compile=False)  # the weights load by name
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    model.save(path)  # format 3: loads with its state
    assert dg.load_model(path).optimizer.iterations == model.optimizer.iterations


def test_format_2_lists_of_losses_for_unsorted_outputs_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "m.dg"
    saved_as_format_2(path, monkeypatch, loss=["mse", "mae"])
    with pytest.raises(ValueError, match=r"saved \['loss'\] are lists"):
        dg.load_model(path)

"""The cached weight lists follow every change of a model's structure: each way a weight
or a sublayer can come or go, or stop or start training, is made here between two reads,
and the list read after it must be what a fresh walk gives."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import layers, losses
from deepgrad.layers.base import Layer


def _walked(model):
    """The trainable weights by a fresh walk (no cache)."""
    return [w for _, w, trainable, _ in model.named_weights() if trainable]


def _same(model):
    assert [id(w) for w in model.trainable_weights] == [id(w) for w in _walked(model)]
    # Keras' order, layer by layer whatever is frozen: for these layers, whose weights were
    # all created trainable, the order named_weights walks them in
    assert [id(w) for w in model.weights] == [id(w) for _, w, _, _ in model.named_weights()]


class Blocks(Layer):
    def __init__(self):
        super().__init__()
        self.blocks = []
        self.table = {}

    def call(self, inputs, training=False):
        for block in [*self.blocks, *self.table.values()]:
            inputs = block(inputs)
        return inputs


def _built(layer, features=3):
    layer(np.ones((2, features), np.float32))
    return layer


def test_appending_to_a_list_attribute_is_seen():
    model = Blocks()
    _same(model)
    model.blocks.append(_built(layers.Dense(3)))
    _same(model)
    assert len(model.trainable_weights) == 2
    model.blocks[0] = _built(layers.Dense(3))  # replaced in place
    _same(model)
    model.blocks.pop()
    assert model.trainable_weights == []


def test_adding_to_a_dict_attribute_is_seen():
    model = Blocks()
    _same(model)
    model.table["a"] = _built(layers.Dense(3))
    _same(model)
    assert len(model.trainable_weights) == 2
    del model.table["a"]
    assert model.trainable_weights == []


def test_setting_and_deleting_attributes_is_seen():
    model = Blocks()
    model.head = _built(layers.Dense(2))
    _same(model)
    model.w = dg.tensor(np.ones(3), requires_grad=True)
    _same(model)
    assert len(model.trainable_weights) == 3
    del model.head
    _same(model)
    assert len(model.trainable_weights) == 1


def test_requires_grad_of_an_attribute_tensor_is_seen():
    model = Blocks()
    model.w = dg.tensor(np.ones(3), requires_grad=True)
    assert len(model.trainable_weights) == 1
    model.w.requires_grad = False
    assert model.trainable_weights == []
    model.w.requires_grad = True
    assert len(model.trainable_weights) == 1


def test_freezing_and_add_weight_are_seen():
    model = dg.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    model.build_for((None, 3))
    assert len(model.trainable_weights) == 4
    model.layers[0].trainable = False
    _same(model)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.layers[0].trainable = True
    assert len(model.trainable_weights) == 4
    model.layers[1].add_weight("extra", (2,))
    _same(model)
    assert len(model.trainable_weights) == 5
    model.add(layers.Dense(1))
    model(np.ones((1, 3), np.float32))
    _same(model)
    assert len(model.trainable_weights) == 7


def test_using_weights_swaps_are_seen():
    from deepgrad.models.stateless import using_weights

    model = dg.Sequential([layers.Dense(2, input_shape=(3,))])
    originals = model.trainable_weights
    values = [np.zeros(w.shape, np.float32) for w in originals]
    with using_weights(model, values):
        inside = model.trainable_weights
        _same(model)
        assert all(a is not b for a, b in zip(inside, originals, strict=True))
    assert [id(w) for w in model.trainable_weights] == [id(w) for w in originals]


def test_a_callback_freezing_a_layer_mid_fit_is_an_error_not_a_silent_update():
    """The optimizer is bound to the weights; freezing one between batches must not leave
    it updating the frozen weights (Keras asks for compile() again; so do we)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 3)).astype(np.float32), rng.integers(0, 2, 64)
    for jit in (False, True):
        model = dg.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
        model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)

        class Freeze(dg.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch == 2:
                    self.model.layers[0].trainable = False

        with pytest.raises(RuntimeError, match="compile"):
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Freeze()])


def test_shapes_set_on_every_call_do_not_mark_the_structure_changed():
    from deepgrad.layers import weight_lists

    model = dg.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    x = np.ones((5, 3), np.float32)
    model(x)
    before = weight_lists._VERSION[0]
    model(x)
    assert weight_lists._VERSION[0] == before


def test_a_renamed_dict_entry_renames_the_weights_paths():
    model = Blocks()
    model.table["a"] = _built(layers.Dense(3))
    assert [path for path, *_ in model._weights_now().entries] == ["table.a.kernel", "table.a.bias"]
    model.table["b"] = model.table.pop("a")
    assert [path for path, *_ in model._weights_now().entries] == ["table.b.kernel", "table.b.bias"]


def test_an_optimizer_built_again_on_other_weights_is_caught_between_batches():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)).astype(np.float32), rng.integers(0, 2, 16)
    for jit in (False, True):
        model = dg.Sequential([layers.Dense(2, input_shape=(3,))])
        model.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True), jit=jit)
        for _ in range(3):
            model.train_on_batch(x, y)
        model.optimizer.build([dg.tensor(np.zeros(3, np.float32), requires_grad=True)])
        with pytest.raises(RuntimeError, match="compile"):
            model.train_on_batch(x, y)

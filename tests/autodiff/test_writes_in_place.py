"""A Tensor written in place after a graph used it: the reverse pass raises instead of
returning a gradient of values the forward pass never saw, as PyTorch does; writes before
the graph, after backward(), or to tensors the graph never read change nothing."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

torch = pytest.importorskip("torch")

WRITTEN = "was written in place after"

pytestmark = pytest.mark.usefixtures("tape_engine")


def leaf(values=(1.0, 2.0, 3.0)):
    return dg.tensor(np.array(values), requires_grad=True)


def constant(values=(1.0, 1.5, 2.0)):
    return dg.tensor(np.array(values))


def write_add(c):
    c += 1.0


def write_subtract(c):
    c -= 1.0


def write_multiply(c):
    c *= 2.0


def write_divide(c):
    c /= 2.0


def write_item(c):
    c[0] = 5.0


@pytest.mark.parametrize(
    "write", [write_add, write_subtract, write_multiply, write_divide, write_item]
)
def test_a_constant_written_after_a_product_read_it_raises(write):
    x, c = leaf(), constant()
    y = (x * c).sum()
    write(c)
    with pytest.raises(RuntimeError, match=r"input 1 of multiply \(float64 \[3\]\) " + WRITTEN):
        y.backward()


def test_pytorch_raises_in_the_same_case():
    """The behaviour matched: PyTorch's version counters refuse the same gradient."""
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    c = torch.tensor([1.0, 1.5, 2.0], dtype=torch.float64)
    y = (x * c).sum()
    c += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_an_output_written_under_no_grad_raises():
    """tanh's rule reads its own output: written, the gradient would be 1 - (y + 1)²."""
    x = leaf()
    y = dnp.tanh(x)
    with dg.no_grad():
        y += 1.0
    with pytest.raises(RuntimeError, match=r"the output of tanh \(float64 \[3\]\) " + WRITTEN):
        y.sum().backward()


def test_an_output_given_a_new_array_raises_and_a_leaf_does_not():
    """``y.data = ...`` on an op's output replaces the answer its rule reads; on a leaf it
    changes nothing a rule reads (the graph holds the old array), as in PyTorch."""
    x = leaf()
    y = dnp.tanh(x)
    y.data = np.zeros(3)
    with pytest.raises(RuntimeError, match="the output of tanh"):
        y.sum().backward()
    w = leaf()
    z = (w * w).sum()
    w.data = np.full(3, 7.0)
    z.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0, 6.0])


def test_an_optimizer_step_between_forward_and_backward_raises():
    """The second step writes the flat buffer the weight's array lives in: the graph made
    before it would have mixed old and new weights (1.4, 3.0, 4.6 instead of 1.6, 3.2, 4.8)."""
    w = leaf()
    optimizer = dg.optimizers.SGD(learning_rate=0.1)
    (w * w).sum().backward()
    optimizer.apply_gradients([(w.grad, w)])
    y = (w * w).sum()
    w.grad = dg.tensor(np.ones(3))
    optimizer.step()
    with pytest.raises(RuntimeError, match="input 0 of multiply"):
        y.backward()


def test_a_training_loop_in_the_right_order_matches_pytorch():
    """Forward, backward, step, three times: every write comes after the graph it follows
    is done with, so nothing raises, and the weights are PyTorch's."""
    start = np.array([[0.5, -1.0], [1.5, 0.25]])
    data = np.array([[1.0, 2.0], [-0.5, 0.5], [2.0, -1.0]])
    w = dg.tensor(start.copy(), requires_grad=True)
    optimizer = dg.optimizers.SGD([w], learning_rate=0.1, momentum=0.9)
    tw = torch.tensor(start.copy(), requires_grad=True)
    torch_optimizer = torch.optim.SGD([tw], lr=0.1, momentum=0.9)
    for _ in range(3):
        optimizer.zero_grad()
        (dnp.tanh(dg.tensor(data) @ w) ** 2).sum().backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        (torch.tanh(torch.from_numpy(data) @ tw) ** 2).sum().backward()
        torch_optimizer.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-12)


def test_writes_before_the_graph_after_backward_or_elsewhere_change_nothing():
    x, c, other = leaf(), constant(), constant()
    c += 1.0  # before: the graph reads the new values
    y = (x * c).sum()
    other += 1.0  # a tensor this graph never read
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.5, 3.0])
    c += 1.0  # after: the gradient is computed already
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.5, 3.0])


def test_a_write_between_two_backward_passes_of_a_kept_graph_raises():
    x, c = leaf(), constant()
    y = (x * c).sum()
    y.backward(retain_graph=True)
    c *= 3.0
    with pytest.raises(RuntimeError, match="input 1 of multiply"):
        y.backward()


def test_a_constant_written_inside_a_differentiated_function_raises():
    c = constant()

    def f(x):
        y = (x * c).sum()
        c[1] = 0.0  # written after the product read it
        return y

    with pytest.raises(RuntimeError, match="input 1 of multiply"):
        dg.grad(f)(np.array([1.0, 2.0, 3.0]))


def test_a_tensor_in_a_list_is_checked_and_more_strictly_than_pytorch():
    """A list of arrays reaches the primitive spread out, one input each. deepgrad's nodes
    keep every input, so it raises for any op that read the written tensor; PyTorch only
    for an op that saved it for its gradient, which concatenation does not: an error
    where PyTorch would have given the right gradient, never a wrong number."""
    x, c = leaf(), constant()
    y = (dnp.concatenate([x, c]) * 2.0).sum()
    c += 1.0
    with pytest.raises(RuntimeError, match=r"input 1 of concatenate"):
        y.backward()


def test_set_weights_and_variable_assign_count_as_writes():
    layer = dg.layers.Dense(2, use_bias=False)
    x = dg.tensor(np.ones((1, 3)), requires_grad=True)
    y = layer(x).sum()  # x's gradient reads the kernel
    layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(RuntimeError, match=WRITTEN):
        y.backward()
    y = layer(x).sum()
    layer.kernel.assign_add(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match=WRITTEN):
        y.backward()


def test_load_weights_counts_as_a_write(tmp_path):
    model = dg.Sequential([dg.layers.Dense(2, use_bias=False)])
    model.build((None, 3))
    path = tmp_path / "weights.safetensors"
    model.save_weights(path)
    x = dg.tensor(np.ones((1, 3)), requires_grad=True)
    y = model(x).sum()
    model.load_weights(path)
    with pytest.raises(RuntimeError, match=WRITTEN):
        y.backward()


def test_zero_grad_counts_as_a_write_to_the_gradients():
    w = leaf()
    optimizer = dg.optimizers.SGD([w], learning_rate=0.1)
    (w * w).sum().backward()
    x = leaf((1.0, 1.0, 1.0))
    y = (x * w.grad).sum()  # reads the gradient buffer, which zero_grad fills with zeros
    optimizer.zero_grad()
    with pytest.raises(RuntimeError, match="input 1 of multiply"):
        y.backward()


def test_an_lbfgs_step_counts_as_a_write():
    w = leaf()
    optimizer = dg.optimizers.LBFGS([w], max_iter=2)

    def closure():
        optimizer.zero_grad()
        loss = ((w - 2.0) ** 2).sum()
        loss.backward()
        return loss

    y = (w * w).sum()
    optimizer.step(closure)
    with pytest.raises(RuntimeError, match="input 0 of multiply"):
        y.backward()


def test_a_view_of_a_written_constant_raises():
    """``c[0]`` shares ``c``'s memory: writing ``c`` writes what the product read through
    the view (the gradient would be 1, 2, 3 instead of 0, 1, 2). PyTorch raises too."""
    x = leaf()
    c = dg.tensor(np.arange(6.0).reshape(2, 3))
    view = c[0]
    y = (x * view).sum()
    c += 1.0
    with pytest.raises(RuntimeError, match="input 1 of multiply"):
        y.backward()


def test_what_is_remembered_of_written_arrays_goes_with_them():
    import gc
    import sys

    tensor_module = sys.modules["deepgrad.tensor"]
    gc.collect()  # what earlier tests left for the collector goes first, not inside the count
    before = len(tensor_module._WRITTEN_OWNERS)
    c = constant()
    c += 1.0
    assert len(tensor_module._WRITTEN_OWNERS) == before + 1
    del c
    gc.collect()
    assert len(tensor_module._WRITTEN_OWNERS) == before


def test_writing_a_recorded_value_into_a_constant_raises_instead_of_dropping_it():
    """``c[0] = x[0]`` or ``c += x`` copied x's numbers and left x out of the graph: the
    gradient of ``(c * x).sum()`` came out 2, not PyTorch's 4."""
    x = dg.tensor(np.array([2.0]), requires_grad=True)
    c = dg.tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"Tensor item assignment: .*x.at\[index\].set"):
        c[0] = x[0]
    with pytest.raises(RuntimeError, match=r"in-place add: .*requires grad"):
        c += x
    np.testing.assert_array_equal(c.numpy(), [0.0, 0.0, 0.0])  # refused before writing
    c = c.at[0].set(x[0])  # the recorded form: PyTorch's gradient
    (c * x).sum().backward()
    tx = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    tc = torch.zeros(3, dtype=torch.float64)
    tc[0] = tx[0]
    (tc * tx).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_writing_a_recorded_value_is_allowed_where_nothing_records():
    x = dg.tensor(np.array([2.0]), requires_grad=True)
    c = dg.tensor(np.zeros(3))
    with dg.no_grad():
        c[0] = x[0]
        c += x
    np.testing.assert_array_equal(c.numpy(), [4.0, 2.0, 2.0])


def test_writing_a_traced_value_into_a_constant_raises_inside_a_transform():
    def f(x):
        c = dg.tensor(np.zeros(2))
        c += x
        return (c * x).sum()

    with pytest.raises(RuntimeError, match=r"in-place add: .*stop_gradient"):
        dg.grad(f)(np.array([1.0, 2.0]))

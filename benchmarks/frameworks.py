"""One full training step (forward, backward, update) of the same fully connected net in
each framework: ReLU hidden layers, a linear output, mean softmax cross-entropy on integer
labels, float32, SGD (lr 0.01) or Adam (lr 1e-3, PyTorch's constants).

Every builder takes the same initial weights and the same batches and returns a function
``step(x, y) -> loss``. ``benchmarks/suite.py`` runs each in its own process.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LEARNING_RATE = {"sgd": 0.01, "adam": 1e-3}
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8

Step = Callable[[np.ndarray, np.ndarray], float]


def deepgrad_eager(weights: list[np.ndarray], optimizer: str, compiled: bool = False) -> Step:
    import deepgrad as dg
    from deepgrad import layers, losses, optimizers

    model = dg.Sequential(
        [layers.Dense(w.shape[1], activation="relu") for w, _ in weights[:-1]]
        + [layers.Dense(weights[-1][0].shape[1])]
    )
    model(np.zeros((1, weights[0][0].shape[0]), np.float32))
    model.set_weights([array for pair in weights for array in pair])
    rate = LEARNING_RATE[optimizer]
    opt = (
        optimizers.SGD(model.trainable_weights, learning_rate=rate)
        if optimizer == "sgd"
        else optimizers.Adam(model.trainable_weights, learning_rate=rate)
    )
    loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(x, y):
        loss = loss_fn(y, model(x, training=True))
        loss.backward()
        opt.step()
        opt.zero_grad()
        return float(loss.numpy())

    if not compiled:
        return step

    def forward_backward(x, y):
        # What model.compile(jit=True) records: .grad overwritten (no zero_grad needed),
        # each gradient computed straight into the optimizer's flat buffer.
        loss = loss_fn(y, model(x, training=True))
        dg.autodiff.graph.backward(loss, accumulate=False)
        return loss

    compiled_forward_backward = dg.compile(forward_backward)

    def compiled_step(x, y):
        loss = compiled_forward_backward(x, y)
        opt.step()
        return float(loss.numpy())

    return compiled_step


def deepgrad_compiled(weights: list[np.ndarray], optimizer: str) -> Step:
    return deepgrad_eager(weights, optimizer, compiled=True)


def deepgrad_train_on_batch(weights: list[np.ndarray], optimizer: str) -> Step:
    """The user's path to the compiled step: ``compile(..., jit=True)`` then
    ``train_on_batch``, metrics and loss tracking included."""
    import deepgrad as dg
    from deepgrad import layers, losses, optimizers

    model = dg.Sequential(
        [layers.Dense(w.shape[1], activation="relu") for w, _ in weights[:-1]]
        + [layers.Dense(weights[-1][0].shape[1])]
    )
    model(np.zeros((1, weights[0][0].shape[0]), np.float32))
    model.set_weights([array for pair in weights for array in pair])
    make = optimizers.SGD if optimizer == "sgd" else optimizers.Adam
    model.compile(
        optimizer=make(learning_rate=LEARNING_RATE[optimizer]),
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        jit=True,
    )

    def step(x, y):
        return float(model.train_on_batch(x, y, return_dict=True)["loss"])

    return step


def torch_model(weights: list[np.ndarray], optimizer: str, device: str = "cpu"):
    """The MLP with the given weights, its optimizer and loss, in PyTorch on ``device``."""
    import torch

    modules = []
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(*w.shape, device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if i < len(weights) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    rate = LEARNING_RATE[optimizer]
    opt = (
        torch.optim.SGD(model.parameters(), lr=rate)
        if optimizer == "sgd"
        else torch.optim.Adam(model.parameters(), lr=rate)
    )
    return model, opt, torch.nn.CrossEntropyLoss()


def torch_eager(weights: list[np.ndarray], optimizer: str, compiled: bool = False) -> Step:
    import torch

    model, opt, loss_fn = torch_model(weights, optimizer)

    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = torch.compile(train_step) if compiled else train_step

    def step(x, y):
        return float(run(torch.from_numpy(x), torch.from_numpy(y)))

    return step


def torch_compiled(weights: list[np.ndarray], optimizer: str) -> Step:
    return torch_eager(weights, optimizer, compiled=True)


def jax_jit(weights: list[np.ndarray], optimizer: str) -> Step:
    import jax
    import jax.numpy as jnp

    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in weights]
    rate = LEARNING_RATE[optimizer]

    def loss_fn(params, x, y):
        a = x
        for w, b in params[:-1]:
            a = jax.nn.relu(a @ w + b)
        logits = a @ params[-1][0] + params[-1][1]
        log_probabilities = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(log_probabilities, y[:, None], axis=1))

    if optimizer == "sgd":

        @jax.jit
        def update(params, state, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            return jax.tree.map(lambda p, g: p - rate * g, params, grads), state, loss

        state = None
    else:

        @jax.jit
        def update(params, state, x, y):
            loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
            m, v, t = state
            t = t + 1
            m = jax.tree.map(lambda m, g: BETA_1 * m + (1 - BETA_1) * g, m, grads)
            v = jax.tree.map(lambda v, g: BETA_2 * v + (1 - BETA_2) * g * g, v, grads)
            scale = rate * jnp.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)

            def apply(p, m, v):
                return p - scale * m / (jnp.sqrt(v) + EPSILON * jnp.sqrt(1 - BETA_2**t))

            return jax.tree.map(apply, params, m, v), (m, v, t), loss

        zeros = jax.tree.map(jnp.zeros_like, params)
        state = (zeros, zeros, 0)

    holder = {"params": params, "state": state}

    def step(x, y):
        holder["params"], holder["state"], loss = update(holder["params"], holder["state"], x, y)
        return float(loss)

    return step


class _Update:
    """SGD or Adam in place on lists of NumPy arrays (the by-hand and autograd baselines)."""

    def __init__(self, params: list[np.ndarray], optimizer: str) -> None:
        self.params, self.optimizer = params, optimizer
        self.rate = LEARNING_RATE[optimizer]
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def __call__(self, grads: list[np.ndarray]) -> None:
        if self.optimizer == "sgd":
            for p, g in zip(self.params, grads, strict=True):
                p -= self.rate * g
            return
        self.t += 1
        t = self.t
        scale = self.rate * np.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m *= BETA_1
            m += (1 - BETA_1) * g
            v *= BETA_2
            v += (1 - BETA_2) * g * g
            p -= scale * m / (np.sqrt(v) + EPSILON * np.sqrt(1 - BETA_2**t))


def numpy_by_hand(weights: list[np.ndarray], optimizer: str) -> Step:
    """Backpropagation written out: what a careful person writes without a framework."""
    params = [array.copy() for pair in weights for array in pair]
    update = _Update(params, optimizer)

    def step(x, y):
        activations = [x]
        for i in range(0, len(params) - 2, 2):
            activations.append(np.maximum(activations[-1] @ params[i] + params[i + 1], 0))
        logits = activations[-1] @ params[-2] + params[-1]
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.mean(np.log(probabilities[np.arange(n), y]))
        delta = probabilities
        delta[np.arange(n), y] -= 1
        delta /= n
        grads = [None] * len(params)
        for layer in range(len(params) // 2 - 1, -1, -1):
            grads[2 * layer] = activations[layer].T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ params[2 * layer].T) * (activations[layer] > 0)
        update(grads)
        return float(loss)

    return step


def hips_autograd(weights: list[np.ndarray], optimizer: str) -> Step:
    import autograd
    import autograd.numpy as anp

    params = [array.copy() for pair in weights for array in pair]
    update = _Update(params, optimizer)

    def loss_fn(params, x, y):
        a = x
        for i in range(0, len(params) - 2, 2):
            a = anp.maximum(anp.dot(a, params[i]) + params[i + 1], 0)
        logits = anp.dot(a, params[-2]) + params[-1]
        shifted = logits - anp.max(logits, axis=1, keepdims=True)
        log_probabilities = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
        return -anp.mean(log_probabilities[anp.arange(len(y)), y])

    value_and_grad = autograd.value_and_grad(loss_fn)

    def step(x, y):
        loss, grads = value_and_grad(params, x, y)
        update([np.asarray(g, np.float32) for g in grads])
        return float(loss)

    return step


FRAMEWORKS: dict[str, Callable[[list, str], Step]] = {
    "deepgrad eager": deepgrad_eager,
    "deepgrad compiled": deepgrad_compiled,
    "deepgrad train_on_batch": deepgrad_train_on_batch,
    # The same two with DEEPGRAD_BLAS=mkl in the worker's environment (suite.py sets it).
    "deepgrad compiled (MKL)": deepgrad_compiled,
    "deepgrad train_on_batch (MKL)": deepgrad_train_on_batch,
    "PyTorch eager": torch_eager,
    "torch.compile": torch_compiled,
    "JAX jit": jax_jit,
    "HIPS autograd": hips_autograd,
    "NumPy by hand": numpy_by_hand,
}
# The module each needs: a framework that is not installed is skipped, and said so.
REQUIRES = {
    "PyTorch eager": "torch",
    "torch.compile": "torch",
    "JAX jit": "jax",
    "HIPS autograd": "autograd",
}

"""A fitted ``Sequential`` seen as a function η = f(x; θ) of one flat float64 vector θ.

The Laplace approximation works in float64 whatever the model's dtype: the weights are
copied to float64 once, and the network is re-evaluated from that copy. Two evaluations:

- ``jacobian_factors``: the per-sample Jacobian ∂η_i/∂θ of a stack of Dense layers,
  assembled from each layer's input a and the back-propagated output sensitivities G
  (∂η/∂W = a ⊗ G, ∂η/∂b = G). One pass for all samples: a batched Jacobian. K-FAC
  uses the same (a, G) factors. (A ``vmap`` of the per-sample gradient would give the
  same numbers.)
- ``eta``: the same function written with deepgrad ops on θ, so ``dg.hessian`` and the
  other transforms differentiate it (the exact Hessian, the tests' autodiff check).

Supported layers: Dense (any elementwise activation), Activation, ReLU, LeakyReLU, ELU,
Softmax (last), the noise layers (Dropout, AlphaDropout, GaussianDropout, GaussianNoise:
the identity at inference), and Flatten before the first Dense.
Anything else raises an error naming the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.activations import linear, softmax
from deepgrad.autodiff.transforms import elementwise_grad, jvp
from deepgrad.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
from deepgrad.layers.core import Activation, Dense, Flatten
from deepgrad.layers.noise import AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from deepgrad.models import Sequential
from deepgrad.tensor import raw_data

IDENTITY_AT_INFERENCE = (Dropout, AlphaDropout, GaussianDropout, GaussianNoise)


@dataclass
class Block:
    """One Dense layer and the elementwise functions applied after it."""

    layer: Dense
    functions: list[Callable] = field(default_factory=list)
    trainable: bool = True
    offset: int = 0  # where its weights start in θ (trainable blocks only)

    @property
    def size(self) -> int:
        kernel = self.layer.kernel.shape
        return kernel[0] * kernel[1] + (kernel[1] if self.layer.bias is not None else 0)


def _layer_function(layer: Any) -> Callable | None:
    if isinstance(layer, Dense | Activation):
        return None if layer.activation is linear else layer.activation
    if isinstance(layer, Softmax):
        if layer.axis not in (-1, 1):
            raise ValueError(f"Laplace: Softmax {layer.name!r} must act on the last axis")
        return softmax  # the function itself, so that the likelihood knows its link
    if isinstance(layer, ReLU | LeakyReLU | ELU):
        return layer.call  # the raw function: __call__ would cast float64 to the layer's dtype
    return None


class Network:
    """The blocks of ``model``, θ* in float64, and the two evaluations of η."""

    def __init__(self, model: Any) -> None:
        # a subclassed Model lists its layers too, but its call may combine them in any
        # way: only a Sequential's order is its function
        if not isinstance(model, Sequential):
            raise TypeError(
                f"Laplace: expected a Sequential model, got {type(model).__name__}; "
                "deepgrad.inference works on a Sequential of Dense layers"
            )
        layers = model.layers
        self.flatten_input = False
        self.blocks: list[Block] = []
        for layer in layers:
            if isinstance(layer, Dense):
                block = Block(layer, trainable=bool(layer.trainable_weights))
                self.blocks.append(block)
                function = _layer_function(layer)
                if function is not None:
                    block.functions.append(function)
            elif isinstance(layer, Flatten) and not self.blocks:
                self.flatten_input = True
            elif isinstance(layer, IDENTITY_AT_INFERENCE):
                continue
            elif isinstance(layer, Activation | ReLU | LeakyReLU | ELU | Softmax) and self.blocks:
                function = _layer_function(layer)
                if function is not None:
                    self.blocks[-1].functions.append(function)
            else:
                raise ValueError(
                    f"Laplace: layer {layer.name!r} ({type(layer).__name__}) is not supported; "
                    "deepgrad.inference handles Dense, Activation, ReLU, LeakyReLU, ELU, "
                    "Softmax (last), the noise layers (Dropout, AlphaDropout, GaussianDropout, "
                    "GaussianNoise) and Flatten (before the first Dense)"
                )
        if not self.blocks:
            raise ValueError("Laplace: the model has no Dense layer")
        self._check_weights(model)
        self.link: Callable | None = None  # set by strip_link

    def _check_weights(self, model: Any) -> None:
        expected = []
        offset = 0
        for block in self.blocks:
            if not block.trainable:
                continue
            block.offset = offset
            offset += block.size
            expected.append(id(block.layer.kernel))
            if block.layer.bias is not None:
                expected.append(id(block.layer.bias))
        if [id(w) for w in model.trainable_weights] != expected:
            raise ValueError(
                "Laplace: the model's trainable weights are not exactly its Dense layers' "
                "kernels and biases (a layer was partly frozen, or another layer has weights)"
            )
        self.size = offset
        self.names = [name for name, _, trainable, _ in model.named_weights() if trainable]
        self.regularizers = [reg for _, _, trainable, reg in model.named_weights() if trainable]
        self.shapes = [tuple(w.shape) for w in model.trainable_weights]
        self.theta = np.concatenate(
            [np.asarray(raw_data(w), np.float64).ravel() for w in model.trainable_weights]
        )
        self.outputs = int(self.blocks[-1].layer.units)
        self._check_elementwise()

    def _check_elementwise(self) -> None:
        """A hidden function must act elementwise (its Jacobian diagonal): checked once
        with a random direction, since a user's activation could mix units."""
        rng = np.random.default_rng(0)
        for index, block in enumerate(self.blocks):
            for position, function in enumerate(block.functions):
                last = index == len(self.blocks) - 1 and position == len(block.functions) - 1
                if function is softmax:
                    if last:
                        continue
                    raise ValueError("Laplace: softmax is supported only as the last function")
                z, v = (
                    rng.normal(size=(3, block.layer.units)),
                    rng.normal(size=(3, block.layer.units)),
                )
                _, pushed = jvp(function, (z,), (v,))
                if not np.allclose(raw_data(pushed), raw_data(elementwise_grad(function)(z)) * v):
                    raise ValueError(
                        f"Laplace: the activation {getattr(function, '__name__', function)} of "
                        f"layer {block.layer.name!r} is not elementwise"
                    )

    @property
    def output_activation(self) -> Callable | None:
        functions = self.blocks[-1].functions
        return functions[-1] if functions else None

    def strip_link(self) -> None:
        """Evaluate the output's link (sigmoid, softmax, exp) in the likelihood instead."""
        self.link = self.blocks[-1].functions.pop()

    # ---- the data ------------------------------------------------------------------------

    def inputs(self, x: Any, caller: str) -> np.ndarray:
        """``x`` as float64 (n, features), or an error naming the shapes."""
        array = np.asarray(raw_data(x), dtype=np.float64)
        if self.flatten_input and array.ndim > 2:
            array = array.reshape(len(array), -1)
        features = self.blocks[0].layer.kernel.shape[0]
        if array.ndim != 2 or array.shape[1] != features:
            raise ValueError(
                f"{caller}: x has shape {np.shape(raw_data(x))}; the model expects (n, {features})"
            )
        return array

    def output_rows(self) -> list[np.ndarray]:
        """Where each row of the output layer's [kernel; bias] sits in θ (one input's, or
        the bias's, weights to every output), when η is that layer's linear output and it
        is trained; [] otherwise. A softmax output does not change when one number is added
        to every class's weight of a row: its likelihood leaves these directions free."""
        last = self.blocks[-1]
        if last.functions or not last.trainable:
            return []
        inputs, outputs = last.layer.kernel.shape
        rows = inputs + (last.layer.bias is not None)
        return [last.offset + row * outputs + np.arange(outputs) for row in range(rows)]

    # ---- evaluation ----------------------------------------------------------------------

    def weights(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(kernel, bias) per block from θ (frozen blocks keep their own values)."""
        pairs = []
        for block in self.blocks:
            layer = block.layer
            if not block.trainable:
                bias = None if layer.bias is None else np.asarray(raw_data(layer.bias), np.float64)
                pairs.append((np.asarray(raw_data(layer.kernel), np.float64), bias))
                continue
            start = block.offset
            rows, cols = layer.kernel.shape
            kernel = theta[start : start + rows * cols].reshape(rows, cols)
            bias = (
                theta[start + rows * cols : start + block.size] if layer.bias is not None else None
            )
            pairs.append((kernel, bias))
        return pairs

    def forward(self, x: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """η(x; θ) in NumPy (θ* by default)."""
        a = x
        for block, (kernel, bias) in zip(
            self.blocks, self.weights(self._theta(theta)), strict=True
        ):
            a = a @ kernel if bias is None else a @ kernel + bias
            for function in block.functions:
                a = np.asarray(raw_data(function(a)))
        return a

    def _theta(self, theta: np.ndarray | None) -> np.ndarray:
        return self.theta if theta is None else theta

    def eta(self, theta: Any, x: np.ndarray, blocks: list[Block] | None = None) -> Any:
        """η(x; θ) written with deepgrad ops: differentiable in θ, the flat vector of the
        weights of ``blocks`` (all trainable blocks by default; the others stay at θ*, as
        plain arrays, so that a transform does not trace them)."""
        chosen = {id(b) for b in (self.trainable_blocks() if blocks is None else blocks)}
        a: Any = x
        offset = 0
        for block, (kernel, bias) in zip(self.blocks, self.weights(self.theta), strict=True):
            if id(block) in chosen:
                rows, cols = kernel.shape
                kernel_t = dnp.reshape(theta[offset : offset + rows * cols], (rows, cols))
                a = dnp.matmul(a, kernel_t)
                if bias is not None:
                    a = a + theta[offset + rows * cols : offset + block.size]
                offset += block.size
            else:
                a = dnp.matmul(a, kernel) if bias is None else dnp.matmul(a, kernel) + bias
            for function in block.functions:
                a = function(a)
        return a

    def jacobian_factors(
        self, x: np.ndarray, theta: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """η (n, k) and, per trainable block, (a, G): the block's input (n, d) and the
        sensitivities G[i, c, j] = ∂η_ic/∂z_ij of its pre-activations z (n, k, units)."""
        weights = self.weights(self._theta(theta))
        inputs, slopes = [], []
        a = x
        for block, (kernel, bias) in zip(self.blocks, weights, strict=True):
            inputs.append(a)
            z = a @ kernel if bias is None else a @ kernel + bias
            slope = np.ones_like(z)
            for function in block.functions:
                slope = slope * np.asarray(raw_data(elementwise_grad(function)(z)))
                z = np.asarray(raw_data(function(z)))
            slopes.append(slope)
            a = z
        n, k = a.shape
        sensitivity = np.broadcast_to(np.eye(k), (n, k, k)) * slopes[-1][:, None, :]
        factors = []
        for index in range(len(self.blocks) - 1, -1, -1):
            if self.blocks[index].trainable:
                factors.append((inputs[index], sensitivity))
            if index > 0:
                kernel = weights[index][0]
                sensitivity = (sensitivity @ kernel.T) * slopes[index - 1][:, None, :]
        return a, factors[::-1]

    def trainable_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block.trainable]


def block_jacobian(block: Block, a: np.ndarray, sensitivity: np.ndarray) -> np.ndarray:
    """∂η/∂(kernel, bias) of one block, (n, k, block.size), from its factors."""
    n, k = sensitivity.shape[:2]
    kernel = (a[:, None, :, None] * sensitivity[:, :, None, :]).reshape(n, k, -1)
    if block.layer.bias is None:
        return kernel
    return np.concatenate([kernel, sensitivity], axis=2)

"""The curvature of the negative log-likelihood at the fitted weights, five ways.

With J_i = ∂η_i/∂θ (k × p) and Λ_i = ∂²(−log p_i)/∂η_i² (k × k):

- ``"exact"``: the Hessian ∇²_θ Σ_i −log p(y_i | η_i(θ)), by ``dg.hessian`` (forward over
  reverse mode) on the network written with deepgrad ops. Not always positive
  semi-definite away from a minimum; p Hessian-vector products, O(p²) memory.
- ``"ggn"``: the generalised Gauss–Newton matrix Σ_i J_iᵀ Λ_i J_i, which drops the
  term Σ_i Σ_c (∂(−log p_i)/∂η_ic) ∇²η_ic of the Hessian. Positive semi-definite; for the
  likelihoods here (exponential families in their natural parameter) it is also the
  Fisher information. O(n k p²) time, O(p²) memory.
- ``"diag"``: the diagonal of the GGN. O(n k p) time and memory per batch, O(p) kept.
- ``"kfac"``: per Dense layer, Σ_i (ā_i ā_iᵀ) ⊗ (G_iᵀ Λ_i G_i) ≈ (Σ_i ā_i ā_iᵀ) ⊗
  (Σ_i G_iᵀ Λ_i G_i)/n (Martens & Grosse, 2015), ā the layer's input with a 1 appended
  and G the sensitivities of its pre-activations. Exact when G_iᵀ Λ_i G_i does not depend
  on i (one Dense layer, one output, Gaussian). O(n (d² + k u²)) time, O(d² + u²) memory
  per layer of d inputs and u units.
- ``"last_layer"``: the GGN of the last Dense layer's weights only (the others fixed at
  their fitted values): the dense GGN at the cost of a linear model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.inference.likelihoods import Likelihood
from deepgrad.inference.network import Block, Network, block_jacobian
from deepgrad.ops.jacobian import hessian

CURVATURES = ("ggn", "exact", "diag", "kfac", "last_layer")
CHUNK = 256  # samples per batch of Jacobians: bounds memory at CHUNK·k·p floats


def subset_blocks(network: Network, subset: str) -> list[Block]:
    """The blocks whose weights the posterior covers: "all" or "last_layer"."""
    blocks = network.trainable_blocks()
    if subset == "all":
        return blocks
    if subset == "last_layer":
        return blocks[-1:]
    raise ValueError(f"Laplace: subset must be 'all' or 'last_layer', got {subset!r}")


def subset_indices(blocks: list[Block]) -> np.ndarray:
    """Where the subset's weights sit in the flat θ."""
    return np.concatenate([np.arange(b.offset, b.offset + b.size) for b in blocks])


def jacobian_chunks(network: Network, blocks: list[Block], x: np.ndarray, chunk: int = CHUNK):
    """Yield (slice, η, J) over batches of samples; J is (batch, k, p_subset)."""
    wanted = {id(b) for b in blocks}
    for start in range(0, len(x), chunk):
        part = slice(start, min(start + chunk, len(x)))
        eta, factors = network.jacobian_factors(x[part])
        pieces = [
            block_jacobian(block, a, g)
            for block, (a, g) in zip(network.trainable_blocks(), factors, strict=True)
            if id(block) in wanted
        ]
        yield part, eta, np.concatenate(pieces, axis=2)


def weigh(values: np.ndarray, weights: np.ndarray | None, part: slice) -> np.ndarray:
    """values (rows of samples ``part``) times their sample weights, or as they are."""
    if weights is None:
        return values
    w = weights[part]
    return values * w.reshape(-1, *([1] * (values.ndim - 1)))


def ggn(
    network: Network,
    likelihood: Likelihood,
    blocks: list[Block],
    x: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Σ_i w_i J_iᵀ Λ_i J_i over the subset's weights (p × p); w_i = 1 without weights."""
    size = sum(b.size for b in blocks)
    total = np.zeros((size, size))
    for part, eta, jac in jacobian_chunks(network, blocks, x):
        weighted = weigh(likelihood.curvature(eta), weights, part) @ jac  # (n, k, p)
        total += np.einsum("nkp,nkq->pq", jac, weighted, optimize=True)
    return 0.5 * (total + total.T)


def ggn_diagonal(
    network: Network,
    likelihood: Likelihood,
    blocks: list[Block],
    x: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """The diagonal of the GGN, without forming it or the Jacobian: for a block's weight
    (r, j), Σ_i ā_ir² (G_iᵀ Λ_i G_i)_jj."""
    wanted = {id(b) for b in blocks}
    sums: dict[int, Any] = {id(b): 0.0 for b in blocks}
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        eta, factors = network.jacobian_factors(x[part])
        lam = weigh(likelihood.curvature(eta), weights, part)
        for block, (a, g) in zip(network.trainable_blocks(), factors, strict=True):
            if id(block) in wanted:
                middle = np.einsum("nkj,nkl,nlj->nj", g, lam, g, optimize=True)
                augmented = augment(block, a)
                sums[id(block)] = sums[id(block)] + (augmented * augmented).T @ middle
    return np.concatenate([np.asarray(sums[id(b)]).ravel() for b in blocks])


def kfac(
    network: Network,
    likelihood: Likelihood,
    blocks: list[Block],
    x: np.ndarray,
    weights: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per block, the Kronecker factors (A, B) = (Σ_i w_i ā_i ā_iᵀ, Σ_i w_i G_iᵀ Λ_i G_i / Σ_i w_i):
    the block's curvature is approximated by A ⊗ B (w_i = 1 without weights)."""
    wanted = {id(b) for b in blocks}
    sums: dict[int, list[Any]] = {id(b): [0.0, 0.0] for b in blocks}
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        eta, factors = network.jacobian_factors(x[part])
        lam = weigh(likelihood.curvature(eta), weights, part)
        for block, (a, g) in zip(network.trainable_blocks(), factors, strict=True):
            if id(block) not in wanted:
                continue
            augmented = augment(block, a)
            sums[id(block)][0] = sums[id(block)][0] + augmented.T @ weigh(augmented, weights, part)
            sums[id(block)][1] = sums[id(block)][1] + np.einsum(
                "nkj,nkl,nlm->jm", g, lam, g, optimize=True
            )
    total = len(x) if weights is None else float(np.sum(weights))
    return [(sums[id(b)][0], sums[id(b)][1] / total) for b in blocks]


def gradient(
    network: Network,
    likelihood: Likelihood,
    blocks: list[Block],
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """g = Σ_i w_i J_iᵀ ∂(−log p_i)/∂η_i over the subset: per block Σ_i ā_i ⊗ (G_iᵀ w_i r_i)."""
    wanted = {id(b) for b in blocks}
    sums: dict[int, Any] = {id(b): 0.0 for b in blocks}
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        eta, factors = network.jacobian_factors(x[part])
        residual = weigh(likelihood.gradient(y[part], eta), weights, part)
        for block, (a, g) in zip(network.trainable_blocks(), factors, strict=True):
            if id(block) in wanted:
                signal = np.einsum("nc,ncu->nu", residual, g)
                sums[id(block)] = sums[id(block)] + augment(block, a).T @ signal
    return np.concatenate([np.asarray(sums[id(b)]).ravel() for b in blocks])


def augment(block: Block, a: np.ndarray) -> np.ndarray:
    """ā: the layer's input with a 1 appended when it has a bias (the bias is the last
    row of [W; b], which is how θ stores it: kernel then bias)."""
    if block.layer.bias is None:
        return a
    return np.concatenate([a, np.ones((len(a), 1))], axis=1)


def exact_hessian(
    network: Network,
    likelihood: Likelihood,
    blocks: list[Block],
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """∇²_θ Σ_i w_i (−log p(y_i | η(x_i; θ))) over the subset, by ``dg.hessian``."""
    column = None if weights is None else weights.reshape(-1, 1)

    def negative_log_likelihood(sub: Any) -> Any:
        return likelihood.nll(y, network.eta(sub, x, blocks), column)

    theta = network.theta[subset_indices(blocks)]
    matrix = np.asarray(hessian(negative_log_likelihood)(theta), np.float64)
    return 0.5 * (matrix + matrix.T)

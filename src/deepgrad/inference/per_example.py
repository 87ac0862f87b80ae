"""Per-example gradients and the Fisher information of a fitted model, in float64.

g_i = ∇_θ[−log p(y_i | x_i, θ)] at the fitted weights, one row per sample. They come from
one batched pass: for a Dense layer with input a_i and pre-activation sensitivities G_i,
g_i = ā_i ⊗ (G_iᵀ r_i), r_i = ∂(−log p_i)/∂η_i (the same factors as K-FAC). A ``vmap`` of
``dg.grad`` over the samples would compute the same rows for any model.

The Fisher information has two estimates: ``"ggn"``, Σ_i J_iᵀ Λ_i J_i (the expected Fisher
of the likelihoods here, also the Gauss–Newton matrix), and ``"empirical"``, Σ_i g_i g_iᵀ
(which equals it only in expectation, and only at the true weights).

>>> import numpy as np, deepgrad as dg
>>> from deepgrad import inference, layers
>>> dg.random.seed(0)
>>> x = np.linspace(-1, 1, 20).reshape(-1, 1); y = 3 * x
>>> model = dg.Sequential([layers.Dense(1)])
>>> model.compile(optimizer="sgd", loss=dg.losses.GaussianNLL(sigma=1.0))
>>> _ = model.fit(x, y, epochs=1, verbose=0)
>>> inference.per_example_gradients(model, x, y).shape
(20, 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad.inference import curvature as curvatures
from deepgrad.inference.laplace import Laplace

FISHER_KINDS = ("ggn", "empirical")


def per_example_gradients(
    model: Any, x: Any, y: Any, subset: str = "all", sigma: float | str | None = None
) -> np.ndarray:
    """(n, p): row i is ∇_θ[−log p(y_i | x_i, θ)] over the weights of ``subset``.

    For a Gaussian likelihood σ² is chosen as in ``Laplace`` (``sigma``)."""
    la = Laplace(model, subset=subset, sigma=sigma)
    la.prepare(x, y, "per_example_gradients")
    network, likelihood = la.network, la.likelihood
    wanted = {id(b) for b in la.blocks}
    rows = []
    for start in range(0, la.n, curvatures.CHUNK):
        part = slice(start, start + curvatures.CHUNK)
        eta, factors = network.jacobian_factors(la.x[part])
        residual = likelihood.gradient(la.y[part], eta)
        pieces = []
        for block, (a, g) in zip(network.trainable_blocks(), factors, strict=True):
            if id(block) in wanted:
                signal = np.einsum("nc,ncu->nu", residual, g)
                augmented = curvatures.augment(block, a)
                pieces.append((augmented[:, :, None] * signal[:, None, :]).reshape(len(a), -1))
        rows.append(np.concatenate(pieces, axis=1))
    return np.concatenate(rows)


def fisher_information(
    model: Any,
    x: Any,
    y: Any,
    kind: str = "ggn",
    subset: str = "all",
    sigma: float | str | None = None,
) -> np.ndarray:
    """The Fisher information of the weights (p × p): ``"ggn"`` Σ J_iᵀ Λ_i J_i, or
    ``"empirical"`` Σ g_i g_iᵀ."""
    if kind not in FISHER_KINDS:
        raise ValueError(f"fisher_information: kind must be one of {FISHER_KINDS}, got {kind!r}")
    if kind == "empirical":
        gradients = per_example_gradients(model, x, y, subset, sigma)
        return gradients.T @ gradients
    la = Laplace(model, subset=subset, sigma=sigma)
    la.prepare(x, y, "fisher_information")
    return curvatures.ggn(la.network, la.likelihood, la.blocks, la.x)

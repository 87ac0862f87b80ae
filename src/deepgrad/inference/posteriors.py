"""Gaussian posteriors N(θ*, P⁻¹), P = curvature + diag(prior precision), in three
structures: dense (Cholesky of P), diagonal, and Kronecker-factored per Dense layer
(the eigenbases of the two factors, so that adding a prior precision keeps the product
form: (A ⊗ B + δI)⁻¹ = (Q_A ⊗ Q_B)(D_A ⊗ D_B + δ)⁻¹(Q_A ⊗ Q_B)ᵀ).

Each gives: log det P, the marginal variances diag(P⁻¹), the covariance, the variance of
the linearised outputs J P⁻¹ Jᵀ, samples, and the curvature's eigenvalues (for the
effective number of parameters and the condition checks).
"""

from __future__ import annotations

import numpy as np

from deepgrad.inference.curvature import augment
from deepgrad.inference.network import Block


class SingularPosterior(ValueError):
    """The posterior precision is singular: some direction of θ is not determined."""


def _singular_message(kind: str, eigenvalues: np.ndarray, prior: np.ndarray) -> str:
    largest = float(np.max(np.abs(eigenvalues))) if eigenvalues.size else 0.0
    small = int(np.sum(eigenvalues <= 1e-10 * max(largest, 1e-300)))
    return (
        f"Laplace: the {kind} curvature is singular ({small} of {eigenvalues.size} eigenvalues "
        f"≤ 1e-10 × the largest, {largest:.3g}) and {int(np.sum(prior == 0))} weights have no "
        "prior precision, so the posterior covariance does not exist. In a net this happens "
        "when hidden units are saturated (a sigmoid's slope is 0, so its incoming weights "
        "do not change the fit) or duplicate each other, or when there are more weights "
        "than observations. Give a prior: prior_precision=... in Laplace, or an L2 "
        "kernel_regularizer/bias_regularizer when fitting."
    )


class DensePosterior:
    """P = H + diag(δ) as a dense matrix, factored by Cholesky."""

    kind = "dense"

    def __init__(self, curvature: np.ndarray, prior: np.ndarray, name: str) -> None:
        self.curvature, self.prior, self.name = curvature, prior, name
        precision = curvature + np.diag(prior)
        try:
            self.cholesky = np.linalg.cholesky(precision)
        except np.linalg.LinAlgError:
            lowest = float(np.linalg.eigvalsh(precision)[0])
            if lowest < -1e-10 * float(np.max(np.abs(np.diag(precision)))):
                raise SingularPosterior(
                    f"Laplace: the posterior precision ({name} curvature + prior) is not "
                    f"positive definite (its smallest eigenvalue is {lowest:.3g}): the weights "
                    "are not at a minimum of the penalised loss, or the exact Hessian has "
                    "negative curvature there. Fit the model longer, or use curvature='ggn', "
                    "which is positive semi-definite everywhere."
                ) from None
            raise SingularPosterior(
                _singular_message(name, self.curvature_eigenvalues(), prior)
            ) from None
        if np.min(np.diag(self.cholesky)) ** 2 <= 1e-13 * np.max(np.abs(np.diag(precision))):
            raise SingularPosterior(_singular_message(name, self.curvature_eigenvalues(), prior))
        self.precision = precision

    def curvature_eigenvalues(self) -> np.ndarray:
        return np.linalg.eigvalsh(self.curvature)

    def curvature_form(self, vector: np.ndarray) -> float:
        """vᵀ H v."""
        return float(vector @ self.curvature @ vector)

    def logdet_precision(self) -> float:
        return 2.0 * float(np.sum(np.log(np.diag(self.cholesky))))

    def covariance(self) -> np.ndarray:
        inverse = np.linalg.solve(self.cholesky, np.eye(len(self.prior)))
        return inverse.T @ inverse

    def variance(self) -> np.ndarray:
        inverse = np.linalg.solve(self.cholesky, np.eye(len(self.prior)))
        return np.sum(inverse * inverse, axis=0)

    def solve(self, vector: np.ndarray) -> np.ndarray:
        """P⁻¹ v."""
        return np.linalg.solve(self.cholesky.T, np.linalg.solve(self.cholesky, vector))

    def functional_variance(self, jacobian: np.ndarray) -> np.ndarray:
        """J P⁻¹ Jᵀ per sample: (n, k, p) → (n, k, k)."""
        n, k, p = jacobian.shape
        half = np.linalg.solve(self.cholesky, jacobian.reshape(n * k, p).T)  # L⁻¹ Jᵀ
        half = half.T.reshape(n, k, p)
        return half @ half.transpose(0, 2, 1)

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Deviations θ − θ* ~ N(0, P⁻¹), (count, p): L⁻ᵀ z."""
        z = rng.standard_normal((len(self.prior), count))
        return np.linalg.solve(self.cholesky.T, z).T


class DiagonalPosterior:
    """P = diag(h) + diag(δ)."""

    kind = "diag"

    def __init__(
        self, curvature: np.ndarray, prior: np.ndarray, name: str, blocks: list[Block]
    ) -> None:
        self.curvature, self.prior, self.name, self.blocks = curvature, prior, name, blocks
        self.precision = curvature + prior
        if np.any(self.precision <= 1e-10 * max(float(np.max(self.precision)), 1e-300)):
            raise SingularPosterior(_singular_message(name, curvature, prior))

    def curvature_eigenvalues(self) -> np.ndarray:
        return np.sort(self.curvature)

    def curvature_form(self, vector: np.ndarray) -> float:
        return float(np.sum(self.curvature * vector * vector))

    def logdet_precision(self) -> float:
        return float(np.sum(np.log(self.precision)))

    def covariance(self) -> np.ndarray:
        return np.diag(1.0 / self.precision)

    def variance(self) -> np.ndarray:
        return 1.0 / self.precision

    def solve(self, vector: np.ndarray) -> np.ndarray:
        return vector / self.precision

    def functional_variance(self, jacobian: np.ndarray) -> np.ndarray:
        return (jacobian / self.precision) @ jacobian.transpose(0, 2, 1)

    def functional_variance_from_factors(
        self, factors: list[tuple[np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        """J P⁻¹ Jᵀ without J: Σ_rj ā_r² G_cj G_dj / P_rj per block."""
        total, start = 0.0, 0
        for block, (a, g) in zip(self.blocks, factors, strict=True):
            augmented = augment(block, a)
            shape = (augmented.shape[1], g.shape[2])
            inverse = 1.0 / self.precision[start : start + block.size].reshape(shape)
            start += block.size
            weights = (augmented * augmented) @ inverse  # (n, u)
            total = total + np.einsum("ncj,nj,ndj->ncd", g, weights, g, optimize=True)
        return np.asarray(total)

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.standard_normal((count, len(self.prior))) / np.sqrt(self.precision)


class KroneckerPosterior:
    """Per Dense layer P_l = A_l ⊗ B_l + δ_l I, one prior precision δ_l per layer."""

    kind = "kfac"

    def __init__(
        self,
        factors: list[tuple[np.ndarray, np.ndarray]],
        blocks: list[Block],
        prior: np.ndarray,
        name: str,
    ) -> None:
        self.blocks, self.prior, self.name = blocks, prior, name
        self.eigen = []
        start = 0
        for block, (a, b) in zip(blocks, factors, strict=True):
            delta = prior[start : start + block.size]
            start += block.size
            if np.ptp(delta) > 1e-12 * max(float(np.max(np.abs(delta))), 1e-300):
                raise ValueError(
                    f"Laplace(curvature='kfac'): the weights of layer {block.layer.name!r} "
                    "have different prior precisions (e.g. an L2 penalty on the kernel but "
                    "not on the bias); K-FAC needs one per layer: give prior_precision=..."
                )
            values_a, vectors_a = np.linalg.eigh(0.5 * (a + a.T))
            values_b, vectors_b = np.linalg.eigh(0.5 * (b + b.T))
            values = np.clip(np.outer(values_a, values_b), 0.0, None)  # (d+1, u)
            self.eigen.append((vectors_a, vectors_b, values, float(delta[0])))
        eigenvalues = self.curvature_eigenvalues()
        smallest = min(float(np.min(v + d)) for _, _, v, d in self.eigen)
        if smallest <= 1e-10 * max(float(np.max(eigenvalues)), 1e-300):
            raise SingularPosterior(_singular_message(name, eigenvalues, prior))

    def curvature_eigenvalues(self) -> np.ndarray:
        return np.sort(np.concatenate([v.ravel() for _, _, v, _ in self.eigen]))

    def curvature_form(self, vector: np.ndarray) -> float:
        total, start = 0.0, 0
        for block, (qa, qb, values, _) in zip(self.blocks, self.eigen, strict=True):
            piece = vector[start : start + block.size].reshape(qa.shape[0], qb.shape[0])
            start += block.size
            total += float(np.sum(values * (qa.T @ piece @ qb) ** 2))
        return total

    def logdet_precision(self) -> float:
        return float(sum(np.sum(np.log(v + d)) for _, _, v, d in self.eigen))

    def _block_covariance(self, index: int) -> np.ndarray:
        qa, qb, values, delta = self.eigen[index]
        q = np.kron(qa, qb)
        return (q / (values.ravel() + delta)) @ q.T

    def covariance(self) -> np.ndarray:
        size = len(self.prior)
        out = np.zeros((size, size))
        start = 0
        for index, block in enumerate(self.blocks):
            out[start : start + block.size, start : start + block.size] = self._block_covariance(
                index
            )
            start += block.size
        return out

    def variance(self) -> np.ndarray:
        parts = []
        for qa, qb, values, delta in self.eigen:
            # diag((Qa⊗Qb) D⁻¹ (Qa⊗Qb)ᵀ)[(r, j)] = Σ_st Qa[r,s]² Qb[j,t]² / D[s,t]
            parts.append(((qa * qa) @ (1.0 / (values + delta)) @ (qb * qb).T).ravel())
        return np.concatenate(parts)

    def solve(self, vector: np.ndarray) -> np.ndarray:
        parts, start = [], 0
        for block, (qa, qb, values, delta) in zip(self.blocks, self.eigen, strict=True):
            piece = vector[start : start + block.size].reshape(qa.shape[0], qb.shape[0])
            start += block.size
            rotated = qa.T @ piece @ qb / (values + delta)
            parts.append((qa @ rotated @ qb.T).ravel())
        return np.concatenate(parts)

    def functional_variance_from_factors(
        self, factors: list[tuple[np.ndarray, np.ndarray]]
    ) -> np.ndarray:
        """J P⁻¹ Jᵀ from each block's (a, G): its Jacobian is ā ⊗ G_c, rank one per output."""
        total = 0.0
        for block, (a, g), (qa, qb, values, delta) in zip(
            self.blocks, factors, self.eigen, strict=True
        ):
            u = augment(block, a) @ qa  # (n, d+1)
            v = g @ qb  # (n, k, u)
            weights = (u * u) @ (1.0 / (values + delta))  # (n, u): Σ_s u_s² / D[s, t]
            total = total + np.einsum("nct,nt,ndt->ncd", v, weights, v, optimize=True)
        return np.asarray(total)

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        parts = []
        for qa, qb, values, delta in self.eigen:
            z = rng.standard_normal((count, *values.shape)) / np.sqrt(values + delta)
            parts.append((qa @ z @ qb.T).reshape(count, -1))
        return np.concatenate(parts, axis=1)

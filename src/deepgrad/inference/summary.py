"""The regression summary of a fitted model's weights: estimate, standard error, Wald
statistic, p-value and confidence interval per weight, with notes on what they mean.

The standard error of θ_j is √(P⁻¹)_jj. For a Gaussian likelihood whose σ² is estimated
and no prior, the statistic is Student's t with N − p degrees of freedom (as in
ordinary least squares); otherwise it is the Wald z, compared with the standard normal.

For a net, a weight is not a parameter in the statistician's sense: permuting hidden units
(and, for odd activations such as tanh, flipping the signs of a unit's incoming and
outgoing weights) gives the same function, so the posterior has m!·2^m equivalent modes
and the table describes the curvature around one of them. A saturated sigmoid (or a dead
ReLU) makes the curvature singular: its incoming weights do not change the fit. The table
detects both and says so.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deepgrad.activations import relu, sigmoid, softsign, tanh
from deepgrad.autodiff.transforms import elementwise_grad
from deepgrad.inference.distributions import normal_quantile, t_quantile, two_sided_p_value
from deepgrad.tensor import raw_data

CONDITION_LIMIT = 1e10  # beyond this, the curvature is ill-conditioned in float64 terms
# a Newton step to the optimum longer than this many standard errors: not at the optimum
MODE_TOLERANCE = 0.1
ODD = (tanh, softsign, sigmoid)  # ψ(−z) = −ψ(z), or 1 − ψ(z) for the sigmoid


@dataclass
class Summary:
    """The table's columns (arrays over the weights), the distribution used and notes."""

    names: list[str]
    estimates: np.ndarray
    standard_errors: np.ndarray
    statistics: np.ndarray
    p_values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    degrees_of_freedom: float | None
    condition_number: float
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        statistic = "z" if self.degrees_of_freedom is None else "t"
        low, high = f"[{(1 - self.level) / 2:.3f}", f"{(1 + self.level) / 2:.3f}]"
        width = max(12, *(len(n) for n in self.names)) + 2
        header = (
            f"{'':<{width}}{'coef':>11}{'std err':>11}{statistic:>9}{'P>|' + statistic + '|':>9}"
            f"{low:>11}{high:>11}"
        )
        lines = ["=" * len(header), header, "-" * len(header)]
        for row in zip(
            self.names,
            self.estimates,
            self.standard_errors,
            self.statistics,
            self.p_values,
            self.lower,
            self.upper,
            strict=True,
        ):
            name, estimate, error, stat, p, lo, hi = row
            lines.append(
                f"{name:<{width}}{estimate:>11.4f}{error:>11.4f}{stat:>9.3f}{p:>9.3f}"
                f"{lo:>11.4f}{hi:>11.4f}"
            )
        lines.append("=" * len(header))
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The table as HTML: what Jupyter shows for a summary on its own line."""
        statistic = "z" if self.degrees_of_freedom is None else "t"
        headers = ["", "coef", "std err", statistic, f"P>|{statistic}|"]
        headers += [f"[{(1 - self.level) / 2:.3f}", f"{(1 + self.level) / 2:.3f}]"]
        columns = (self.estimates, self.standard_errors, self.statistics, self.p_values)
        rows = []
        for i, name in enumerate(self.names):
            numbers = [column[i] for column in (*columns, self.lower, self.upper)]
            cells = "".join(f"<td>{value:.4f}</td>" for value in numbers)
            rows.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        notes = "".join(f"<p>Note: {html.escape(note)}</p>" for note in self.notes)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{notes}"


def summarize(la: Any, level: float = 0.95) -> Summary:
    """The ``Summary`` of a fitted ``Laplace``."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"Laplace.summary: level must be in (0, 1), got {level}")
    estimates = la.theta
    errors = la.standard_errors()
    statistics = estimates / errors
    freedom = la.degrees_of_freedom  # t only with OLS's σ̂²; a learned σ is ≈ RSS/N
    if freedom is None:
        quantile = normal_quantile(0.5 + level / 2)
    else:
        quantile = t_quantile(0.5 + level / 2, freedom)
    p_values = np.array([two_sided_p_value(float(s), freedom) for s in statistics])
    eigenvalues = la.unit_curvature_eigenvalues() * la.curvature_scale()
    largest = float(np.max(eigenvalues))
    smallest = float(np.min(eigenvalues))
    condition = largest / smallest if smallest > 0 else float("inf")
    return Summary(
        names=la.names,
        estimates=estimates,
        standard_errors=errors,
        statistics=statistics,
        p_values=p_values,
        lower=estimates - quantile * errors,
        upper=estimates + quantile * errors,
        level=level,
        degrees_of_freedom=freedom,
        condition_number=condition,
        notes=_notes(la, condition, smallest, largest),
    )


def _notes(la: Any, condition: float, smallest: float, largest: float) -> list[str]:
    notes = [
        f"curvature: {la.curvature_kind}, weights: {la.subset} ({len(la.theta)}), likelihood: "
        f"{la.likelihood.name}"
        + (f", σ² = {la.sigma2:.6g}" if la.sigma2 is not None else "")
        + "; standard errors from the Laplace posterior, computed in float64."
    ]
    if np.any(la.prior > 0):
        notes.append(
            "with a prior (L2 penalty), these are posterior standard deviations, shrunk "
            "towards the prior; they are not the sampling standard errors of an unpenalised fit."
        )
    distance = getattr(la, "distance_from_optimum", float("nan"))
    hidden = la.network.blocks[:-1]
    if distance > MODE_TOLERANCE and hidden:
        notes.append(
            f"the weights are not at a stationary point of the training objective: a Newton "
            f"step on the {la.curvature_kind} curvature moves them by up to {distance:.3g} "
            "standard errors. The fit has not converged (or was made on other data, or with "
            "sample weights fit was not given), and the approximation is not centred at a "
            "mode of the posterior."
        )
    elif distance > MODE_TOLERANCE:
        notes.append(
            f"the weights are not at the optimum of the training objective: a Newton step "
            f"moves them by up to {distance:.3g} standard errors. The fit has not converged "
            "(or was made on other data, or with sample weights fit was not given); the "
            "table is not the optimum's."
        )
    if getattr(la, "separated", False):
        notes.append(
            "every training sample is classified correctly and there is no prior: the data "
            "are separated and the maximum-likelihood weights are infinite. These numbers "
            "describe where the optimiser stopped; they are not estimates with standard errors."
        )
    if la.curvature_kind == "diag":
        notes.append(
            "the diagonal curvature drops the correlations between weights: its variances "
            "1/P_jj are never more than the full posterior's (P⁻¹)_jj, so correlated weights "
            "get standard errors that are too small, and collinear or duplicated inputs go "
            "unnoticed. Use curvature='ggn', 'kfac' or 'exact' for standard errors you test."
        )
    if condition > CONDITION_LIMIT:
        notes.append(
            f"the curvature is singular or ill-conditioned (eigenvalues from {smallest:.3g} to "
            f"{largest:.3g}, condition number {condition:.3g}): along some directions the data "
            "do not determine the weights, and their standard errors there come from the prior "
            "alone. Wald tests on those weights mean nothing."
        )
    if hidden:
        widths = ", ".join(str(b.layer.units) for b in hidden)
        odd = any(f in ODD for b in hidden for f in b.functions)
        notes.append(
            f"a net's weights are not identified: permuting the hidden units (layers of {widths} "
            "units) gives the same function"
            + (
                ", and so does flipping the signs of a unit's weights in and out (for a "
                "sigmoid, with the output's bias shifted)"
                if odd
                else ""
            )
            + ". The table describes the curvature around this one of many equivalent modes; "
            "tests of single hidden weights against 0 are not meaningful, the output layer's "
            "given the hidden units are."
        )
    notes += _saturation(la)
    return notes


def _saturation(la: Any) -> list[str]:
    """Hidden units whose slope is (nearly) 0 on ≥ 95% of the training samples."""
    notes = []
    a = la.x
    weights = la.network.weights(la.network.theta)
    for index, (block, (kernel, bias)) in enumerate(zip(la.network.blocks, weights, strict=True)):
        z = a @ kernel if bias is None else a @ kernel + bias
        slope = np.ones_like(z)
        for function in block.functions:
            slope = slope * np.asarray(raw_data(elementwise_grad(function)(z)))
            z = np.asarray(raw_data(function(z)))
        a = z
        if block is la.network.blocks[-1]:
            break
        flat = np.abs(slope) < 1e-3 * max(float(np.max(np.abs(slope))), 1e-300)
        units = np.flatnonzero(flat.mean(axis=0) >= 0.95)
        if units.size:
            kind = "dead (ReLU)" if relu in block.functions else "saturated"
            notes.append(
                f"layer {block.layer.name!r}: units {units.tolist()} are {kind} on ≥ 95% of the "
                "samples (slope ≈ 0), so their incoming weights barely change the fit: the "
                "curvature is (nearly) singular along them."
            )
        outgoing = np.max(np.abs(weights[index + 1][0]), axis=1)
        idle = np.flatnonzero(outgoing < 1e-2 * max(float(np.max(outgoing)), 1e-300))
        if idle.size:
            notes.append(
                f"layer {block.layer.name!r}: units {idle.tolist()} have outgoing weights ≈ 0, "
                "so they do not contribute to the output and their incoming weights are not "
                "determined by the data (the curvature is singular along them)."
            )
    return notes

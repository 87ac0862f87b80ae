"""The normal and Student-t distribution functions a regression summary needs, in NumPy.

SciPy is optional in deepgrad, so the quantiles are computed here: the normal quantile by
Acklam's rational approximation polished by two Halley steps on ``math.erfc`` (about
1e-15), the Student-t CDF from the regularised incomplete beta function (Lentz's continued
fraction, Numerical Recipes §6.4) and its quantile by bisection then Newton steps.

>>> round(normal_quantile(0.975), 6), round(t_quantile(0.975, 10), 6)
(1.959964, 2.228139)
"""

from __future__ import annotations

import math

_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)  # fmt: skip


def normal_cdf(z: float) -> float:
    """Φ(z) = ½ erfc(−z/√2).

    >>> normal_cdf(0.0)
    0.5
    """
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p) for 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"normal_quantile: p must be in (0, 1), got {p}")
    low = 0.02425
    if p < low:
        q = math.sqrt(-2 * math.log(p))
        x = _tail(q)
    elif p > 1 - low:
        q = math.sqrt(-2 * math.log(1 - p))
        x = -_tail(q)
    else:
        q = p - 0.5
        r = q * q
        numerator = ((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]
        denominator = ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1
        x = numerator * q / denominator
    for _ in range(2):  # Halley's method on Φ(x) − p
        error = normal_cdf(x) - p
        u = error * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
        x = x - u / (1 + x * u / 2)
    return x


def _tail(q: float) -> float:
    numerator = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
    return numerator / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # fmt: skip
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-16:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
        + b * math.log1p(-x)
    )  # fmt: skip
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """The Student-t CDF with ``df`` degrees of freedom.

    >>> round(t_cdf(2.228139, 10), 6)
    0.975
    """
    if df <= 0:
        raise ValueError(f"t_cdf: df must be positive, got {df}")
    tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The Student-t quantile: bisection to bracket, then Newton on the CDF."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, 2.0 * high
    for _ in range(60):
        middle = 0.5 * (low + high)
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    x = 0.5 * (low + high)
    for _ in range(3):
        density = math.exp(
            math.lgamma((df + 1) / 2) - math.lgamma(df / 2)
            - 0.5 * math.log(df * math.pi) - (df + 1) / 2 * math.log1p(x * x / df)
        )  # fmt: skip
        x -= (t_cdf(x, df) - p) / density
    return x


def two_sided_p_value(statistic: float, df: float | None = None) -> float:
    """P(|T| ≥ |statistic|) under the normal (``df`` None) or Student-t distribution."""
    if df is None:
        return math.erfc(abs(statistic) / math.sqrt(2.0))
    return (
        2.0 * (1.0 - t_cdf(abs(statistic), df))
        if abs(statistic) < 1
        else (incomplete_beta(df / 2.0, 0.5, df / (df + statistic * statistic)))
    )

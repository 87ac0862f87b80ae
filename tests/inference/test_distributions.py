"""The normal and Student-t functions behind the summary table, against SciPy."""

import numpy as np
import pytest

from deepgrad.inference import distributions

stats = pytest.importorskip("scipy.stats")


@pytest.mark.parametrize("p", [1e-12, 1e-4, 0.01, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999999])
def test_normal_quantile(p):
    # relative 1e-11: near 1, Φ⁻¹ works on 1 − p, which holds only ~10 digits of p − 1
    assert distributions.normal_quantile(p) == pytest.approx(stats.norm.ppf(p), rel=1e-11)


@pytest.mark.parametrize("df", [1, 2.5, 7, 30, 500])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.3, 0.5, 0.9, 0.975, 0.9995])
def test_t_quantile_and_cdf(p, df):
    quantile = distributions.t_quantile(p, df)
    assert quantile == pytest.approx(stats.t.ppf(p, df), rel=1e-10, abs=1e-12)
    assert distributions.t_cdf(quantile, df) == pytest.approx(p, rel=1e-12)


@pytest.mark.parametrize("statistic", [0.0, 0.3, 1.0, 2.5, 8.0, -3.0])
@pytest.mark.parametrize("df", [None, 3, 40])
def test_two_sided_p_values(statistic, df):
    expected = 2 * (stats.norm.sf(abs(statistic)) if df is None else stats.t.sf(abs(statistic), df))
    assert distributions.two_sided_p_value(statistic, df) == pytest.approx(expected, rel=1e-10)


def test_bad_probabilities():
    with pytest.raises(ValueError, match="p must be in"):
        distributions.normal_quantile(1.0)
    with pytest.raises(ValueError, match="df must be positive"):
        distributions.t_cdf(1.0, 0)
    assert np.isfinite(distributions.t_quantile(1e-9, 5))

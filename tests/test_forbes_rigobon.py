"""The Forbes–Rigobon contagion test (issue #16): formulas, the equivalence it rests on, size.

References: Forbes and Rigobon (2002), J. Finance 57(5), 2223-2261, eq. (5) for the adjusted
correlation; Fisher's z for two independent correlations; the jackknife variance (Efron and
Stein 1981). Expected values come from the formulas written plainly here and from statsmodels'
OLS, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from ipposaki.scan import scan
from ipposaki.scan.forbes_rigobon import correlation_test, episode_contagion
from ipposaki.store import Store


def _windows(rng: np.random.Generator, n_c: int, beta: float, heavy: bool = False):
    def e(n: int) -> np.ndarray:
        if heavy:
            return rng.standard_t(5, size=n) / math.sqrt(5 / 3)
        return rng.normal(size=n)

    xt = e(250)
    yt = beta * xt + e(250)
    xc = 2 * e(n_c)  # the source is twice as volatile in the crisis; nothing else changes
    yc = beta * xc + e(n_c)
    return xc, yc, xt, yt


def test_the_statistics_follow_their_formulas() -> None:
    rng = np.random.default_rng(11)
    xc, yc, xt, yt = _windows(rng, 30, 0.7)
    got = correlation_test(xc, yc, xt, yt)
    rho_c, rho_t = np.corrcoef(xc, yc)[0, 1], np.corrcoef(xt, yt)[0, 1]
    delta = xc.var(ddof=1) / xt.var(ddof=1) - 1
    rho_star = rho_c / math.sqrt(1 + delta * (1 - rho_c**2))  # FR (2002), eq. (5)
    z = (math.atanh(rho_star) - math.atanh(rho_t)) / math.sqrt(1 / 27 + 1 / 247)
    assert got.rho_crisis == pytest.approx(rho_c, abs=1e-12)
    assert got.rho_tranquil == pytest.approx(rho_t, abs=1e-12)
    assert got.delta == pytest.approx(delta, rel=1e-12)
    assert got.rho_adjusted == pytest.approx(rho_star, abs=1e-12)
    assert got.fisher_p_value == pytest.approx(stats.norm.sf(z), abs=1e-12)

    def psi(x: np.ndarray, y: np.ndarray) -> float:
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        return float(fit.params[1] / math.sqrt(fit.scale))

    def jackknife(x: np.ndarray, y: np.ndarray) -> float:
        n = len(x)
        each = np.array([psi(np.delete(x, i), np.delete(y, i)) for i in range(n)])
        return (n - 1) / n * float(((each - each.mean()) ** 2).sum())

    t = (psi(xc, yc) - psi(xt, yt)) / math.sqrt(jackknife(xc, yc) + jackknife(xt, yt))
    assert got.t_stat == pytest.approx(t, rel=1e-9)
    assert got.p_value == pytest.approx(stats.t.sf(t, 28), rel=1e-9)


def test_a_rise_in_rho_star_is_a_rise_in_slope_over_noise() -> None:
    """rho*^2 = psi_c^2 s_xt^2 / (1 + psi_c^2 s_xt^2), psi = OLS slope / residual sd: the
    identity the test statistic rests on."""
    rng = np.random.default_rng(12)
    for _ in range(20):
        xc, yc, xt, yt = _windows(rng, 40, rng.uniform(-1, 2))
        got = correlation_test(xc, yc, xt, yt)
        fit = sm.OLS(yc, sm.add_constant(xc)).fit()
        # s_e with n - 1 in the denominator makes the identity exact in the sample
        psi_c = fit.params[1] / math.sqrt(fit.ssr / (len(xc) - 1))
        q = psi_c**2 * xt.var(ddof=1)
        assert got.rho_adjusted**2 == pytest.approx(q / (1 + q), rel=1e-10)
        assert math.copysign(1, got.rho_adjusted) == math.copysign(1, psi_c)


@pytest.mark.parametrize(("heavy", "n_c"), [(False, 20), (False, 60), (True, 20), (True, 60)])
def test_size_under_the_null_of_interdependence(heavy: bool, n_c: int) -> None:
    """Only the source's variance changes: the adjusted test rejects about 5% of the time;
    Fisher's z on rho* (kept as fisher_p_value) is far too conservative with normal errors (about 5%
    with Student-t(5) errors, by luck of two biases), and the raw correlation 'finds'
    contagion most of the time."""
    rng = np.random.default_rng(100 + n_c + heavy)
    draws = 2000
    rej = rej_fisher = rej_raw = 0
    for _ in range(draws):
        xc, yc, xt, yt = _windows(rng, n_c, 1.0, heavy)
        got = correlation_test(xc, yc, xt, yt)
        rej += got.p_value < 0.05
        rej_fisher += got.fisher_p_value < 0.05
        z_raw = (math.atanh(got.rho_crisis) - math.atanh(got.rho_tranquil)) / math.sqrt(
            1 / (n_c - 3) + 1 / 247
        )
        rej_raw += z_raw > 1.645
    assert 0.025 <= rej / draws <= 0.085  # 2,000 draws: a binomial sd of 0.5 points at 5%
    assert rej_fisher / draws < (0.065 if heavy else 0.035)  # conservative with normal errors
    assert rej_raw / draws > 0.4


def test_power_when_the_link_itself_strengthens() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(300):
        xc, _, xt, yt = _windows(rng, 60, 0.5)
        yc = 1.5 * xc + rng.normal(size=60)  # a stronger link in the crisis: contagion
        hits += correlation_test(xc, yc, xt, yt).p_value < 0.05
    assert hits / 300 > 0.9


def test_too_few_pairs_are_named() -> None:
    from ipposaki.errors import InputError

    with pytest.raises(InputError, match="crisis"):
        correlation_test(np.ones(4), np.arange(4.0), np.arange(30.0), np.arange(30.0) ** 2)


def test_episodes_start_their_crisis_on_the_first_tokyo_session_they_reach(
    shared_store: Store,
) -> None:
    episodes = scan(shared_store, "2024-06-01", "2025-03-31").episodes.head(6)
    table = episode_contagion(shared_store, episodes).set_index("start")
    # New York's 07-16 close is first priced in Tokyo on 07-17; DeepSeek starts in Tokyo.
    assert table.loc["XNYS 2024-07-16", "crisis_start"] == pd.Timestamp("2024-07-17")
    assert table.loc["XTKS 2025-01-27", "crisis_start"] == pd.Timestamp("2025-01-27")
    assert (table["nobs_crisis"] == 20).all() and (table["nobs_tranquil"] == 250).all()
    assert table["p_value"].between(0, 1).all()

"""Benchmark the rolling spillover regressions (issue #4) and rolling connectedness (issue #16).

Rolling evaluation of 10 years (2,500 target sessions) x 50 targets x 5 drivers with a
250-session window: every (target, session) regression, then the one-step-ahead forecasts.
Compared with statsmodels' RollingOLS on the same problem (one RollingOLS per target): the time
ratio and the largest coefficient difference. Target: < 5 s, difference <= 1e-8.

Rolling Diebold-Yilmaz connectedness of 20 series x 2,500 sessions with a 250-session window,
step 1 (2,251 VARs, horizon 10), for VAR(1) and VAR(2): the time and its ratio to the 10 s
target; then statsmodels' VAR and the same GFEVD in a Python loop on a subset of windows, its
time scaled to all windows, and the largest difference of the total index on that subset.

Reproduce::

    .venv/bin/python benchmarks/bench_spillover.py               # both
    .venv/bin/python benchmarks/bench_spillover.py connectedness # issue #16 only
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from statsmodels.regression.rolling import RollingOLS
from statsmodels.tsa.api import VAR

from ipposaki.spillover import rolling_ols
from ipposaki.spillover.connectedness import gfevd, ma_coefficients, rolling_connectedness

T, K, P, WINDOW = 2_500, 50, 5, 250
N_SERIES, HORIZON, TARGET_S, SUBSET = 20, 10, 10.0, 100


def simulated_returns(seed: int = 0) -> pd.DataFrame:
    """2,500 sessions of 20 correlated series from a stable VAR(1) (one common factor)."""
    rng = np.random.default_rng(seed)
    phi = rng.normal(0, 0.04, (N_SERIES, N_SERIES)) + 0.1 * np.eye(N_SERIES)
    loadings = rng.uniform(0.3, 1.0, N_SERIES)
    shocks = 0.01 * (loadings * rng.normal(size=(T, 1)) + 0.8 * rng.normal(size=(T, N_SERIES)))
    y = np.zeros((T, N_SERIES))
    for t in range(1, T):
        y[t] = phi @ y[t - 1] + shocks[t]
    index = pd.bdate_range("2016-01-04", periods=T).strftime("%Y-%m-%d")
    return pd.DataFrame(y, index=index, columns=[f"S{i:02d}" for i in range(N_SERIES)])


def bench_connectedness() -> None:
    """Time rolling connectedness and compare it with statsmodels in a loop on a subset."""
    data = simulated_returns()
    values = data.to_numpy()
    print(
        f"Rolling connectedness, {N_SERIES} series x {T} sessions, window {WINDOW}, step 1, "
        f"horizon {HORIZON}:"
    )
    for lags in (1, 2):
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            roll = rolling_connectedness(data, lags, HORIZON, WINDOW, 1)
            best = min(best, time.perf_counter() - start)
        n_windows = len(roll.total)
        picks = np.linspace(0, n_windows - 1, SUBSET).astype(int)
        start = time.perf_counter()
        theirs = []
        for w in picks:
            res = VAR(values[w : w + WINDOW]).fit(lags)
            share = gfevd(ma_coefficients(np.asarray(res.coefs), HORIZON), res.sigma_u)
            theirs.append((share.sum() - np.trace(share)) / N_SERIES * 100)
        sm_time = (time.perf_counter() - start) / SUBSET * n_windows
        diff = np.max(np.abs(roll.total.to_numpy()[picks] - np.array(theirs)))
        print(
            f"  VAR({lags}): ipposaki {best:6.3f} s for {n_windows} windows (best of 3), "
            f"{best / TARGET_S:.3f} of the {TARGET_S:.0f} s target"
        )
        print(
            f"           statsmodels VAR in a loop {sm_time:6.1f} s (scaled from {SUBSET} "
            f"windows, x{sm_time / best:.0f}); max |total difference| {diff:.1e}"
        )


def bench_rolling_ols() -> None:
    """Time both implementations and compare their coefficients."""
    rng = np.random.default_rng(0)
    drivers = rng.normal(0, 0.012, (T, P))
    x = np.concatenate([np.ones((T, 1)), drivers], axis=1)
    betas = rng.normal(0, 0.5, (K, P + 1))
    y = betas @ x.T + rng.normal(0, 0.01, (K, T))
    x_all = np.broadcast_to(x, (K, T, P + 1)).copy()

    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        fit = rolling_ols(y, x_all, WINDOW, WINDOW)
        forecasts = fit.predict(x_all)
        best = min(best, time.perf_counter() - start)
    assert np.isfinite(forecasts[:, WINDOW:]).all()

    start = time.perf_counter()
    theirs = np.stack([RollingOLS(y[k], x, window=WINDOW).fit().params for k in range(K)])
    sm_time = time.perf_counter() - start
    # ipposaki's coefficients at t use sessions t-250..t-1: statsmodels' fit at t-1.
    diff = np.nanmax(np.abs(fit.beta[:, WINDOW:] - theirs[:, WINDOW - 1 : -1]))
    print(f"{K} targets x {T} sessions x {P} drivers, window {WINDOW}:")
    print(f"  ipposaki rolling_ols + forecasts  {best:7.3f} s (best of 3)")
    print(f"  statsmodels RollingOLS per target {sm_time:7.3f} s  (x{sm_time / best:.1f})")
    print(f"  max |coefficient difference|      {diff:.2e}")


def main() -> None:
    """Run the benchmarks named on the command line (default: both)."""
    which = sys.argv[1:] or ["ols", "connectedness"]
    if "ols" in which:
        bench_rolling_ols()
    if "connectedness" in which:
        bench_connectedness()


if __name__ == "__main__":
    main()

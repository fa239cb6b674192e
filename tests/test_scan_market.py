"""The scanner's market-wide channel and its episodes (issue #16).

Hand-made checks of the EWMA volatility and of how runs of flagged sessions are cut into
episodes, then the real prices: Tokyo's 2024-08-05 crash (Nikkei 225 -12.4%, its largest point
fall), invisible to abnormal returns, is seen; the DeepSeek episode stays first; the
2022-10-07 export controls are matched within one session of day 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ipposaki.scan import scan
from ipposaki.scan.episodes import assign_episodes
from ipposaki.scan.market import ewma_z
from ipposaki.store import Store


def _ewma_by_hand(r: np.ndarray, lam: float, min_obs: int) -> np.ndarray:
    """sigma2_t = lam sigma2_{t-1} + (1 - lam) r_{t-1}^2, started at the first r^2, one series
    at a time and one day at a time; a missing return leaves sigma2 where it was."""
    out = np.full(r.shape, np.nan)
    for j in range(r.shape[1]):
        var, seen = None, 0
        for t in range(r.shape[0]):
            if var is not None and seen >= min_obs and not math.isnan(r[t, j]):
                out[t, j] = r[t, j] / math.sqrt(var)
            if not math.isnan(r[t, j]):
                var = r[t, j] ** 2 if var is None else lam * var + (1 - lam) * r[t, j] ** 2
                seen += 1
    return out


def test_ewma_z_matches_the_recursion_written_out() -> None:
    rng = np.random.default_rng(5)
    r = rng.standard_t(4, size=(300, 3)) * 0.01
    r[rng.random(r.shape) < 0.1] = np.nan  # gaps
    got = ewma_z(r, decay=0.94, min_obs=20)
    want = _ewma_by_hand(r, 0.94, 20)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_ewma_z_uses_no_future_data() -> None:
    rng = np.random.default_rng(6)
    r = rng.normal(0, 0.01, size=(120, 1))
    base = ewma_z(r)
    shocked = r.copy()
    shocked[80] = -0.2
    moved = ewma_z(shocked)
    np.testing.assert_array_equal(moved[:80], base[:80])
    assert moved[80, 0] == pytest.approx(base[80, 0] * -0.2 / r[80, 0])  # same sigma


@pytest.mark.parametrize(
    ("hot", "score", "gap", "cap", "want"),
    [
        # a crash and its rebound: one episode
        ("0110", [0, 5, 4, 0], 0, 5, [0, 1, 1, 0]),
        # unrelated days apart when no gap is allowed, together with gap 1
        ("10100", [3, 0, 3, 0, 0], 0, 5, [1, 0, 2, 0, 0]),
        ("10100", [3, 0, 3, 0, 0], 1, 5, [1, 1, 1, 0, 0]),
        # a long run is cut around its strongest session first, then the next strongest
        ("1111111", [1, 1, 2, 9, 3, 1, 8], 0, 3, [1, 1, 2, 2, 2, 3, 3]),
        # a cap of one: every flagged session is its own episode
        ("111", [1, 2, 3], 0, 1, [1, 2, 3]),
    ],
)
def test_runs_are_cut_into_short_episodes(
    hot: str, score: list[float], gap: int, cap: int, want: list[int]
) -> None:
    flags = np.array([c == "1" for c in hot])
    got = assign_episodes(flags, np.asarray(score, dtype=float), gap, cap)
    assert got.tolist() == want
    for e in set(got) - {0}:
        span = np.flatnonzero(got == e)
        assert span[-1] - span[0] + 1 <= cap and flags[span[0]] and flags[span[-1]]


def _episode_with(episodes: pd.DataFrame, label: str) -> pd.Series:
    hits = episodes.loc[episodes["sessions"].str.contains(label, regex=False)]
    assert len(hits) == 1, label
    return hits.iloc[0]


def test_the_tokyo_crash_of_2024_08_05_is_seen(shared_store: Store) -> None:
    """Issue #16: scanning 2024-07-01..2024-08-31 ranks the episode holding Tokyo's 2024-08-05
    first or second, spanning at most five sessions; the market channel flagged it."""
    res = scan(shared_store, "2024-07-01", "2024-08-31")
    crash = _episode_with(res.episodes, "XTKS 08-05")
    assert crash["rank"] <= 2
    assert crash["n_sessions"] <= 5 and len(crash["sessions"].split(", ")) <= 5
    assert "market" in crash["channels"] and "^N225" in crash["market"]
    flags = res.flags.set_index(["basket", "session"])
    nikkei = flags.loc[("^N225", pd.Timestamp("2024-08-05"))]
    assert nikkei["channel"] == "market" and nikkei["basket_sar"] < -5  # a -12.4% day
    tests = res.contagion.set_index("rank")
    assert tests.loc[crash["rank"], "crisis_start"] == pd.Timestamp("2024-08-02")
    assert tests.loc[crash["rank"], "delta"] > 1  # New York's variance more than doubled
    # Without the market channel it is not flagged as a crash of Tokyo's market as a whole.
    quiet = scan(shared_store, "2024-07-01", "2024-08-31", market=False)
    assert "^N225" not in quiet.flags["basket"].to_numpy()


def test_deepseek_stays_first_with_the_market_channel(shared_store: Store) -> None:
    res = scan(shared_store, "2024-06-01", "2025-03-31")
    top = res.episodes.iloc[0]
    assert top["sessions"] == "XTKS 01-27, XNYS 01-27, XTKS 01-28"
    assert top["events"].split(", ")[0] == "deepseek_shock"
    assert top["severity"] == pytest.approx(top["severity_basket"] + top["severity_market"])


def test_the_2022_export_controls_are_matched_within_one_session(shared_store: Store) -> None:
    """Announced 2022-10-07 at 12:00 New York time: day 0 is New York's 10-07 and Tokyo's 10-11
    (10-10 was Sports Day in Japan). Within one session: New York 10-06, 10-07, 10-10 (open on
    Columbus Day) and Tokyo 10-07, 10-11, 10-12."""
    res = scan(shared_store, "2022-09-01", "2022-11-15")
    october = _episode_with(res.episodes, "XNYS 10-07")
    assert "us_ec_2022_10_07" in october["events"]
    allowed = {"XNYS 10-06", "XNYS 10-07", "XNYS 10-10", "XTKS 10-07", "XTKS 10-11", "XTKS 10-12"}
    for _, row in res.episodes.iterrows():
        near = bool(allowed & set(row["sessions"].split(", ")))
        assert ("us_ec_2022_10_07" in row["events"]) == near, row["sessions"]

"""Size of the tests under simulated nulls: rejection rates at 5% near the nominal 5%.

The expected value is theory's: under the null a test at level 5% rejects 5% of the time. With
1,000 samples the rate's standard error is 0.7 points, so a rate outside [2.5%, 8%] is a
mis-sized test, not chance (the band is -3.6 to +4.3 standard errors around 5%).

The samples are synthetic market-model returns (:func:`ipposaki.study.null_design.null_design`):
``r_it = a_i + b_i m_t + e_it``, ``m_t ~ N(0, 0.01^2)``, ``e_it ~ N(0, 0.02^2)``, 15 firms
per sample sharing day 0, estimation window -250:-11, event window -5:5, market model. All
1,000 samples of a design are columns of one wide frame with one shared market column, studied
in one ``run_study`` call with ``basket`` = sample. The designs:

(a) ``gappy-estimation``: 10 of the 15 firms miss 60% of their estimation returns (at random
    sessions, 96 left, so ``min_estimation_obs`` is lowered to 60);
(b) ``missing-event-days``: 8 of the 15 firms have no return on event days 0 and 1;
(c) ``correlated-gappy``: design (a) with same-date residual correlation 0.3 within a sample
    (``e_it = sqrt(.3) c_t + sqrt(.7) u_it``), which only Kolari-Pynnönen claims to handle.

Reproduce the rates with ``.venv/bin/python benchmarks/bench_size.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ipposaki.study import TEST_NAMES, run_study
from ipposaki.study.null_design import NULL_MARKET, SIZE_DESIGNS, null_design
from ipposaki.study.simulate import rejection_rates

pytestmark = pytest.mark.slow

SAMPLES = 1000
WINDOWS = ("0:0", "-1:1")
LOW, HIGH = 0.025, 0.08
#: Tests that claim the right size with gappy data. GRANK is not among them: as published
#: (Kolari and Pynnönen 2011) it re-standardises the CARs by their cross-sectional standard
#: deviation, so its event-day mean behaves like a t statistic with N - 1 degrees of freedom and
#: it over-rejects in small samples: 6.8% at 15 firms with complete data, 9.0% when only 7 firms
#: have day 0 (design b). Its rates are printed by benchmarks/bench_size.py and recorded in
#: docs/benchmarks.md; test_grank_size_is_what_the_docs_say keeps that statement true.
CHECKED = (
    "t_cross_section",
    "brown_warner_1985",
    "lamb",
    "patell",
    "bmp",
    "kolari_pynnonen",
    "corrado_rank",
    "modified_rank",
    "corrado_sign",
)
#: Design (c) tests only the test built for cross-correlation.
CASES = [
    (design, test, window)
    for design, tests in (
        ("gappy-estimation", CHECKED),
        ("missing-event-days", CHECKED),
        ("correlated-gappy", ("kolari_pynnonen",)),
    )
    for test in tests
    for window in WINDOWS
]
_SEEDS = {"gappy-estimation": 11, "missing-event-days": 12, "correlated-gappy": 13}
_RATES: dict[str, pd.DataFrame] = {}


def rates(design: str) -> pd.DataFrame:
    """Rejection rates at 5% of all samples of ``design`` (one study per test session)."""
    if design not in _RATES:
        returns, events = null_design(
            SIZE_DESIGNS[design], samples=SAMPLES, seed=_SEEDS[design], event_window="-5:5"
        )
        res = run_study(
            returns,
            events,
            market=NULL_MARKET,
            estimation_window="-250:-11",
            event_window="-5:5",
            car_windows=list(WINDOWS),
            min_estimation_obs=60,
        )
        assert len(res.excluded) == 0, res.excluded.head()
        _RATES[design] = rejection_rates(res.tests, WINDOWS, [0.05]).set_index(["test", "window"])
    return _RATES[design]


@pytest.mark.parametrize(("design", "test", "window"), CASES, ids=["-".join(c) for c in CASES])
def test_rejection_rate_at_5_percent_is_near_nominal(design: str, test: str, window: str) -> None:
    row = rates(design).loc[(test, window)]
    assert row["nobs"] == SAMPLES
    rate = float(row["rejection_rate"])
    assert LOW <= rate <= HIGH, f"{test} rejects {rate:.1%} of {SAMPLES} null samples in {design}"


def test_grank_size_is_what_the_docs_say() -> None:
    """GRANK with 15 pairs is near its nominal size; its small-sample excess is bounded."""
    assert "grank" in TEST_NAMES
    gappy = rates("gappy-estimation")
    for window in WINDOWS:
        assert LOW <= float(gappy.loc[("grank", window), "rejection_rate"]) <= HIGH
    few = float(rates("missing-event-days").loc[("grank", "0:0"), "rejection_rate"])
    assert few <= 0.11, f"grank rejects {few:.1%} with 7 pairs"


def test_designs_are_what_the_docstring_says() -> None:
    returns, events = null_design("correlated-gappy", samples=3, seed=0)
    firms = returns.drop(columns=NULL_MARKET)
    assert firms.shape == (256, 45) and len(events) == 45
    est = firms.iloc[:240]  # sessions -250..-11 of day 0 at row 250
    assert (est.isna().sum() == 144).sum() == 30  # 10 gappy firms per sample, 60% of 240 gone
    assert not firms.iloc[240:].isna().any().any()  # the event window is complete
    _, events_b = null_design("missing-event-days", samples=2, seed=0)
    returns_b, _ = null_design("missing-event-days", samples=2, seed=0)
    gaps = returns_b.drop(columns=NULL_MARKET).isna()
    assert list(gaps.index[gaps.any(axis=1)]) == list(returns_b.index[[250, 251]])
    assert int(gaps.any().sum()) == 16 and (events_b["event_date"] == returns_b.index[250]).all()


def test_lamb_size_when_a_whole_event_day_has_no_abnormal_return() -> None:
    """Lamb (1995) over windows that hold a day on which no pair has an abnormal return (the
    shared market series missing on day +1, with the gappy-estimation design's missing
    returns and every sample's firms on one day 0): the day is left out of the window's sum
    and of its square-root count. Counting it as a zero gave 0:1 the 0:0 value over sqrt 2:
    with seed 21 it rejected 0.6% (0:1) and 1.3% (-1:1) of the null samples, now 3.3% and
    3.6%, as 0:0 does (3.3%)."""
    returns, events = null_design(
        SIZE_DESIGNS["gappy-estimation"], samples=SAMPLES, seed=21, event_window="-5:5"
    )
    day1 = returns.index[returns.index.get_loc(pd.Timestamp(events["event_date"].iloc[0])) + 1]
    returns.loc[day1, NULL_MARKET] = float("nan")
    windows = ["0:1", "-1:1", "1:1"]
    res = run_study(
        returns,
        events,
        market=NULL_MARKET,
        estimation_window="-250:-11",
        event_window="-5:5",
        car_windows=windows,
        min_estimation_obs=60,
    )
    lamb = res.tests[(res.tests["test"] == "lamb") & (res.tests["basket"] != "all")]
    assert lamb.loc[lamb["window"] == "1:1", "statistic"].isna().all()
    for window in ("0:1", "-1:1"):
        p = lamb.loc[lamb["window"] == window, "p_value"]
        assert len(p) == SAMPLES and p.notna().all()
        rate = float((p < 0.05).mean())
        assert LOW <= rate <= HIGH, f"lamb {window} rejects {rate:.1%} of {SAMPLES} null samples"

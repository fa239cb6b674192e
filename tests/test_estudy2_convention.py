"""``convention="estudy2"``: the numbers printed in estudy2's COVID-19 vignette.

The inputs are ../shared/data/cases/estudy2_covid/prices_close.csv, the closes of estudy2's own
``data/prices.rda`` and ``data/prices_indx.rda`` (written 2021-11-14, commit bd421f98a3ca, the
same day the vignette below was rendered). The vignette ("Introduction to estudy2") runs

    get_rates_from_prices(quote = "Close", multi_day = TRUE, compounding = "continuous")
    apply_market_model(regressor = rates_indx, same_regressor_for_all = TRUE,
                       market_model = "sim", estimation_method = "ols",
                       estimation_start = 2019-04-01, estimation_end = 2020-03-13)
    parametric_tests / nonparametric_tests(event_start = 2020-03-16, event_end = 2020-03-20)

so the returns are log returns, and the market model is fitted here by plain least squares,
independently of ipposaki's engine. Only :func:`estudy2_statistics` is under test.

The expected values are the printed output, copied by hand (source in ``PRINTED_SOURCE``), and
each is checked to its printed digits: ``|x - printed| <= 0.5 * 10**-decimals``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.errors import InputError
from ipposaki.study.estudy2 import (
    ESTUDY2_COLUMNS,
    ESTUDY2_TESTS,
    IPPOSAKI_NAMES,
    estudy2_statistics,
)

REPO = Path(__file__).resolve().parents[1]
CASE = REPO.parent / "shared" / "data" / "cases" / "estudy2_covid"

FIRMS = ("AMZN", "ZM", "UBER", "NFLX", "SHOP", "FB", "UPWK")
ESTIMATION = ("2019-04-01", "2020-03-13")
EVENT = ("2020-03-16", "2020-03-20")

PRINTED_SOURCE = (
    "estudy2 vignette 'Introduction to estudy2', rendered output in "
    "https://github.com/irudnyts/estudy2/blob/14946383b9d168b1b97ebdd2a1797a2b93ba1eb4/"
    "docs/articles/estudy2-intro.html (published at "
    "https://irudnyts.github.io/estudy2/articles/estudy2-intro.html; first rendered in commit "
    "b7c4a41255c9, 2021-11-14, unchanged since). The same numbers are printed by the examples "
    "of docs/reference/{brown_warner_1980,...,wilcoxon_test}.html at the same commit."
)

# Printed values, 2020-03-16 .. 2020-03-20, as strings so that their digits are kept.
PRINTED: dict[str, tuple[str, ...]] = {
    "mean": ("0.02329740", "-0.03157867", "-0.01617850", "0.07672027", "0.05840545"),
    "bw_1980_stat": ("2.486449", "-3.370281", "-1.726675", "8.188085", "6.233409"),
    "bw_1985_stat": ("1.858514", "-2.519140", "-1.290615", "6.120241", "4.659205"),
    "t_test_stat": ("1.3941497", "-1.2769075", "-0.4023135", "1.7958275", "5.1233281"),
    "pt_stat": ("2.5507399", "-2.9495613", "0.3283654", "8.4216222", "6.3196352"),
    "bh_stat": ("1.20471169", "-1.17531339", "0.07606284", "2.16657728", "8.65212561"),
    "lmb_stat": ("1.620049", "-2.435456", "-1.254626", "6.105794", "4.565195"),
    "sign_stat": ("1.1338934", "0.3779645", "1.1338934", "1.8898224", "2.6457513"),
    "gsign_stat": ("1.1516761", "0.3957301", "1.1516761", "1.9076220", "2.6635680"),
    "csign_stat": ("0.8636930", "0.2878977", "0.8636930", "1.4394883", "2.0152836"),
    "rank_stat": ("0.7962064", "-0.1857202", "1.0205417", "2.1127972", "2.9255529"),
    "mrank_stat": ("0.8499246", "-0.2283881", "0.9865178", "2.1665371", "2.9786668"),
    "wlcx_stat": ("23", "10", "15", "27", "28"),
}

# The significance stars printed beside each statistic (same source).
PRINTED_STARS: dict[str, tuple[str, ...]] = {
    "bw_1980_stat": ("**", "***", "*", "***", "***"),
    "bw_1985_stat": ("*", "**", "", "***", "***"),
    "t_test_stat": ("", "", "", "", "***"),
    "pt_stat": ("**", "***", "", "***", "***"),
    "bh_stat": ("", "", "", "*", "***"),
    "lmb_stat": ("", "**", "", "***", "***"),
    "sign_stat": ("", "", "", "*", "***"),
    "gsign_stat": ("", "", "", "*", "***"),
    "csign_stat": ("", "", "", "", "**"),
    "rank_stat": ("", "", "", "**", "***"),
    "mrank_stat": ("", "", "", "**", "***"),
    "wlcx_stat": ("*", "", "", "***", "***"),
}

KEY_OF_COLUMN = {column: name for name, column in ESTUDY2_COLUMNS.items()} | {"mean": "mean"}


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


@pytest.fixture(scope="module")
def covid() -> dict[str, np.ndarray]:
    """estudy2's vignette inputs, abnormal returns by an independent OLS, and the statistics."""
    prices_file = CASE / "prices_close.csv"
    if not prices_file.is_file():
        pytest.skip(f"estudy2 COVID case not found at {CASE} (shared/ is not beside the checkout)")
    prices = pd.read_csv(prices_file, index_col="date", parse_dates=True)
    # compounding = "continuous": log returns between consecutive rows; a firm's first price
    # (ZM and UBER list during the window) has no return. No firm has a gap inside its history,
    # so estudy2's multi_day = TRUE changes nothing here.
    for symbol in (*FIRMS, "GSPC"):
        listed = prices[symbol].loc[prices[symbol].first_valid_index() :]
        assert listed.notna().all(), symbol
    returns = np.log(prices / prices.shift(1)).iloc[1:]
    est = returns.loc[ESTIMATION[0] : ESTIMATION[1]]
    ev = returns.loc[EVENT[0] : EVENT[1]]
    assert len(ev) == 5 and est.index[-1] < ev.index[0]

    resid = np.full((len(FIRMS), len(est)), np.nan)
    ar = np.full((len(FIRMS), len(ev)), np.nan)
    for i, firm in enumerate(FIRMS):
        ok = est[firm].notna() & est["GSPC"].notna()
        design = np.column_stack([np.ones(int(ok.sum())), est["GSPC"][ok]])
        (alpha, beta), *_ = np.linalg.lstsq(design, est[firm][ok].to_numpy(), rcond=None)
        resid[i, ok.to_numpy()] = est[firm][ok].to_numpy() - alpha - beta * est["GSPC"][ok]
        ar[i] = ev[firm].to_numpy() - alpha - beta * ev["GSPC"].to_numpy()
    # Estimation lengths: every firm's days from 2019-04-02 (the first return) to 2020-03-13.
    assert np.sum(~np.isnan(resid), axis=1).tolist() == [240, 227, 212, 240, 240, 240, 240]
    return estudy2_statistics(resid, ar, est["GSPC"].to_numpy(), ev["GSPC"].to_numpy())


@pytest.mark.shared
@pytest.mark.parametrize("column", list(PRINTED), ids=list(PRINTED))
def test_printed_values(covid: dict[str, np.ndarray], column: str) -> None:
    """Each of the 65 printed numbers, to its printed digits."""
    got = covid[KEY_OF_COLUMN[column]]
    for day, text in enumerate(PRINTED[column]):
        tolerance = 0.5 * 10.0 ** -_decimals(text)
        assert abs(got[day] - float(text)) <= tolerance, (
            f"{column} on day {day}: {got[day]!r} vs printed {text} ({PRINTED_SOURCE})"
        )


@pytest.mark.shared
@pytest.mark.parametrize("column", list(PRINTED_STARS), ids=list(PRINTED_STARS))
def test_printed_stars(covid: dict[str, np.ndarray], column: str) -> None:
    """The significance stars printed beside each statistic."""
    got = covid[f"{KEY_OF_COLUMN[column]}_signif"]
    assert tuple(got.tolist()) == PRINTED_STARS[column]


@pytest.mark.shared
def test_all_firms_present_every_event_day(covid: dict[str, np.ndarray]) -> None:
    """The vignette prints percentage 100 on every day."""
    assert covid["n"].tolist() == [7.0] * 5
    assert covid["percentage"].tolist() == [100.0] * 5


@pytest.mark.shared
def test_wilcoxon_stars_use_one_sided_upper_level(covid: dict[str, np.ndarray]) -> None:
    """V = 28 of n = 7 gets ``***`` although its exact two-sided p-value is 2/128 > 0.01."""
    assert covid["wilcoxon_test"][4] == 28.0
    assert covid["wilcoxon_test_p"][4] == pytest.approx(2.0 / 128.0)
    assert covid["wilcoxon_test_signif"][4] == "***"


def test_keys_and_shapes() -> None:
    rng = np.random.default_rng(1)
    out = estudy2_statistics(
        rng.normal(size=(4, 30)), rng.normal(size=(4, 3)), rng.normal(size=30), rng.normal(size=3)
    )
    for name in ESTUDY2_TESTS:
        assert out[name].shape == out[f"{name}_p"].shape == out[f"{name}_signif"].shape == (3,)
    assert list(out)[:3] == ["mean", "n", "percentage"]


def test_missing_firm_scales_sums_like_estudy2() -> None:
    """By hand: estudy2 sums over firms as ``N * mean`` of the firms present.

    Day 0 has ARs (0.02, -0.01, NaN, 0.03), so N = 4 and n = 3. Sign test: 2 positives,
    scaled to 2 * 4/3 = 8/3, and (8/3 - 3/2) / sqrt(3/4). Wilcoxon: |AR| ranks 2, 1, 3; the
    positive ones sum to 5, scaled to 5 * 4/3 = 20/3.
    """
    resid = np.array(
        [
            [0.01, -0.02, 0.015, -0.005, 0.0],
            [-0.01, 0.02, -0.015, 0.005, 0.001],
            [-0.003, -0.004, 0.002, -0.001, 0.002],
            [0.02, -0.01, 0.0, 0.01, -0.02],
        ]
    )
    ar = np.array([[0.02], [-0.01], [np.nan], [0.03]])
    market_est = np.array([0.01, -0.01, 0.005, 0.0, -0.004])
    out = estudy2_statistics(resid, ar, market_est, np.array([0.002]))
    assert out["n"][0] == 3.0
    assert out["mean"][0] == pytest.approx(0.04 / 3.0)
    assert out["sign_test"][0] == pytest.approx((8.0 / 3.0 - 1.5) / np.sqrt(0.75))
    assert out["wilcoxon_test"][0] == pytest.approx(20.0 / 3.0)
    # Generalized sign: 9 positive of the 20 estimation values (zeros are not positive).
    p = 9.0 / 20.0
    expected = (8.0 / 3.0 - 3.0 * p) / np.sqrt(3.0 * p * (1.0 - p))
    assert out["generalized_sign_test"][0] == pytest.approx(expected)
    # Brown-Warner 1980: the variances of all 4 firms (ddof 1) over N = 4.
    s2 = [np.var(row, ddof=1) for row in resid]
    assert out["brown_warner_1980"][0] == pytest.approx((0.04 / 3.0) / (np.sqrt(sum(s2)) / 4.0))


def test_patell_by_hand() -> None:
    """Two firms, one event day, ddof-1 residual sd and the market over the whole window."""
    resid = np.array(
        [[0.01, -0.01, 0.02, -0.02, 0.0, 0.0], [np.nan, 0.02, -0.02, 0.01, -0.01, 0.0]]
    )
    market_est = np.array([0.01, 0.0, -0.01, 0.02, -0.02, 0.0])
    out = estudy2_statistics(resid, np.array([[0.03], [-0.01]]), market_est, np.array([0.01]))
    # Market mean 0 and sum of squares 0.001 over all six days, also firm 2's missing day.
    s1 = np.sqrt(0.001 / 5.0)  # firm 1: sum of squares 0.001 over L - 1 = 5
    s2 = np.sqrt(0.001 / 4.0)  # firm 2: sum of squares 0.001 over L - 1 = 4
    sar1 = 0.03 / s1 / np.sqrt(1.0 + 1.0 / 6.0 + 0.0001 / 0.001)
    sar2 = -0.01 / s2 / np.sqrt(1.0 + 1.0 / 5.0 + 0.0001 / 0.001)
    denominator = np.sqrt(4.0 / 2.0 + 3.0 / 1.0)  # (L - 2) / (L - 4) for L = 6 and 5
    assert out["patell"][0] == pytest.approx((sar1 + sar2) / denominator)


@pytest.mark.parametrize(
    ("argument", "arrays"),
    [
        ("ar", (np.zeros((3, 10)), np.zeros((2, 2)), np.zeros(10), np.zeros(2))),
        ("market_est", (np.zeros((3, 10)), np.zeros((3, 2)), np.zeros(9), np.zeros(2))),
        ("market_ev", (np.zeros((3, 10)), np.zeros((3, 2)), np.zeros(10), np.zeros((2, 2)))),
        ("resid", (np.zeros(10), np.zeros((3, 2)), np.zeros(10), np.zeros(2))),
    ],
    ids=["ar-firms", "market-est-length", "market-ev-shape", "resid-1d"],
)
def test_bad_shapes_name_the_argument(
    argument: str, arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(InputError, match=f"^{argument}="):
        estudy2_statistics(*arrays)


@pytest.mark.shared
def test_run_study_estudy2_convention_reproduces_vignette() -> None:
    """The engine end to end: ``run_study(..., convention="estudy2")`` prints the 65 numbers."""
    from ipposaki.study import run_study

    prices_file = CASE / "prices_close.csv"
    if not prices_file.is_file():
        pytest.skip(f"estudy2 COVID case not found at {CASE} (shared/ is not beside the checkout)")
    prices = pd.read_csv(prices_file, index_col="date", parse_dates=True)
    returns = np.log(prices / prices.shift(1)).iloc[1:]
    events = pd.DataFrame({"symbol": list(FIRMS), "event_date": EVENT[0]})
    res = run_study(
        returns,
        events,
        market="GSPC",
        estimation_window="-240:-1",
        event_window="0:4",
        car_windows=["0:0"],
        min_estimation_obs=200,
        log_returns=True,
        convention="estudy2",
    )
    assert res.excluded.empty
    assert res.params.set_index("symbol")["nobs"].to_dict() == {
        "AMZN": 240,
        "ZM": 227,
        "UBER": 212,
        "NFLX": 240,
        "SHOP": 240,
        "FB": 240,
        "UPWK": 240,
    }
    aar = res.aar.query("basket == 'all'")["aar"].to_numpy()
    tests = res.tests.query("basket == 'all'")
    ours = {column: IPPOSAKI_NAMES[KEY_OF_COLUMN[column]] for column in PRINTED if column != "mean"}
    for day, text in enumerate(PRINTED["mean"]):
        assert abs(aar[day] - float(text)) <= 0.5 * 10.0 ** -_decimals(text)
    for column, name in ours.items():
        for day, text in enumerate(PRINTED[column]):
            got = tests[(tests["test"] == name) & (tests["window"] == f"{day}:{day}")]["statistic"]
            assert len(got) == 1, (name, day)
            tolerance = 0.5 * 10.0 ** -_decimals(text)
            assert abs(float(got.iloc[0]) - float(text)) <= tolerance, (column, day, PRINTED_SOURCE)


@pytest.mark.shared
def test_cli_convention_estudy2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``ipposaki study --convention estudy2`` on the vignette's prices writes the printed
    statistics to tests.csv; an unknown convention is refused before anything is read."""
    from ipposaki.cli.main import run

    prices_file = CASE / "prices_close.csv"
    if not prices_file.is_file():
        pytest.skip(f"estudy2 COVID case not found at {CASE} (shared/ is not beside the checkout)")
    events = tmp_path / "events.csv"
    events.write_text("symbol,event_date\n" + "".join(f"{f},{EVENT[0]}\n" for f in FIRMS))
    base = [
        "study",
        "--prices",
        str(prices_file),
        "--events",
        str(events),
        "--market",
        "GSPC",
        "--log-returns",
        "--estimation-window",
        "-240:-1",
        "--event-window",
        "0:4",
        "--car-window",
        "0:0",
        "--min-estimation-obs",
        "200",
        "--out",
        str(tmp_path / "out"),
    ]
    assert run([*base, "--convention", "eviews"]) == 2
    assert "--convention='eviews'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert run([*base, "--convention", "estudy2"]) == 0
    tests = pd.read_csv(tmp_path / "out" / "tests.csv")
    rank = tests[(tests["test"] == "corrado_rank") & (tests["basket"] == "all")]
    printed = [float(v) for v in PRINTED["rank_stat"]]
    assert (
        rank.set_index("window")
        .loc[["0:0", "1:1", "2:2", "3:3", "4:4"], "statistic"]
        .round(7)
        .tolist()
        == printed
    )


def test_estudy2_convention_needs_the_market_model() -> None:
    """estudy2's Patell, Boehmer and Lamb need the market series: another model is refused."""
    from ipposaki.study import run_study

    idx = pd.bdate_range("2020-01-01", periods=300)
    rng = np.random.default_rng(0)
    returns = pd.DataFrame(rng.normal(0, 0.01, (300, 2)), index=idx, columns=["A", "MKT"])
    events = pd.DataFrame({"symbol": ["A"], "event_date": [idx[280]]})
    with pytest.raises(InputError, match="model='constant-mean'"):
        run_study(returns, events, model="constant-mean", convention="estudy2")

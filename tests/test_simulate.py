"""``ipposaki simulate`` and :func:`ipposaki.study.simulate.simulate` on a small synthetic panel.

The panel: 12 firms with market-model returns (residual sd 2%) and a market ``MKT`` on 260
business days, as a long prices CSV. Expected values come from the design, not from the code:
the abnormal return sits on day 0 of its own pseudo-event and nowhere else, the rates are
shares of runs with a binomial interval around them, and a t test on 8 firms with residual sd
2% detects a 4% abnormal return almost always (t is about 5.7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ipposaki.calendars import sessions
from ipposaki.cli.main import run
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.results import manifest_json
from ipposaki.study import TEST_NAMES
from ipposaki.study.null_design import null_design
from ipposaki.study.simulate import (
    OUTPUT_FILES,
    SimulationResult,
    _draw,
    _eligible,
    _pack,
    _segments,
    _widened,
    simulate,
)
from ipposaki.study.windows import Window

FIRMS, SESSIONS = 12, 260
#: Short windows so that a run takes a fraction of a second.
DESIGN = [
    "--estimation-window",
    "-150:-11",
    "--event-window",
    "-3:3",
    "--min-estimation-obs",
    "80",
    "--events-per-run",
    "8",
    "--runs",
    "40",
]


def _returns(seed: int = 5, sessions: int = SESSIONS) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=sessions)
    m = rng.normal(0.0, 0.01, sessions)
    beta = rng.uniform(0.5, 1.5, FIRMS)
    r = m[:, None] * beta + rng.normal(0.0, 0.02, (sessions, FIRMS))
    frame = pd.DataFrame(r, index=index, columns=[f"F{i:02d}" for i in range(FIRMS)])
    frame["MKT"] = m
    return frame


@pytest.fixture(scope="module")
def prices_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long prices (date, symbol, close) on NYSE sessions; their returns are :func:`_returns`."""
    returns = _returns()
    returns.index = sessions("XNYS", "2020-01-02", "2021-03-31")[:SESSIONS]
    prices = 100.0 * (1.0 + returns).cumprod()
    long = (
        prices.rename_axis("date").reset_index().melt("date", var_name="symbol", value_name="close")
    )
    path = tmp_path_factory.mktemp("sim") / "prices.csv"
    long.assign(date=long["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def _cli(prices: Path, out: Path, *extra: str) -> int:
    argv = ["--quiet", "simulate", "--prices", str(prices), "--market", "MKT", *DESIGN]
    return run([*argv, "--out", str(out), *extra])


def test_cli_writes_rates_plot_summary_and_manifest(
    prices_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    argv = ["--json", "simulate", "--prices", str(prices_csv), "--market", "MKT", *DESIGN]
    argv += ["--abnormal", "0,0.04", "--seed", "3", "--car-window", "0:0", "--car-window", "-1:1"]
    assert run([*argv, "--out", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert sorted(Path(f).name for f in doc["files"]) == sorted(OUTPUT_FILES)
    power = pd.read_csv(out / "power.csv")
    assert list(power.columns) == [
        "test",
        "window",
        "abnormal",
        "nobs",
        "rejection_rate",
        "ci_low",
        "ci_high",
        "alpha",
    ]
    tests = set(power["test"])
    assert tests == set(TEST_NAMES)
    assert len(power) == len(tests) * 2 * 2 * 3  # tests x windows x abnormal x alphas
    assert set(power["alpha"]) == {0.01, 0.05, 0.1}
    assert set(power["window"]) == {"0:0", "-1:1"} and set(power["abnormal"]) == {0.0, 0.04}
    assert (power["nobs"] == 40).all()  # every test is defined in every run
    assert (power["ci_low"] <= power["rejection_rate"]).all()
    assert (power["rejection_rate"] <= power["ci_high"]).all()
    # the interval is Clopper-Pearson's, as scipy's binomtest computes it
    for row in power.sample(10, random_state=0).itertuples():
        k = round(row.rejection_rate * row.nobs)
        ci = stats.binomtest(k, row.nobs).proportion_ci(confidence_level=0.95, method="exact")
        assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-12)
    # rejections are at most as frequent at a stricter level
    wide = power.pivot_table(
        index=["test", "window", "abnormal"], columns="alpha", values="rejection_rate"
    )
    assert (wide[0.01] <= wide[0.05]).all() and (wide[0.05] <= wide[0.1]).all()
    assert (out / "power.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.txt").read_text()
    assert "day 0 only" in summary and "window -1:1" in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["seed"] == 3
    assert manifest["parameters"]["abnormal"] == [0.0, 0.04]
    assert manifest["data"]["source"] == str(prices_csv)
    assert manifest["data"]["symbols"] == FIRMS and manifest["data"]["excluded_pairs"] == 0
    assert {"numpy", "pandas", "ipposaki"} <= set(manifest["versions"])
    events = pd.read_csv(out / "pseudo_events.csv")
    assert len(events) == 40 * 8 and set(events["symbol"]) <= {f"F{i:02d}" for i in range(FIRMS)}
    # same-date: one day 0 per run, eight distinct firms
    per_run = events.groupby("run").agg(
        dates=("event_session", "nunique"), firms=("symbol", "nunique")
    )
    assert (per_run["dates"] == 1).all() and (per_run["firms"] == 8).all()


def test_same_seed_gives_the_same_power_csv(prices_csv: Path, tmp_path: Path) -> None:
    extra = ["--abnormal", "0,0.02", "--seed", "7", "--cluster", "random", "--missing", "0.3"]
    assert _cli(prices_csv, tmp_path / "a", *extra) == 0
    assert _cli(prices_csv, tmp_path / "b", *extra) == 0
    assert _cli(prices_csv, tmp_path / "c", *[("8" if x == "7" else x) for x in extra]) == 0
    a, b, c = ((tmp_path / x / "power.csv").read_bytes() for x in "abc")
    assert a == b
    assert a != c
    events = pd.read_csv(tmp_path / "a" / "pseudo_events.csv")
    # 30% of each pseudo-event's 140 estimation returns (139 when the first return is the
    # prices' first date, which has none) deleted
    n = events["n_estimation_returns"]
    assert n.isin([139, 140]).all()
    assert (events["n_deleted"] == np.floor(0.3 * n + 0.5)).all()
    assert events.groupby("run")["event_session"].nunique().max() > 1  # random: own day 0 each


def test_power_increases_with_the_abnormal_return(prices_csv: Path, tmp_path: Path) -> None:
    assert _cli(prices_csv, tmp_path / "p", "--abnormal", "0,0.01,0.04", "--seed", "2") == 0
    power = pd.read_csv(tmp_path / "p" / "power.csv").query("alpha == 0.05")
    for test in ("t_cross_section", "patell", "bmp", "corrado_rank"):
        curve = power.query("test == @test and window == '0:0'").set_index("abnormal")
        rate = curve["rejection_rate"]
        assert rate[0.0] < rate[0.01] < rate[0.04], (test, rate.to_dict())
        assert rate[0.04] >= 0.9, test
        assert curve.loc[0.0, "ci_high"] < curve.loc[0.04, "ci_low"], test


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--abnormal", "0,1%"], "--abnormal='0,1%'"),
        (["--abnormal", "0,0"], "--abnormal"),
        (["--cluster", "weekly"], "--cluster='weekly'"),
        (["--missing", "1.2"], "--missing=1.2"),
        (["--missing", "-0.1"], "--missing=-0.1"),
        (["--events-per-run", "1"], "--events-per-run=1"),
        (["--events-per-run", "13"], "--events-per-run=13"),
        (["--runs", "0"], "--runs=0"),
        (["--runs", "1000000000000"], "--runs=1000000000000"),
        (["--abnormal", "0,-2"], "--abnormal"),
        (["--start", "05/01/2024"], "--start='05/01/2024'"),
        (["--car-window", "0:5"], "--car-window='0:5'"),
        (["--event-window", "3:-3"], "--event-window='3:-3'"),
        (["--model", "factor"], "--model='factor'"),
        (["--market", "SPY"], "unknown market series 'SPY'"),
        (["--seed", "-1"], "--seed=-1"),
        (["--backend", "spark"], "--backend='spark'"),
        (["--min-estimation-obs", "145", "--missing", "0.1"], "returns="),
    ],
    ids=lambda v: v[0].lstrip("-") if isinstance(v, list) else None,
)
def test_bad_options_exit_2_with_one_line_and_write_nothing(
    prices_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    named: str,
) -> None:
    out = tmp_path / "never"
    assert _cli(prices_csv, out, *args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and named in err, err
    assert not out.exists()


def test_out_that_is_a_file_and_missing_source_exit_2(
    prices_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "file.txt"
    taken.write_text("x")
    assert _cli(prices_csv, taken) == 2
    assert "--out=" in capsys.readouterr().err
    assert run(["simulate", "--market", "MKT", "--out", str(tmp_path / "o")]) == 2
    assert "--exchange=None" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# -- the library -------------------------------------------------------------------------------


def test_injection_and_deletions_reach_only_their_own_pseudo_event() -> None:
    returns = _returns(seed=9, sessions=900)
    values = returns.drop(columns="MKT").to_numpy()
    market = returns["MKT"].to_numpy()
    est, evw = Window(-150, -11), Window(-3, 3)
    rng = np.random.default_rng(4)
    elig = _eligible(values, market, est, evw, 0.25, 80)
    pos, sym = _draw(elig, runs=40, per_run=6, cluster="random", rng=rng)
    pseudo, n_est, deleted = _segments(values, market, pos, sym, est, evw, 0.25, rng)
    base = _widened(pseudo, 0.0, returns.index, "MKT", market)
    shocked = _widened(pseudo, 0.05, returns.index, "MKT", market)
    assert pseudo.n_columns < len(pos)  # spans that do not overlap share a column
    diff = (shocked - base).to_numpy()
    # +0.05 on each pseudo-event's day 0 in its own column, and nothing anywhere else
    expected = np.zeros_like(diff)
    expected[pos, pseudo.columns] = 0.05
    np.testing.assert_allclose(np.nan_to_num(diff), expected, atol=1e-15)
    pd.testing.assert_series_equal(base["MKT"], returns["MKT"])
    for j in range(len(pos)):  # each copy: the symbol's returns, less its own deletions
        rows = np.arange(pos[j] - 150, pos[j] + 4)
        copy = base.iloc[rows, pseudo.columns[j]].to_numpy()
        source = values[rows, sym[j]]
        gone = np.isnan(copy) & ~np.isnan(source)
        assert gone.sum() == deleted[j] == int(np.floor(0.25 * n_est[j] + 0.5))
        assert gone[140:].sum() == 0  # none in the event window (and the gap before it)
        np.testing.assert_array_equal(copy[~gone], source[~gone])


def test_pack_never_overlaps_and_uses_the_deepest_overlap() -> None:
    starts = np.array([0, 5, 10, 15, 20, 3, 30])
    columns, n = _pack(starts, 10)
    assert n == 3  # rows 10-12 hold starts 3, 5 and 10 at once
    for c in range(n):
        s = np.sort(starts[columns == c])
        assert (np.diff(s) >= 10).all()


def test_library_result_is_read_only_and_takes_a_generator() -> None:
    returns = _returns(seed=1)
    kwargs = dict(
        market="MKT",
        events_per_run=6,
        runs=25,
        abnormal=[0.0, 0.03],
        estimation_window="-150:-11",
        event_window="-3:3",
        car_windows=["0:0"],
        min_estimation_obs=80,
    )
    a = simulate(returns, seed=np.random.default_rng(11), **kwargs)
    b = simulate(returns, seed=np.random.default_rng(11), **kwargs)
    assert isinstance(a, SimulationResult)
    pd.testing.assert_frame_equal(a.rates, b.rates)
    assert a.parameters.seed is None and a.manifest["generator_state"]["bit_generator"] == "PCG64"
    json.loads(manifest_json(a.manifest))  # JSON-ready, generator state included
    rates = a.rates
    rates["rejection_rate"] = -1.0
    assert (a.rates["rejection_rate"] >= 0).all()
    assert (
        a.rate("bmp", "0:0", 0.03)
        == a.rates.query("test == 'bmp' and abnormal == 0.03 and alpha == 0.05")[
            "rejection_rate"
        ].item()
    )
    with pytest.raises(UnknownNameError, match="window"):
        a.rate("bmp", "-1:1")
    p = a.pvalues
    assert set(p["run"]) == set(range(1, 26)) and len(p) == 2 * 25 * len(TEST_NAMES)
    assert "day 0 only" in a.summary and "SimulationResult(25 runs" in repr(a)
    with pytest.raises(InputError, match="missing=1.0"):
        simulate(returns, missing=1.0, **kwargs)


def test_null_design_builds_one_wide_frame() -> None:
    returns, events = null_design("gappy-estimation", samples=4, seed=0)
    assert returns.shape == (256, 4 * 15 + 1)
    assert events["basket"].nunique() == 4 and len(events) == 60
    with pytest.raises(UnknownNameError, match="null design"):
        null_design("nope")


def test_dask_backend_gives_the_local_p_values(dask_client: Any) -> None:
    from ipposaki.study.distributed import DaskBackend

    returns = _returns(seed=2)
    kwargs = dict(
        market="MKT",
        events_per_run=6,
        runs=10,
        abnormal=[0.0, 0.02],
        estimation_window="-150:-11",
        event_window="-3:3",
        min_estimation_obs=80,
        seed=5,
    )
    local = simulate(returns, **kwargs)
    remote = simulate(returns, backend=DaskBackend(client=dask_client), **kwargs)
    pd.testing.assert_frame_equal(local.pvalues, remote.pvalues, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(local.rates, remote.rates)

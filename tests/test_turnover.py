"""Log turnover for the volume measure (#17): ln(100 V / S + 0.000255), Campbell and Wasley
(1996). Expected values are computed here by hand, in plain numpy, from the inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ipposaki.calendars import sessions
from ipposaki.errors import InputError
from ipposaki.study import run_study


def _data(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = sessions("XTKS", "2023-01-04", "2024-06-28")[:300]
    names = ["A", "B", "C"]
    volume = pd.DataFrame(
        np.floor(np.exp(rng.normal(13.0, 0.6, (len(idx), 3)))), index=idx, columns=names
    )
    volume.iloc[120, 0] = 0.0  # a day without trades has a logarithm
    volume.iloc[130, 1] = np.nan  # a missing volume stays missing
    shares = pd.DataFrame(np.tile([4.0e8, 1.2e9, 2.5e7], (len(idx), 1)), index=idx, columns=names)
    shares.iloc[200:, 2] *= 3.0  # a 1-for-3 split: the count in force changes
    shares.iloc[:40, 1] = np.nan  # no count known yet: missing
    returns = pd.DataFrame(0.0, index=idx, columns=names)
    events = pd.DataFrame({"symbol": names, "event_date": idx[280]})
    return returns, volume, shares, events


def test_abnormal_log_turnover_equals_the_hand_computation() -> None:
    returns, volume, shares, events = _data()
    res = run_study(
        returns,
        events,
        model="constant-mean",
        measure="volume",
        volume=volume,
        shares=shares,
        estimation_window="-250:-11",
        event_window="-5:10",
    )
    ar = res.ar.set_index(["symbol", "rel_day"])["ar"]
    pos0 = 280
    for j, name in enumerate(["A", "B", "C"]):
        series = np.log(100.0 * volume.iloc[:, j] / shares.iloc[:, j] + 0.000255).to_numpy()
        est = series[pos0 - 250 : pos0 - 10]
        normal = np.nanmean(est)
        for day in (-5, 0, 7):
            assert ar[(name, day)] == pytest.approx(series[pos0 + day] - normal, abs=1e-12)
        assert res.params.set_index("symbol").loc[name, "nobs"] == np.sum(~np.isnan(est))
    assert res.parameters.turnover is True  # type: ignore[attr-defined]
    assert "log turnover" in res.summary.as_text().split("\n")[1]


def test_without_shares_the_series_is_log_one_plus_volume() -> None:
    returns, volume, _, events = _data()
    res = run_study(returns, events, model="constant-mean", measure="volume", volume=volume)
    series = np.log1p(volume["A"].to_numpy())
    ar0 = res.ar.set_index(["symbol", "rel_day"]).loc[("A", 0), "ar"]
    assert ar0 == pytest.approx(series[280] - series[280 - 250 : 280 - 10].mean(), abs=1e-12)
    assert res.parameters.turnover is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "allowed"),
    [
        (lambda s: s.mask(s > 0, 0.0), "a positive, finite number of shares outstanding"),
        (lambda s: s.mask(s > 0, -5.0), "a positive, finite number of shares outstanding"),
        (lambda s: s.mask(s > 0, np.inf), "a positive, finite number of shares outstanding"),
        (lambda s: s.rename(columns=lambda c: c + "x"), "shares outstanding"),
    ],
    ids=["zero", "negative", "infinite", "no-symbol"],
)
def test_bad_shares_are_refused_naming_the_argument(change: object, allowed: str) -> None:
    returns, volume, shares, events = _data()
    with pytest.raises(InputError) as info:
        run_study(
            returns,
            events,
            model="constant-mean",
            measure="volume",
            volume=volume,
            shares=change(shares),  # type: ignore[operator]
        )
    assert info.value.argument == "shares"
    assert info.value.allowed == allowed


def test_shares_need_the_volume_measure() -> None:
    returns, _, shares, events = _data()
    with pytest.raises(InputError) as info:
        run_study(returns, events, model="constant-mean", shares=shares)
    assert info.value.argument == "shares"


def _store_with_shares(tmp_path: object, with_shares: bool) -> tuple[object, pd.DataFrame]:
    """A store of made-up Tokyo bars (close = adj_close: no split) and, optionally, share
    counts disclosed before the study (illustrative numbers, not company data)."""
    from pathlib import Path

    from ipposaki.store import Store

    folder = Path(str(tmp_path))
    rng = np.random.default_rng(8)
    idx = sessions("XTKS", "2023-06-01", "2025-02-28")
    rows = []
    for symbol in ("8035.T", "6857.T"):
        close = 1000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, len(idx))))
        volume = np.floor(np.exp(rng.normal(15.0, 0.5, len(idx))))
        rows.append(
            pd.DataFrame(
                {
                    "date": idx.strftime("%Y-%m-%d"),
                    "symbol": symbol,
                    "close": close.round(2),
                    "adj_close": close.round(2),
                    "volume": volume,
                    "currency": "JPY",
                }
            )
        )
    prices = pd.concat(rows, ignore_index=True)
    prices.to_csv(folder / "bars.csv", index=False)
    store = Store(folder / "store.duckdb")
    store.import_files([folder / "bars.csv"])
    if with_shares:
        store.add_listed_info(
            pd.DataFrame(
                {
                    "symbol": ["8035.T", "6857.T"],
                    "as_of": pd.to_datetime(["2023-05-15", "2023-05-15"]),
                    "shares_outstanding": [471_632_733.0, 766_141_256.0],
                    "treasury_shares": [0.0, 0.0],
                }
            )
        )
    return store, prices


def test_a_spec_studies_log_turnover_from_the_stores_share_counts(tmp_path: object) -> None:
    from pathlib import Path

    from ipposaki.study.spec import load_spec, run_spec

    store, prices = _store_with_shares(tmp_path, with_shares=True)
    spec = Path(str(tmp_path)) / "t.toml"
    spec.write_text(
        'title = "t"\n[study]\nmodel = "constant-mean"\nmeasure = "volume"\nturnover = true\n'
        '[[events]]\nid = "d"\ndate = "2025-01-28"\nsymbols = ["8035.T"]\n'
    )
    res = run_spec(load_spec(spec), store).results["XTKS"]  # type: ignore[arg-type]
    bars = prices[prices["symbol"] == "8035.T"].set_index("date")["volume"]
    series = np.log(100.0 * bars.to_numpy() / 471_632_733.0 + 0.000255)
    day0 = list(bars.index).index("2025-01-28")
    expected = series[day0] - series[day0 - 250 : day0 - 10].mean()
    assert res.ar.set_index("rel_day").loc[0, "ar"] == pytest.approx(expected, abs=1e-10)
    assert res.parameters.turnover is True  # type: ignore[attr-defined]


def test_a_spec_asking_turnover_without_share_counts_names_the_key(tmp_path: object) -> None:
    from pathlib import Path

    from ipposaki.study.spec import load_spec, run_spec

    store, _ = _store_with_shares(tmp_path, with_shares=False)
    spec = Path(str(tmp_path)) / "t.toml"
    spec.write_text(
        'title = "t"\n[study]\nmodel = "constant-mean"\nmeasure = "volume"\nturnover = true\n'
        '[[events]]\nid = "d"\ndate = "2025-01-28"\nsymbols = ["8035.T"]\n'
    )
    with pytest.raises(InputError) as info:
        run_spec(load_spec(spec), store)  # type: ignore[arg-type]
    assert info.value.argument == "[study].turnover"
    bad = Path(str(tmp_path)) / "b.toml"
    bad.write_text(
        'title = "b"\n[study]\nturnover = true\n'
        '[[events]]\nid = "d"\ndate = "2025-01-28"\nsymbols = ["8035.T"]\n'
    )
    with pytest.raises(InputError, match="turnover"):
        load_spec(bad)

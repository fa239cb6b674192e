"""Drivers known at the close: which value of each driver a Tokyo session may use.

The rule (``ipposaki.spillover.data``): a target session's information ends at the close of the
last New York session that closed before it opened. A series listed in New York enters with its
compounded returns over the New York sessions that closed since the previous target session's
cutoff. A series that trades on no exchange enters with the change between the last values known
at the two cutoffs: ``JPY=X`` closes dated D are known at 17:00 New York time on D (after the
NYSE close), ``DEXJPUS`` values when H.10 publishes them (the Monday after their week, 16:15 New
York time, the next weekday when that Monday is a federal holiday).

The synthetic stores below hold constant prices with one jump, so the only non-zero driver value
is the one whose interval first holds the jump, and the tests say by hand which session that is.
Calendar facts used: 2025-01-09 NYSE closed (national day of mourning), 2025-01-13 Tokyo closed
(Coming of Age Day), 2025-01-20 NYSE closed (Martin Luther King Jr. Day).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.tseries.holiday import USFederalHolidayCalendar

from ipposaki.calendars import sessions
from ipposaki.errors import DriverDroppedWarning, InputError
from ipposaki.spillover import forecast_next
from ipposaki.spillover.data import observed_at, spillover_data
from ipposaki.spillover.forecast import ForecastUnavailableError
from ipposaki.store import Store

START, END = "2024-06-03", "2025-06-30"


def _days(symbol: str, start: str = START, end: str = END) -> pd.DatetimeIndex:
    if symbol == "^SOX":
        return sessions("XNYS", start, end)
    if symbol == "^N225":
        return sessions("XTKS", start, end)
    days = pd.bdate_range(start, end)
    if symbol == "DEXJPUS":  # the Fed's calendar: no values on US federal holidays
        days = days.difference(USFederalHolidayCalendar().holidays(start, end))
    return days


def _rows(symbol: str, close: np.ndarray, days: pd.DatetimeIndex) -> pd.DataFrame:
    rows = pd.DataFrame({"symbol": symbol, "session": days, "close": close})
    if symbol == "^N225":
        rows["open"] = close
    return rows


def _jump(symbol: str, day: str, end: str = END) -> pd.DataFrame:
    """Close 100 up to the day before ``day``, 110 from ``day`` on."""
    days = _days(symbol, end=end)
    return _rows(symbol, np.where(days >= pd.Timestamp(day), 110.0, 100.0), days)


def _noise(symbol: str, seed: int, end: str = END) -> pd.DataFrame:
    days = _days(symbol, end=end)
    rng = np.random.default_rng(seed)
    return _rows(symbol, 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))), days)


def _store(path, frames: list[pd.DataFrame]) -> Store:
    store = Store(path / "store.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.ingest(pd.concat(frames, ignore_index=True), "synthetic")
    return store


def _driver(store: Store, driver: str, start: str, end: str) -> pd.Series:
    data = spillover_data(store, "XNYS", "XTKS", ["^N225"], [driver], start, end)
    return data.x[driver]


def _only_jump(x: pd.Series) -> str:
    """The one target session whose driver is not 0 (and not missing)."""
    moved = x[x.fillna(0) != 0]
    assert len(moved) == 1, moved
    assert moved.iloc[0] == pytest.approx(0.1, rel=1e-12)
    return str(moved.index[0].date())


# -- when a value is known ----------------------------------------------------------------------


def test_observation_times() -> None:
    days = pd.DatetimeIndex(["2025-01-17", "2025-07-01"])
    # JPY=X: 17:00 New York; EST is UTC-5 in January, EDT UTC-4 in July.
    assert [str(t) for t in observed_at("JPY=X", days).astype("datetime64[m]")] == [
        "2025-01-17T22:00",
        "2025-07-01T21:00",
    ]
    # DEXJPUS of Fri 01-17 is published on Tue 01-21 (Mon 01-20 is MLK day) at 16:15 EST;
    # Tue 07-01 is published on Mon 07-07 at 16:15 EDT.
    assert [str(t) for t in observed_at("DEXJPUS", days).astype("datetime64[m]")] == [
        "2025-01-21T21:15",
        "2025-07-07T20:15",
    ]
    # Observed (not published): noon New York.
    assert str(observed_at("DEXJPUS", days[:1], known=False)[0])[:16] == "2025-01-17T17:00"


# -- holidays -----------------------------------------------------------------------------------


def test_fx_move_on_a_us_holiday_reaches_tokyo_after_new_york_reopens(tmp_path) -> None:
    # JPY=X jumps at its 2025-01-20 close (17:00 New York, MLK day: NYSE closed). The next NYSE
    # close is Tue 01-21, the last one before Tokyo's 01-22 opens. Tokyo 01-21 is aligned with
    # New York's 01-17, like Tokyo 01-20, so its driver is 0, not the holiday's move.
    store = _store(tmp_path, [_jump("JPY=X", "2025-01-20"), _noise("^N225", 1)])
    x = _driver(store, "JPY=X", "2025-01-06", "2025-01-31")
    assert _only_jump(x) == "2025-01-22"
    assert x.loc["2025-01-21"] == 0.0
    assert x.notna().all()


def test_fx_close_of_the_as_of_day_is_not_known_at_the_new_york_close(tmp_path) -> None:
    # JPY=X's close of Tue 01-21 comes at 17:00 New York, an hour after the NYSE close that
    # Tokyo 01-22 is aligned with: it enters Tokyo 01-23 (New York's 01-22 close), not 01-22.
    store = _store(tmp_path, [_jump("JPY=X", "2025-01-21"), _noise("^N225", 1)])
    assert _only_jump(_driver(store, "JPY=X", "2025-01-06", "2025-01-31")) == "2025-01-23"


def test_fx_moves_across_a_japanese_holiday(tmp_path) -> None:
    # Tokyo is closed Mon 01-13; Tokyo 01-10 is aligned with New York's 01-08 (the NYSE was
    # closed 01-09) and Tokyo 01-14 with New York's 01-13. JPY=X's close of Fri 01-10 (17:00
    # New York) is known at New York's 01-13 close, so it enters Tokyo 01-14.
    store = _store(tmp_path, [_jump("JPY=X", "2025-01-10"), _noise("^N225", 1)])
    assert _only_jump(_driver(store, "JPY=X", "2025-01-06", "2025-01-31")) == "2025-01-14"


@pytest.mark.parametrize(
    ("jump", "enters"),
    [
        ("2025-04-30", "2025-05-02"),
        ("2025-05-01", "2025-05-07"),
        ("2025-05-02", "2025-05-07"),
        ("2025-05-05", "2025-05-07"),
        ("2025-05-06", "2025-05-08"),
    ],
    ids=["wed-before", "thu-before", "fri-before", "golden-week-monday", "last-holiday"],
)
def test_fx_moves_across_golden_week(tmp_path, jump: str, enters: str) -> None:
    # Tokyo is closed 05-03..05-06 (Golden Week); New York is open 05-01, 05-02, 05-05, 05-06.
    # Tokyo 05-02 is aligned with New York's 05-01 close, Tokyo 05-07 with New York's 05-06.
    # A JPY=X close (17:00 New York on D) is known from New York's next close on:
    #   04-30's at the 05-01 close -> Tokyo 05-02;
    #   05-01's, 05-02's and 05-05's by the 05-06 close -> Tokyo 05-07 (compounded);
    #   05-06's at the 05-07 close -> Tokyo 05-08.
    store = _store(tmp_path, [_jump("JPY=X", jump), _noise("^N225", 1)])
    assert _only_jump(_driver(store, "JPY=X", "2025-04-21", "2025-05-16")) == enters


@pytest.mark.parametrize(
    ("jump", "enters"),
    [("2024-11-26", "2024-11-28"), ("2024-11-27", "2024-12-02"), ("2024-11-28", "2024-12-02")],
    ids=["tue-before", "wed-before", "thanksgiving"],
)
def test_fx_moves_across_thanksgiving_and_a_half_day(tmp_path, jump: str, enters: str) -> None:
    # The NYSE is closed on Thanksgiving (11-28) and closes at 13:00 on 11-29. Tokyo 11-28 and
    # 11-29 are both aligned with New York's 11-27 close (so 11-29's driver is 0), Tokyo 12-02
    # with the 11-29 half-day close. JPY=X's 11-27 and 11-28 closes (17:00 New York) are known
    # at that 13:00 close; its 11-29 close is not, it enters Tokyo 12-03.
    store = _store(tmp_path, [_jump("JPY=X", jump), _noise("^N225", 1)])
    x = _driver(store, "JPY=X", "2024-11-18", "2024-12-10")
    assert _only_jump(x) == enters
    assert x.loc["2024-11-29"] == 0.0


def test_fx_close_on_a_half_day_waits_for_the_next_close(tmp_path) -> None:
    store = _store(tmp_path, [_jump("JPY=X", "2024-11-29"), _noise("^N225", 1)])
    assert _only_jump(_driver(store, "JPY=X", "2024-11-18", "2024-12-10")) == "2024-12-03"


def test_new_york_returns_compound_across_a_japanese_holiday(tmp_path) -> None:
    # ^SOX rises 10% on 01-10 and 10% on 01-13; Tokyo 01-14 gets both: 1.1 * 1.1 - 1 = 0.21.
    days = _days("^SOX")
    close = 100.0 * 1.1 ** ((days >= "2025-01-10").astype(int) + (days >= "2025-01-13"))
    store = _store(tmp_path, [_rows("^SOX", close, days), _noise("^N225", 1)])
    x = _driver(store, "^SOX", "2025-01-06", "2025-01-31")
    assert x.loc["2025-01-14"] == pytest.approx(0.21, rel=1e-12)
    assert (x.drop(pd.Timestamp("2025-01-14")) == 0).all()


def test_real_jpy_driver_around_holidays(shared_store: Store) -> None:
    # JPY=X closes from daily.csv: 2025-01-07 158.02, 01-10 157.69, 01-14 157.96, 01-15 156.47,
    # 01-16 155.12, 01-17 156.30, 01-20 155.59 (MLK day), 01-21 155.50.
    x = _driver(shared_store, "JPY=X", "2025-01-06", "2025-01-24")
    # Tokyo 01-10 (New York 01-08 again; the NYSE was closed 01-09): no new cutoff, 0.
    assert x.loc["2025-01-10"] == 0.0
    # Tokyo 01-14 (New York 01-13; Tokyo closed 01-13) knows the 01-10 close; Tokyo 01-10's
    # cutoff (New York 01-08 16:00) knew the 01-07 close.
    assert x.loc["2025-01-14"] == pytest.approx(157.69 / 158.02 - 1, rel=1e-12)
    # An ordinary day: Tokyo 01-17 (New York 01-16) knows 01-15's close, Tokyo 01-16 01-14's.
    assert x.loc["2025-01-17"] == pytest.approx(156.47 / 157.96 - 1, rel=1e-12)
    # Tokyo 01-21 (New York 01-17 again, MLK day): 0. Tokyo 01-22 (New York 01-21) knows the
    # holiday's 01-20 close; the 01-17 cutoff knew 01-16's.
    assert x.loc["2025-01-21"] == 0.0
    assert x.loc["2025-01-22"] == pytest.approx(155.59 / 155.12 - 1, rel=1e-12)


# -- a series that ends, a weekly series --------------------------------------------------------


def test_a_series_that_ends_is_missing_not_zero(tmp_path) -> None:
    store = _store(tmp_path, [_jump("JPY=X", "2025-01-10", end="2025-01-15"), _noise("^N225", 1)])
    x = _driver(store, "JPY=X", "2025-01-06", "2025-01-31")
    # The last close (Wed 01-15, 17:00 New York) is known at New York's 01-16 close: Tokyo 01-17.
    assert x.loc[:"2025-01-17"].notna().all()
    assert x.loc["2025-01-20":].isna().all()


def test_weekly_series_enters_when_published(tmp_path) -> None:
    # DEXJPUS of Wed 01-15 is published Tue 01-21 16:15 New York (Mon 01-20 is MLK day), after
    # that day's 16:00 close: it enters Tokyo 01-23 (aligned with New York's 01-22). Rows with a
    # new cutoff but no new release are missing; rows with no new cutoff are 0.
    store = _store(tmp_path, [_jump("DEXJPUS", "2025-01-15"), _noise("^N225", 1)])
    x = _driver(store, "DEXJPUS", "2025-01-06", "2025-01-31")
    assert _only_jump(x) == "2025-01-23"
    # Releases: Mon 01-06, Mon 01-13, Tue 01-21, Mon 01-27, each at 16:15 New York, so first
    # known at the closes of 01-07, 01-14, 01-22 and 01-28: Tokyo 01-08, 01-15, 01-23, 01-29.
    # Tokyo 01-10 and 01-21 have no new cutoff (the NYSE was closed 01-09 and 01-20): 0.
    # Every other row is missing.
    known = x[x.notna()].index.strftime("%m-%d").tolist()
    assert known == ["01-08", "01-10", "01-15", "01-21", "01-23", "01-29"]
    assert x.loc["2025-01-10"] == x.loc["2025-01-21"] == 0.0


# -- the forecast: drop with a note, or refuse with exit 2 --------------------------------------


def _forecast_store(tmp_path, jpy_end: str = END) -> Store:
    return _store(
        tmp_path,
        [
            _noise("^SOX", 2),
            _noise("JPY=X", 3, end=jpy_end),
            _noise("DEXJPUS", 4),
            _noise("^N225", 5),
        ],
    )


def test_forecast_drops_a_driver_that_ended(tmp_path) -> None:
    store = _forecast_store(tmp_path, jpy_end="2025-01-15")
    kwargs = dict(targets=["^N225"], drivers=["^SOX", "JPY=X"], window=60)
    with pytest.warns(
        DriverDroppedWarning, match=r"driver JPY=X left out .*no JPY=X after 2025-01-15"
    ):
        res = forecast_next(store, "2025-01-27", **kwargs)
    assert res.manifest["drivers"] == ("^SOX",)
    assert "JPY=X" in res.manifest["dropped"]
    assert np.isfinite(res.table["forecast"]).all()
    assert "left out: JPY=X" in res.summary
    assert list(res.coefficients["term"]) == ["const", "^SOX"]


def test_forecast_drops_a_weekly_series_between_releases(tmp_path) -> None:
    store = _forecast_store(tmp_path)
    # At New York's 01-27 close the week of 01-20 is not out yet (16:15).
    with pytest.warns(DriverDroppedWarning, match="DEXJPUS value became known between XNYS's"):
        res = forecast_next(
            store, "2025-01-27", targets=["^N225"], drivers=["^SOX", "DEXJPUS"], window=60
        )
    # A weekly series leaves most sessions without a value, so the window holds few.
    assert res.manifest["drivers"] == ("^SOX",)
    # At New York's 01-28 close it is, and DEXJPUS is used.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DriverDroppedWarning)
        res = forecast_next(
            store,
            "2025-01-28",
            targets=["^N225"],
            drivers=["^SOX", "DEXJPUS"],
            window=60,
            min_obs=10,
        )
    assert res.manifest["drivers"] == ("^SOX", "DEXJPUS")


def test_forecast_with_no_usable_driver_is_an_input_error(tmp_path) -> None:
    store = _forecast_store(tmp_path, jpy_end="2025-01-15")
    with pytest.raises(ForecastUnavailableError) as info:
        forecast_next(store, "2025-01-27", targets=["^N225"], drivers=["JPY=X"], window=60)
    assert isinstance(info.value, InputError)
    assert info.value.argument == "drivers"
    assert str(info.value) == "no forecast from XNYS's 2025-01-27 close: no JPY=X after 2025-01-15"
    with pytest.raises(InputError, match="no driver has a value known then") as info2:
        forecast_next(
            store, "2025-01-27", targets=["^N225"], drivers=["JPY=X", "DEXJPUS"], window=60
        )
    assert info2.value.argument == "drivers"
    assert info2.value.value == "JPY=X,DEXJPUS"


def test_cli_never_prints_nan_with_exit_0(shared_store, capsys: pytest.CaptureFixture[str]) -> None:
    from ipposaki.cli.main import run

    store = ["--store", str(shared_store.path)]
    # DEXJPUS ends 2025-09-26: the default drivers (JPY=X) still forecast 2025-10-21.
    assert run(["--json", "spillover", "forecast", "--as-of", "2025-10-20", *store]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "nan" not in out
    assert (
        run(["spillover", "forecast", "--as-of", "2025-10-20", "--drivers", "DEXJPUS", *store]) == 2
    )
    err = capsys.readouterr().err
    # One line naming the driver and why (the CLI may word the argument as --drivers).
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "DEXJPUS" in err and "2025-10-20 close" in err
    assert "no DEXJPUS after 2025-09-26" in err

"""Bad arguments to the Python API: one InputError (UnknownNameError for a name) naming the
argument, before any work.

Each case was found by a red-team of ``run_study`` and ``simulate`` (session 7): before, these
inputs raised pandas' or numpy's own exceptions deep inside, or were accepted and gave wrong
numbers (a time-zoned index moved day 0; a bool column passed as returns of 1 and 0; a
RangeIndex read as nanoseconds after 1970; ``LocalRunner(chunk_pairs=-1)`` dropped every pair;
a float window was cut to an integer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from ipposaki.errors import IpposakiError
from ipposaki.study import run_study
from ipposaki.study.engine import LocalRunner
from ipposaki.study.simulate import simulate

DAYS = pd.bdate_range("2023-01-02", periods=320)
DAY0 = DAYS[300]


def _returns() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    market = rng.normal(0, 0.01, len(DAYS))
    noise = rng.normal(0, 0.02, (len(DAYS), 4))
    return pd.DataFrame(market[:, None] + noise, DAYS, list("ABCD")).assign(MKT=market)


EVENTS = pd.DataFrame({"symbol": ["A", "B", "C"], "event_date": DAY0})


def _study(returns: pd.DataFrame | None = None, events: object = None, **options: object):
    return run_study(  # type: ignore[misc]
        _returns() if returns is None else returns,
        EVENTS if events is None else events,
        **{"market": "MKT", **options},
    )


def _with(column: str, values: object) -> pd.DataFrame:
    return _returns().assign(**{column: values})


CASES: dict[str, tuple[Callable[[], object], str, str]] = {
    # returns
    "tz index": (
        lambda: _study(_returns().tz_localize("Asia/Tokyo"), roll="next"),
        "returns",
        "time zone Asia/Tokyo",
    ),
    "range index": (lambda: _study(_returns().reset_index(drop=True)), "returns", "numbers"),
    "text index": (
        lambda: _study(_returns().set_axis(["x"] * len(DAYS))),
        "returns",
        "an index holding",
    ),
    "no rows": (lambda: _study(_returns().iloc[:0]), "returns", "without rows"),
    "column twice": (
        lambda: _study(_returns().set_axis(list("ABCC") + ["MKT"], axis=1)),
        "returns",
        "column 'C' twice",
    ),
    "bool column": (lambda: _study(_with("A", True)), "returns['A']", "bool"),
    "text cell": (
        lambda: _study(_with("B", ["n/a"] + [0.01] * (len(DAYS) - 1))),
        "returns['B']",
        "object",
    ),
    "return below -1": (
        lambda: _study(_with("C", np.r_[np.zeros(len(DAYS) - 1), -3.0])),
        f"returns['C'] on {DAYS[-1].date()}",
        "-3.0",
    ),
    "int column names": (
        lambda: _study(_returns().set_axis([0, 1, 2, 3, "MKT"], axis=1), market="MKT"),
        "returns",
        "column name 0 (int)",
    ),
    "returns array": (lambda: _study(_returns().to_numpy()), "returns", "ndarray"),
    # events
    "events series": (lambda: _study(events=EVENTS["symbol"]), "events", "Series"),
    "symbol missing": (
        lambda: _study(events=pd.DataFrame({"symbol": ["A", None], "event_date": DAY0})),
        "events row 2 symbol",
        "None",
    ),
    "date 9999": (
        lambda: _study(events=pd.DataFrame({"symbol": ["A"], "event_date": ["9999-12-31"]})),
        "events row 1 event_date",
        "9999-12-31",
    ),
    "date 1600": (
        lambda: _study(events=pd.DataFrame({"symbol": ["A"], "event_date": [dt.date(1600, 1, 3)]})),
        "events row 1 event_date",
        "1600-01-03",
    ),
    "zoned timestamp, no exchange": (
        lambda: _study(
            events=pd.DataFrame(
                {"symbol": ["A"], "event_date": [pd.Timestamp("2024-02-27 08:00", tz="Asia/Tokyo")]}
            )
        ),
        "exchange",
        "2024-02-27 08:00:00+09:00",
    ),
    # options
    "float window": (
        lambda: _study(estimation_window=(-250, -11.5)),
        "estimation_window",
        "(-250, -11.5)",
    ),
    "bool car window": (lambda: _study(car_windows=[(True, True)]), "car_windows", "True"),
    "short tuple window": (lambda: _study(car_windows=[(0,)]), "car_windows", "(0,)"),
    "car windows as text": (lambda: _study(car_windows="0:1"), "car_windows", "0:1"),
    "car window twice": (lambda: _study(car_windows=["0:1", "0:1"]), "car_windows", "twice"),
    "min obs nan": (lambda: _study(min_estimation_obs=np.nan), "min_estimation_obs", "nan"),
    "min obs text": (lambda: _study(min_estimation_obs="100"), "min_estimation_obs", "100"),
    "exchange lower case": (lambda: _study(exchange="xnys"), "exchange", "XNYS"),
    "backend text": (lambda: _study(backend="dask"), "backend", "dask"),
    "chunk pairs negative": (lambda: LocalRunner(chunk_pairs=-1), "chunk_pairs", "-1"),
    "chunk pairs zero": (lambda: LocalRunner(chunk_pairs=0), "chunk_pairs", "0"),
    "factors series": (
        lambda: _study(model="factor", factors=_returns()["MKT"]),
        "factors",
        "Series",
    ),
    "factors dates twice": (
        lambda: _study(model="factor", factors=_returns()[["MKT"]].iloc[[0, 0, 1]]),
        "factors",
        "out of order",
    ),
    "factors text column": (
        lambda: _study(model="factor", factors=_returns()[["MKT"]].assign(F="x")),
        "factors['F']",
        "str",
    ),
    "factors infinite": (
        lambda: _study(model="factor", factors=_returns()[["MKT"]].assign(MKT=np.inf)),
        f"factors['MKT'] on {DAYS[0].date()}",
        "inf",
    ),
    "simulate min obs nan": (
        lambda: simulate(_returns(), market="MKT", runs=2, min_estimation_obs=np.nan),
        "min_estimation_obs",
        "nan",
    ),
    # a result's methods
    "test window as a number": (lambda: _study().test("patell", window=0), "window", "0"),
    "bootstrap block as text": (
        lambda: _study().with_inference(bootstrap="stationary", block="3"),
        "block",
        "3",
    ),
    "to_dir under a file": (lambda: _study().to_dir(__file__ + "/sub"), "out", "sub"),
    "to_dir None": (lambda: _study().to_dir(None), "out", "None"),
    # simulate reads its returns through the same checks
    "simulate range index": (
        lambda: simulate(_returns().reset_index(drop=True), market="MKT", runs=2),
        "returns",
        "numbers",
    ),
    "simulate tz index": (
        lambda: simulate(_returns().tz_localize("UTC"), market="MKT", runs=2),
        "returns",
        "time zone UTC",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_argument_is_one_input_error_naming_it(case: str) -> None:
    call, argument, shown = CASES[case]
    with pytest.raises(IpposakiError) as caught:  # an InputError, or an UnknownNameError
        call()
    message = str(caught.value).strip("\"'")
    assert "\n" not in message
    assert getattr(caught.value, "argument", "exchange") == argument or argument in message
    assert shown in message


def test_zoned_timestamps_map_to_the_exchange_session_not_the_utc_date() -> None:
    """08:00 in Tokyo on 27 February is 26 February in UTC; its XTKS session is the 27th,
    whether the moment is given as text or as a timestamp with its zone, alone or among
    plain dates."""
    moment = pd.Timestamp("2024-02-27 08:00", tz="Asia/Tokyo")
    given = {
        "text": pd.DataFrame({"symbol": ["A"], "event_date": ["2024-02-27T08:00+09:00"]}),
        "zoned column": pd.DataFrame({"symbol": ["A"], "event_date": [moment]}),
        "mixed objects": pd.DataFrame(
            {"symbol": ["A", "B"], "event_date": pd.Series([moment, "2024-02-26"], dtype=object)}
        ),
    }
    for name, events in given.items():
        ar = _study(events=events, exchange="XTKS").ar
        day0 = ar.loc[ar["rel_day"] == 0].set_index("symbol")["session"]
        assert str(day0["A"].date()) == "2024-02-27", name
        if "B" in day0:
            assert str(day0["B"].date()) == "2024-02-26", name


def test_log_returns_below_minus_one_are_accepted() -> None:
    """Only a simple return below -1 is impossible; a log return of -3 is a fall of 95%."""
    returns = _with("C", np.r_[np.zeros(len(DAYS) - 1), -3.0])
    assert len(_study(returns, log_returns=True).car) > 0


def test_estimation_window_after_the_data_is_named_as_such() -> None:
    """A raw-model estimation window after day 0 that runs past the data is the reason, not
    the event window (which fits)."""
    res = _study(model="raw", estimation_window="20:400", event_window="-5:10")
    reasons = set(res.excluded["reason"])
    assert reasons == {"estimation window needs 400 sessions after day 0, the data has 19"}


@pytest.mark.parametrize(
    "options",
    [
        {"events": pd.DataFrame({"symbol": ["ZZZ"], "event_date": [DAY0]})},  # no pair studied
        {"car_windows": []},  # no CAR window asked for
    ],
    ids=["no pair", "no car window"],
)
def test_empty_tables_keep_their_columns(options: dict[str, object]) -> None:
    """A table with no rows still has its columns, so ``res.caar["caar"]`` is an empty column
    rather than a KeyError (the CAAR and AAR tables were (0, 0) frames)."""
    res = _study(**options)
    assert "caar" in res.caar.columns and "ci_kp_low" in res.caar.columns
    assert list(res.aar.columns) == ["basket", "rel_day", "nobs", "aar", "caar"]

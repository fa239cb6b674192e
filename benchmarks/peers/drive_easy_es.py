"""easy-es 0.1.2: EventStudy(estimator_type="capm") with RF = 0, i.e. the market model."""

import warnings

import pandas as pd
from common import load, timed
from easy_es import EventStudy

warnings.simplefilter("ignore")
data, returns, events = load()
long = returns.melt(id_vars="date", var_name="ticker", value_name="Ret")
long = long[long["ticker"] != "MKT"].rename(columns={"date": "Date"}).assign(Volume=1.0)
long["Date"] = long["Date"].dt.date  # easy-es needs Python date objects under pandas >= 2
factors = pd.DataFrame({"Date": returns["date"].dt.date, "Mkt-RF": returns["MKT"] * 100, "RF": 0.0})


def run() -> dict[str, float]:
    study = EventStudy(
        estimation_days=250,
        gap_days=0,
        window_before=10,
        window_after=10,
        min_estimation_days=100,
        estimator_type="capm",
        n_cores=1,
    )
    study.add_returns(ret_df=long.copy())
    study.add_factors(factors.copy())
    out = study.run_study(events.rename(columns={"symbol": "ticker"}))
    last = out[out["Offset"] == 10]
    ids = dict(enumerate(events["symbol"]))
    return {ids[int(i)]: float(c) for i, c in zip(last["event_id"], last["car"], strict=True)}


timed(run)

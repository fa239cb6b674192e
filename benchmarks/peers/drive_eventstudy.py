"""eventstudy (LemaireJean-Baptiste/eventstudy): Single.market_model per event, Multiple.from_list."""

import warnings

import eventstudy as es
import numpy as np
from common import load, timed

warnings.simplefilter("ignore")
data, returns, events = load()
es.Single.import_returns(str(data / "returns.csv"))


def run() -> dict[str, float]:
    sample = [
        {"event_date": np.datetime64(d.date()), "security_ticker": s, "market_ticker": "MKT"}
        for s, d in zip(events["symbol"], events["event_date"], strict=True)
    ]
    agg = es.Multiple.from_list(
        sample, es.Single.market_model, event_window=(-10, 10), estimation_size=250, buffer_size=0
    )
    assert len(agg.sample) == len(sample), "eventstudy dropped events"
    return {s: float(e.CAR[-1]) for s, e in zip(events["symbol"], agg.sample, strict=True)}


timed(run)

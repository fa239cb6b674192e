"""ffjr-eventstudies (module ``eventstudies``): SingleEvent.MarketModel per event, MultipleEvents."""

import warnings

import numpy as np
from common import load, timed
from eventstudies import MultipleEvents, SingleEvent

warnings.simplefilter("ignore")
data, returns, events = load()
SingleEvent.import_returns(dataframe=returns.set_index("date"))


def run() -> dict[str, float]:
    sample = [
        SingleEvent.MarketModel(
            ticker=s,
            mkt_idx="MKT",
            event_date=np.datetime64(d.date()),
            event_window=(-10, 10),
            est_size=250,
            buffer_size=0,
        )
        for s, d in zip(events["symbol"], events["event_date"], strict=True)
    ]
    MultipleEvents(sample)
    return {s: float(e.CAR[-1]) for s, e in zip(events["symbol"], sample, strict=True)}


timed(run)

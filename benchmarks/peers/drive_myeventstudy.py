"""myeventstudy 0.1.4: event_study(..., predict_model="market"); it writes an .xlsx each call."""

import os
import tempfile
import warnings

from common import load, timed
from myeventstudy import event_analysis

warnings.simplefilter("ignore")
data, returns, events = load()
ids = {s: f"{i:06d}" for i, s in enumerate(events["symbol"])}
long = returns.melt(id_vars="date", var_name="stock", value_name="sreturn")
long = long[long["stock"] != "MKT"].merge(
    returns[["date", "MKT"]].rename(columns={"MKT": "mreturn"}), on="date"
)
long = long.merge(events.rename(columns={"symbol": "stock", "event_date": "eventdate"}), on="stock")
long["stockid"] = long["stock"].map(ids)
frame = long[["stockid", "date", "eventdate", "sreturn", "mreturn"]]
captured = {}
original = event_analysis.reduce


def keep(*args):  # the CAR table is merged with functools.reduce just before the t-tests
    out = original(*args)
    captured["cars"] = out
    return out


event_analysis.reduce = keep


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        event_analysis.event_study(
            frame.copy(), [(-10, 10)], est_window=(-260, -10), predict_model="market", save_path=tmp
        )
    cars = captured["cars"]
    back = {v: k for k, v in ids.items()}
    return {back[s]: float(c) for s, c in zip(cars["stockid"], cars["CAR[-10,10]"], strict=True)}


os.environ.setdefault("MPLBACKEND", "Agg")
timed(run)

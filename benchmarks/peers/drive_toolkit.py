"""event-study-toolkit 1.0.0: eventstudy(...).getCARS("market") on CRSP-style column names."""

import warnings

from common import load, timed
from event_study_toolkit.eventstudy import eventstudy

warnings.simplefilter("ignore")
data, returns, events = load()
ids = {s: i + 1 for i, s in enumerate(events["symbol"])}  # it wants integer permnos
long = returns.melt(id_vars="date", var_name="symbol", value_name="ret_dlst_adj")
long = long[long["symbol"] != "MKT"].merge(
    returns[["date", "MKT"]].rename(columns={"MKT": "vwretd"}), on="date"
)
long["permno"] = long.pop("symbol").map(ids)
evt = events.assign(permno=events["symbol"].map(ids), ALL=1).rename(
    columns={"event_date": "EVT_DATE"}
)
evt = evt[["permno", "EVT_DATE", "ALL"]]  # groups=None crashes in 1.0.0, so one group for all
back = {v: k for k, v in ids.items()}


def run() -> dict[str, float]:
    study = eventstudy(250, 0, -10, 10, long, evt, unique_id="permno", groups=["ALL"])
    cars = study.getCARS("market")
    return {back[int(p)]: float(c) for p, c in zip(cars["permno"], cars["car"], strict=True)}


timed(run)

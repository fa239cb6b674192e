"""py-event-studies 0.3.0: compute(date, permnos) on a CRSP-layout file; "Market Only" model.

It reads only CRSP columns (date as YYYYMMDD, PERMNO, PRC, RET, PRIMEXCH, SICCD, vwretd), so
the driver writes the benchmark data in that layout. Its event window is
``[day0 - event_period // 2, day0 + event_period // 2)``; its config rejects an even
``event_period``, and with an odd one (21 here) its numba kernel fails with "Sizes of
make_ptf_reg_v2_output_event_residuals, make_ptf_reg_v2_ars_event do not match", because that
slice holds 20 sessions while the arrays hold 21. So version 0.3.0 cannot run any event window;
the benchmark reports the error. Were it fixed, its CARs would be compared with ipposaki's
CAR(-10, +9), which the benchmark also computes.
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import py_event_studies as pes
from common import load, timed

warnings.simplefilter("ignore")
data, returns, events = load()
ids = {s: i + 10001 for i, s in enumerate(events["symbol"])}
long = returns.melt(id_vars="date", var_name="symbol", value_name="RET")
long = long[long["symbol"] != "MKT"].merge(
    returns[["date", "MKT"]].rename(columns={"MKT": "vwretd"}), on="date"
)
long["PERMNO"] = long.pop("symbol").map(ids)
long["date"] = long["date"].dt.strftime("%Y%m%d").astype(int)
long = long.assign(PRC=50.0, PRIMEXCH="N", SICCD=3674)
tmp = Path(tempfile.mkdtemp())
path = tmp / "crsp.csv"
long.to_csv(path, index=False)
pes.update_config(
    estim_period=250, event_period=21, delta_estim_event_period=0, cluster_num_list=[5]
)
pes.load_data(str(path), no_cache=True)
# Its numba kernels also fit Fama-French models and need factors; noise factors (in percent,
# as the package expects) keep those fits regular. They do not enter the market model compared.
rng = np.random.default_rng(0)
ff = pd.DataFrame(
    rng.normal(0.0, 0.5, (len(returns), 5)), columns=["Mkt-RF", "SMB", "HML", "RMW", "CMA"]
)
ff.insert(0, "date", returns["date"].dt.strftime("%Y%m%d").astype(int))
ff_path = tmp / "ff.csv"
ff.to_csv(ff_path, index=False)
pes.load_ff_factors(str(ff_path))
back = {v: k for k, v in ids.items()}
permnos = [ids[s] for s in events["symbol"]]
day = events["event_date"].iloc[0].strftime("%Y-%m-%d")


def run() -> dict[str, float]:
    res = pes.compute(day, permnos)
    market = res.model_names.index("Market Only")
    car = np.asarray(res.event_residuals)[0, market].sum(axis=0)
    return {back[p]: float(c) for p, c in zip(res.ptf, car, strict=True)}


timed(run)

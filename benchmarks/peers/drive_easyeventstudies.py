"""easyeventstudies 2.0: run_event_study per firm, offline.

It downloads prices with ``yfinance.download`` and Fama-French factors from the web on every
call, so this driver swaps both for the benchmark data (prices rebuilt from the returns, the
market as ``Mkt`` with RF = 0). Its windows count calendar days; with one common event date the
session windows -260..-11 and -10..+10 map to exact calendar offsets, which are passed in.
"""

import warnings

import pandas as pd
from common import load, timed
from EasyEventStudies import easy_event_studies as ees

warnings.simplefilter("ignore")
data, returns, events = load()
dates = pd.DatetimeIndex(returns["date"])
day0 = events["event_date"].iloc[0]
p0 = dates.get_loc(day0)


def offset(k: int) -> int:
    return int((dates[p0 + k] - day0).days)


est = (offset(-260), offset(-11))
evw = (offset(-10), offset(10))
prices = (1.0 + returns.set_index("date").fillna(0.0)).cumprod() * 100.0
# The first return is lost to pct_change; prepend a base price one day earlier.
base = pd.DataFrame(100.0, index=[dates[0] - pd.Timedelta(days=1)], columns=prices.columns)
prices = pd.concat([base, prices])


def fake_download(ticker, start=None, end=None, **kwargs):
    close = prices[ticker].loc[start:end]
    cols = pd.MultiIndex.from_tuples([("Close", ticker)], names=["Price", "Ticker"])
    return pd.DataFrame(close.to_numpy()[:, None], index=close.index.rename("Date"), columns=cols)


def fake_factors():
    return pd.DataFrame(
        {
            "Unnamed: 0": dates.strftime("%Y%m%d").astype(int),
            "Mkt-RF": returns["MKT"].to_numpy() * 100.0,
            "SMB": 0.0,
            "HML": 0.0,
            "RF": 0.0,
        }
    )


ees.yf.download = fake_download
ees.get_fama_french_daily_factors = fake_factors


def run() -> dict[str, float]:
    out = {}
    for symbol in events["symbol"]:  # the package's API is one ticker per call
        res = ees.run_event_study(symbol, day0, estimation_window=est, event_window=evw)
        out[symbol] = float(res["CAR"].dropna().iloc[-1])
    return out


timed(run)

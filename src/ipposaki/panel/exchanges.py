"""Which exchange a symbol trades on, for data that comes without an instruments table.

One rule, used by every file input of the study (price files, Parquet, returns files, events):

1. the built-in instrument catalogue (``ipposaki/data/instruments.csv``) names the exchange;
2. else the symbol decides: a Yahoo ``.T`` suffix (and ``^N225``, ``^TOPX``) is Tokyo (XTKS),
   an FX id (``JPY=X``, FRED ``DEX…``) has no exchange (``""``);
3. else the symbol is taken as listed on ``default`` (the ``--exchange`` option) when one is
   given, else on XNYS, as ``ipposaki data import`` does for new symbols.

Series without an exchange (FX rates) belong to no calendar; a panel aligns them on its own
exchange's sessions.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ipposaki.calendars import EXCHANGES
from ipposaki.errors import UnknownNameError

__all__ = ["check_exchange", "home_exchanges"]


def check_exchange(exchange: str) -> str:
    """Return ``exchange`` if it is a known ISO MIC.

    Parameters
    ----------
    exchange : str
        The value received (``--exchange``).

    Returns
    -------
    str
        The exchange.

    Raises
    ------
    UnknownNameError
        If the exchange is not one of :data:`ipposaki.calendars.EXCHANGES`.
    """
    if exchange not in EXCHANGES:
        raise UnknownNameError("exchange", exchange, EXCHANGES)
    return exchange


def home_exchanges(symbols: Iterable[str], default: str | None = None) -> pd.Series:
    """Map each symbol to the exchange it trades on (``""`` for FX rates).

    Parameters
    ----------
    symbols : iterable of str
        Symbols, Yahoo-style.
    default : str, optional
        Exchange of symbols that neither the catalogue nor a suffix places (``--exchange``);
        XNYS when omitted.

    Returns
    -------
    pandas.Series
        Indexed by symbol (first occurrence order), values ISO MIC or ``""``.

    Examples
    --------
    >>> home_exchanges(["NVDA", "8035.T", "JPY=X", "ACME"], default="XTKS").to_dict()
    {'NVDA': 'XNYS', '8035.T': 'XTKS', 'JPY=X': '', 'ACME': 'XTKS'}
    """
    from ipposaki.instruments import builtin_instruments, guess_exchange

    table = builtin_instruments()
    catalogue = dict(zip(table["symbol"], table["exchange"], strict=True))
    names = [str(s) for s in dict.fromkeys(symbols)]
    homes = []
    for name in names:
        if name in catalogue:
            homes.append(catalogue[name])
            continue
        guess = guess_exchange(name)
        suffixed = guess != "XNYS"  # .T, a Tokyo index, or an FX id: the name decides
        homes.append(guess if suffixed or default is None else default)
    return pd.Series(homes, index=pd.Index(names, name="symbol"), dtype=object, name="exchange")

"""J-Quants listed-company data: sectors, shares outstanding and earnings announcements.

Where each fact comes from (J-Quants API v2, through ``jquants-api-client``):

* sectors: the listed issue master ``/equities/master`` (``S17``/``S17Nm``, ``S33``/``S33Nm``,
  market ``MktNm``, size category ``ScaleCat``), dated by its ``Date``;
* shares outstanding: the financial summary ``/fins/summary``, field ``ShOutFY`` ("number of
  issued and outstanding shares at the end of the fiscal year, including treasury stock"; v1
  called it ``NumberOfIssuedAndOutstandingSharesAtTheEndOfFiscalYearIncludingTreasuryStock``)
  and ``TrShFY`` (treasury stock), dated by the disclosure date ``DiscDate`` so a count is
  never used before it was published. The master carries no share count, so this is the
  documented source;
* earnings announcements: the same summaries' disclosure dates (kind ``disclosed``, for past
  results), and the earnings calendar ``/equities/earnings-calendar`` (kind ``scheduled``; it
  lists the next session's announcements of March and September year-end companies, paged
  with ``pagination_key``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.sources.jquants import jquants_call, jquants_client
from ipposaki.sources.jquants_codes import to_code, to_symbol
from ipposaki.store.listed import EARNINGS_COLUMNS, LISTED_COLUMNS, write_listed

if TYPE_CHECKING:
    from ipposaki.store import Store

__all__ = [
    "ListedPull",
    "load_jquants_listed",
    "pull_earnings_calendar",
    "pull_listed_info",
]


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[column]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    values = _column(frame, column).astype(object)
    return values.where(values.notna() & (values.astype(str).str.strip() != ""), None)


class ListedPull:
    """What :func:`pull_listed_info` found: sectors and share counts, and disclosure dates.

    Parameters
    ----------
    info : pandas.DataFrame
        Rows for :meth:`~ipposaki.store.Store.add_listed_info`.
    disclosures : pandas.DataFrame
        Rows for :meth:`~ipposaki.store.Store.add_earnings` (kind ``disclosed``).
    """

    def __init__(self, info: pd.DataFrame, disclosures: pd.DataFrame) -> None:
        self._info = info
        self._disclosures = disclosures

    @property
    def info(self) -> pd.DataFrame:
        """Sectors (one row per symbol and master date) and share counts (per disclosure)."""
        return self._info.copy()

    @property
    def disclosures(self) -> pd.DataFrame:
        """Earnings announcements found in the financial summaries."""
        return self._disclosures.copy()


def pull_listed_info(
    codes: Sequence[str], client: Any = None, retries: int = 3, backoff: float = 2.0
) -> ListedPull:
    """Download sectors, share counts and disclosure dates for ``codes``.

    Parameters
    ----------
    codes : sequence of str
        J-Quants codes or Tokyo symbols.
    client : jquantsapi.ClientV2, optional
        A ready client; by default one is made with the key the client finds.
    retries : int, default 3
        Retries after a rate-limit answer.
    backoff : float, default 2.0
        Seconds before the first retry.

    Returns
    -------
    ListedPull
        ``info`` with :data:`~ipposaki.store.listed.LISTED_COLUMNS`, ``name``, ``name_ja``,
        ``shares_outstanding`` and ``treasury_shares``; ``disclosures`` with
        :data:`~ipposaki.store.listed.EARNINGS_COLUMNS`.

    Raises
    ------
    InputError
        If no code is given or one is malformed.
    SourceUnavailableError
        As for :func:`~ipposaki.sources.jquants.pull_jquants`.
    """
    if not codes:
        raise InputError("codes", list(codes), "at least one J-Quants code, e.g. 80350")
    jq_codes = list(dict.fromkeys(to_code(c) for c in codes))
    cli = jquants_client(client)
    infos, shares, discs = [], [], []
    for code in jq_codes:
        symbol = to_symbol(code)
        master = jquants_call(
            partial(cli.get_eq_master, code=code), f"listed info of {symbol}", retries, backoff
        )
        if len(master):
            infos.append(
                pd.DataFrame(
                    {
                        "symbol": symbol,
                        "as_of": pd.to_datetime(master["Date"]),
                        "sector17": _text(master, "S17"),
                        "sector17_name": _text(master, "S17Nm"),
                        "sector33": _text(master, "S33"),
                        "sector33_name": _text(master, "S33Nm"),
                        "market": _text(master, "MktNm"),
                        "scale": _text(master, "ScaleCat"),
                        "name": _text(master, "CoNameEn"),
                        "name_ja": _text(master, "CoName"),
                    }
                )
            )
        summary = jquants_call(
            partial(cli.get_fin_summary, code=code),
            f"financial summaries of {symbol}",
            retries,
            backoff,
        )
        if len(summary):
            shares.append(_shares(summary, symbol))
            discs.append(_disclosures(summary, symbol))
    info = pd.concat(
        [*infos, *shares] or [pd.DataFrame(columns=["symbol", "as_of"])], ignore_index=True
    )
    for col in (*LISTED_COLUMNS, "name", "name_ja", "shares_outstanding", "treasury_shares"):
        if col not in info.columns:
            info[col] = np.nan if col.endswith("shares") or col.startswith("shares") else None
    disclosures = (
        pd.concat(discs, ignore_index=True) if discs else pd.DataFrame(columns=EARNINGS_COLUMNS)
    )
    return ListedPull(info, disclosures)


def _shares(summary: pd.DataFrame, symbol: str) -> pd.DataFrame:
    count = pd.to_numeric(_column(summary, "ShOutFY"), errors="coerce")
    treasury = pd.to_numeric(_column(summary, "TrShFY"), errors="coerce")
    keep = count.notna()
    return pd.DataFrame(
        {
            "symbol": symbol,
            "as_of": pd.to_datetime(summary.loc[keep, "DiscDate"]),
            "shares_outstanding": count[keep].astype("float64"),
            "treasury_shares": treasury[keep].astype("float64"),
        }
    ).drop_duplicates(["symbol", "as_of"], keep="last")


def _disclosures(summary: pd.DataFrame, symbol: str) -> pd.DataFrame:
    doc = summary["DocType"].astype(str) if "DocType" in summary.columns else pd.Series("")
    results = summary.loc[doc.str.contains("FinancialStatements", regex=False)]
    fy_end = pd.to_datetime(_column(results, "CurFYEn"), errors="coerce")
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": pd.to_datetime(results["DiscDate"]),
            "kind": "disclosed",
            "fiscal_year": [f"FY{d.year}-{d.month:02d}" if pd.notna(d) else None for d in fy_end],
            "fiscal_quarter": _text(results, "CurPerType"),
            "source": "jquants",
        }
    )


def pull_earnings_calendar(
    client: Any = None, retries: int = 3, backoff: float = 2.0
) -> pd.DataFrame:
    """Download the earnings calendar (all pages of ``/equities/earnings-calendar``).

    Parameters
    ----------
    client : jquantsapi.ClientV2, optional
        A ready client; by default one is made with the key the client finds.
    retries : int, default 3
        Retries after a rate-limit answer.
    backoff : float, default 2.0
        Seconds before the first retry.

    Returns
    -------
    pandas.DataFrame
        :data:`~ipposaki.store.listed.EARNINGS_COLUMNS`, kind ``scheduled``.

    Raises
    ------
    SourceUnavailableError
        As for :func:`~ipposaki.sources.jquants.pull_jquants`.
    """
    cli = jquants_client(client)
    cal = jquants_call(cli.get_eq_earnings_cal, "the earnings calendar", retries, backoff)
    if not len(cal):
        return pd.DataFrame(columns=list(EARNINGS_COLUMNS))
    return pd.DataFrame(
        {
            "symbol": [to_symbol(c) for c in cal["Code"].astype(str)],
            "date": pd.to_datetime(cal["Date"]),
            "kind": "scheduled",
            "fiscal_year": _text(cal, "FY"),
            "fiscal_quarter": _text(cal, "FQ"),
            "source": "jquants",
        }
    )


def _pull_listed(
    codes: Sequence[str], client: Any, calendar: bool, retries: int, backoff: float
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Listed info and earnings announcements of ``codes`` (the calendar's kept for ``codes``
    only), for :func:`~ipposaki.store.listed.write_listed` or
    :func:`~ipposaki.store.listed.check_listed`."""
    pulled = pull_listed_info(codes, client, retries, backoff)
    announcements = [pulled.disclosures]
    if calendar:
        wanted = {to_symbol(c) for c in codes}
        cal = pull_earnings_calendar(client, retries, backoff)
        announcements.append(cal.loc[cal["symbol"].isin(wanted)])
    found = [a for a in announcements if len(a)]
    return pulled.info, pd.concat(found, ignore_index=True) if found else None


def load_jquants_listed(
    store: Store,
    codes: Sequence[str],
    client: Any = None,
    calendar: bool = True,
    retries: int = 3,
    backoff: float = 2.0,
) -> dict[str, int]:
    """Pull sectors, share counts and earnings dates for ``codes`` and write them to ``store``,
    then rebuild the sector baskets.

    Everything is downloaded and checked first, then written in one transaction (see
    :func:`~ipposaki.store.listed.write_listed`): a failed request or a bad row leaves the
    store as it was. To write prices in the same transaction, use
    :func:`~ipposaki.sources.jquants.load_jquants` with ``listed=True``.

    Parameters
    ----------
    store : Store
        Target store.
    codes : sequence of str
        J-Quants codes or Tokyo symbols.
    client : jquantsapi.ClientV2, optional
        A ready client.
    calendar : bool, default True
        Also pull the earnings calendar (kept for ``codes`` only).
    retries : int, default 3
        Retries after a rate-limit answer.
    backoff : float, default 2.0
        Seconds before the first retry.

    Returns
    -------
    dict
        Rows written: ``listed`` (sector rows and share counts), ``earnings``,
        ``instruments_named`` (instruments an ingest had made with only their symbol, now
        given the company names and 33-sector), and
        ``basket_members``: the sector baskets (``sector33:電気機器``, ``sector17:電機・精密``)
        rebuilt from all stored listed info, for the symbols that are instruments of the
        store (pull their prices first).

    Raises
    ------
    InputError
        If no code is given or one is malformed.
    SourceUnavailableError
        As for :func:`~ipposaki.sources.jquants.pull_jquants`.
    DataValidationError
        If a downloaded row cannot be stored (a missing date, a negative share count).
    """
    cli = jquants_client(client) if codes else None
    info, earnings = _pull_listed(codes, cli, calendar, retries, backoff)
    return write_listed(store, info, earnings)

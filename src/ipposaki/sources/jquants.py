"""J-Quants daily prices and TOPIX indices through ``jquants-api-client`` (the ``jquants`` extra).

The real client (``jquantsapi.ClientV2``, J-Quants API v2) does the requests. Its API key comes
from where the client itself reads it: the ``JQUANTS_API_KEY`` environment variable, or
``api_key`` under ``[jquants-api-client]`` in ``~/.jquants-api/jquants-api.toml`` (or the file
named by ``JQUANTS_API_CLIENT_CONFIG_FILE``). ipposaki never takes a key on the command line.

Tests build a client whose ``JQUANTS_API_BASE`` points at a server on 127.0.0.1 that serves
recorded responses, and pass it as ``client``; everything else is the client's own code.

Symbols and index names are mapped in :mod:`ipposaki.sources.jquants_codes`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.errors import (
    DataValidationError,
    DataWarning,
    InputError,
    SourceUnavailableError,
)
from ipposaki.sources.jquants_codes import (
    INDEX_NAMES,
    TOPIX_SYMBOL,
    index_code,
    index_symbols,
    to_code,
    to_symbol,
)

if TYPE_CHECKING:
    from ipposaki.store import IngestResult, Store

__all__ = [
    "KEY_HELP",
    "PlanLimitWarning",
    "index_instruments",
    "jquants_client",
    "jquants_call",
    "load_jquants",
    "pull_jquants",
    "pull_jquants_indices",
]

#: How to give ipposaki a J-Quants API key (used in messages).
KEY_HELP = (
    "set JQUANTS_API_KEY to the API key from https://jpx-jquants.com/dashboard/api-keys "
    "(or put api_key under [jquants-api-client] in ~/.jquants-api/jquants-api.toml)"
)
_PLAN_HELP = (
    "J-Quants plans limit history (the free plan is delayed about 12 weeks and holds about 2 years)"
)
_RATE_HELP = (
    "J-Quants allows 5 (Free), 60 (Light), 120 (Standard) or 500 (Premium) requests a minute; "
    "wait a minute, then pull fewer codes at a time"
)

T = TypeVar("T")


class PlanLimitWarning(DataWarning):
    """J-Quants returned fewer sessions than asked for: a plan limit or a shorter listing."""


def _jquantsapi() -> Any:
    try:
        import jquantsapi  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - depends on the install
        raise SourceUnavailableError(
            "the J-Quants source needs the 'jquants' extra: pip install 'ipposaki[jquants]'"
        ) from None
    return jquantsapi


def jquants_client(client: Any = None) -> Any:
    """Return ``client``, or a new ``jquantsapi.ClientV2`` with the key the client finds itself.

    Parameters
    ----------
    client : jquantsapi.ClientV2, optional
        A ready client (tests pass one aimed at a loopback server).

    Returns
    -------
    jquantsapi.ClientV2
        The client.

    Raises
    ------
    SourceUnavailableError
        If the extra is not installed or no API key is set; the message says how to set one.
    """
    if client is not None:
        return client
    jq = _jquantsapi()
    try:
        return jq.ClientV2()
    except ValueError:
        raise SourceUnavailableError(f"jquants: no API key: {KEY_HELP}") from None


def _message(response: Any) -> str:
    """The API's own one-line message from an error response, if it sent one."""
    try:
        body = response.json()
        text = str(body.get("message", "")) if isinstance(body, dict) else ""
    except Exception:
        text = ""
    if not text:
        text = str(getattr(response, "text", "") or getattr(response, "reason", "") or "")
    return " ".join(text.split())[:200]


def jquants_call(call: Callable[[], T], what: str, retries: int = 3, backoff: float = 2.0) -> T:
    """Run one client call and turn HTTP failures into one-line ipposaki errors.

    A rate-limit answer (HTTP 429) is retried ``retries`` times, waiting ``backoff``,
    2 x ``backoff``, 4 x ``backoff`` ... seconds (or the server's ``Retry-After``).

    Parameters
    ----------
    call : callable
        The client call, without arguments.
    what : str
        What is asked for, for messages (e.g. ``"daily bars of 8035.T"``).
    retries : int, default 3
        Retries after a rate-limit answer.
    backoff : float, default 2.0
        First wait in seconds.

    Returns
    -------
    object
        What ``call`` returns.

    Raises
    ------
    SourceUnavailableError
        On an auth failure (400, 401, 403), a rate limit that outlasts the retries, a server
        error, or no connection; the message says which, in plain words.
    """
    import requests

    tries = 0
    waited = 0.0
    while True:
        tries += 1
        try:
            with warnings.catch_warnings():
                # The client sorts in place, which pandas 3.1 deprecates: its concern, not ours.
                warnings.filterwarnings(
                    "ignore", message="The inplace keyword", module="jquantsapi"
                )
                # It suggests its cursor variant of /fins/summary, made for bulk updates.
                warnings.filterwarnings("ignore", message=r"get_fin_summary_cursor\(\)")
                return call()
        except requests.HTTPError as exc:
            response = exc.response
            status = getattr(response, "status_code", None)
            detail = _message(response) if response is not None else str(exc)
            if status == 429 and tries <= retries:
                delay = _retry_after(response, backoff * 2 ** (tries - 1))
                time.sleep(delay)
                waited += delay
                continue
            raise SourceUnavailableError(_explain(status, detail, what, tries, waited)) from None
        except requests.exceptions.RetryError as exc:
            # On https the client's session retries 429 and 5xx itself (urllib3, at once or
            # after Retry-After); when those run out, wait and try again as for a plain 429.
            status = 429 if "429" in str(exc) else 500
            if status == 429 and tries <= retries:
                delay = backoff * 2 ** (tries - 1)
                time.sleep(delay)
                waited += delay
                continue
            raise SourceUnavailableError(_explain(status, "", what, tries, waited)) from None
        except requests.RequestException as exc:
            raise SourceUnavailableError(
                f"jquants: could not reach the J-Quants API for {what} "
                f"({type(exc).__name__}); check the network and try again"
            ) from None


def _retry_after(response: Any, default: float) -> float:
    value = (getattr(response, "headers", None) or {}).get("Retry-After", "")
    try:
        return min(float(value), 60.0)
    except (TypeError, ValueError):
        return default


def _explain(status: int | None, detail: str, what: str, tries: int, waited: float) -> str:
    said = f": {detail}" if detail else ""
    if status == 429:
        return (
            f"jquants: rate limit reached (HTTP 429) for {what}, still after {tries} tries over "
            f"{waited:.0f} s; {_RATE_HELP}"
        )
    if status in (401, 403):
        return f"jquants: the API key was refused (HTTP {status}{said}); {KEY_HELP}"
    if status == 400:
        if "subscription" in detail.lower() or "plan" in detail.lower():
            return (
                f"jquants: {what} is outside your plan (HTTP 400{said}); {_PLAN_HELP}: "
                "narrow `start`/`end`"
            )
        return (
            f"jquants: the request for {what} was refused (HTTP 400{said}); check the API key "
            f"and the dates ({KEY_HELP})"
        )
    return f"jquants: the J-Quants API failed for {what} (HTTP {status}{said}); try again later"


def _check_range(start: DateLike, end: DateLike) -> tuple[pd.Timestamp, pd.Timestamp]:
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if last < first:
        raise InputError("end", str(last.date()), f"a date on or after start {first.date()}")
    return first, last


def _numbers(frame: pd.DataFrame, column: str, symbol: str) -> np.ndarray:
    """A column as floats: null (or blank) is missing; any other text is refused."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy(copy=True)
    if bad.any():
        bad &= (raw.astype(str).str.strip() != "").to_numpy()
    if bad.any():
        pos = int(bad.argmax())
        day = pd.Timestamp(frame["Date"].iloc[pos]).date()
        raise DataValidationError(
            "jquants",
            f"{symbol} on {day}: {column}={raw.iloc[pos]!r} is not allowed: expected a number "
            "or null",
        )
    return values.to_numpy(dtype=np.float64)


def _rows(frame: pd.DataFrame, symbol: str, adjusted: bool) -> pd.DataFrame:
    """Canonical price rows from one symbol's bars (v2 field names)."""
    close = _numbers(frame, "C", symbol)
    out = pd.DataFrame(
        {
            "symbol": symbol,
            "session": pd.to_datetime(frame["Date"]).dt.normalize().astype("datetime64[s]"),
            "open": _numbers(frame, "O", symbol),
            "high": _numbers(frame, "H", symbol),
            "low": _numbers(frame, "L", symbol),
            "close": close,
            "adj_close": _numbers(frame, "AdjC", symbol) if adjusted else close,
            "volume": _numbers(frame, "Vo", symbol),
            "currency": "JPY",
        }
    )
    # A session with no trade has no prices at all; it is a gap, not a row.
    keep = ~(np.isnan(out["close"].to_numpy()) & np.isnan(out["adj_close"].to_numpy()))
    return out.loc[keep].reset_index(drop=True)


def _coverage(
    rows: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp, what: str
) -> pd.DataFrame:
    """Refuse an empty answer; warn when the answer covers fewer sessions than asked."""
    from ipposaki.calendars import sessions

    if rows.empty:
        raise SourceUnavailableError(
            f"jquants: no rows for {what} in {first.date()}..{last.date()} ({_PLAN_HELP})"
        )
    today = pd.Timestamp.today().normalize()
    wanted = sessions("XTKS", first, min(last, today))
    got_first, got_last = rows["session"].min(), rows["session"].max()
    if len(wanted) and (got_first > wanted[0] or got_last < wanted[-1]):
        warnings.warn(
            f"jquants: {what} covers {got_first.date()}..{got_last.date()}, less than the "
            f"{wanted[0].date()}..{wanted[-1].date()} asked for; {_PLAN_HELP}, or the issue "
            "was not listed for all of it",
            PlanLimitWarning,
            stacklevel=3,
        )
    return rows


def pull_jquants(
    codes: Sequence[str],
    start: DateLike,
    end: DateLike,
    client: Any = None,
    retries: int = 3,
    backoff: float = 2.0,
) -> pd.DataFrame:
    """Download daily prices of Tokyo issues from J-Quants (``/equities/bars/daily``).

    Parameters
    ----------
    codes : sequence of str
        J-Quants codes (``80350``, ``8035``, ``130A0``) or ipposaki symbols (``8035.T``).
    start, end : date-like
        Inclusive first and last date.
    client : jquantsapi.ClientV2, optional
        A ready client; by default one is made with the key from ``JQUANTS_API_KEY`` or the
        client's config file.
    retries : int, default 3
        Retries after a rate-limit answer (HTTP 429).
    backoff : float, default 2.0
        Seconds before the first retry; doubled each time.

    Returns
    -------
    pandas.DataFrame
        Canonical price rows, as :func:`~ipposaki.sources.yahoo.pull_yahoo` returns: symbol
        (``8035.T``), session, open, high, low, close (as traded: J-Quants' raw ``C``),
        adj_close (J-Quants' split-adjusted ``AdjC``), volume (shares traded, as traded:
        ``Vo``), currency (``JPY``).

    Raises
    ------
    InputError
        If no code is given, a code is malformed, or ``end`` is before ``start``.
    SourceUnavailableError
        If there is no API key, the key is refused, the rate limit outlasts the retries, or
        J-Quants returns no rows for a code.
    DataValidationError
        If a price or volume is text other than a number.

    Warns
    -----
    PlanLimitWarning
        If a code's rows cover fewer sessions than asked (a plan limit, or a later listing).
    """
    if not codes:
        raise InputError("codes", list(codes), "at least one J-Quants code, e.g. 80350")
    jq_codes = [to_code(c) for c in codes]  # refuse a malformed code before any request
    first, last = _check_range(start, end)
    cli = jquants_client(client)
    frames = []
    for code in dict.fromkeys(jq_codes):
        symbol = to_symbol(code)
        what = f"daily bars of {code} ({symbol})"
        call = partial(
            cli.get_eq_bars_daily,
            code=code,
            from_yyyymmdd=first.strftime("%Y%m%d"),
            to_yyyymmdd=last.strftime("%Y%m%d"),
        )
        bars = jquants_call(call, what, retries, backoff)
        rows = _rows(bars, symbol, adjusted=True) if len(bars) else _rows_empty()
        frames.append(_coverage(rows, first, last, what))
    return pd.concat(frames, ignore_index=True)


def _rows_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["symbol", "session"])


def pull_jquants_indices(
    names: Sequence[str],
    start: DateLike,
    end: DateLike,
    client: Any = None,
    retries: int = 3,
    backoff: float = 2.0,
) -> pd.DataFrame:
    """Download TOPIX and TOPIX-17/33 sector indices from J-Quants.

    TOPIX comes from ``/indices/bars/daily/topix``; sector indices from
    ``/indices/bars/daily`` (J-Quants' index codes ``0040``-``0060`` and ``0080``-``0090``).

    Parameters
    ----------
    names : sequence of str
        ``TOPIX``, ``TOPIX33-3650``, ``TOPIX17-9``, ``TOPIX33-*``, ``TOPIX17-*`` (see
        :func:`~ipposaki.sources.jquants_codes.index_symbols`).
    start, end : date-like
        Inclusive first and last date.
    client : jquantsapi.ClientV2, optional
        A ready client; by default one is made with the key the client finds.
    retries : int, default 3
        Retries after a rate-limit answer (HTTP 429).
    backoff : float, default 2.0
        Seconds before the first retry; doubled each time.

    Returns
    -------
    pandas.DataFrame
        Canonical price rows with symbols ``^TOPX``, ``^TOPIX33-<S33>``, ``^TOPIX17-<S17>``;
        adj_close equals close and volume is empty (J-Quants gives index levels only).

    Raises
    ------
    InputError
        If no name is given, a name is unknown, or ``end`` is before ``start``.
    SourceUnavailableError
        As for :func:`pull_jquants`.

    Warns
    -----
    PlanLimitWarning
        If an index's rows cover fewer sessions than asked.
    """
    if not names:
        raise InputError("indices", list(names), "at least one index, e.g. TOPIX")
    symbols = index_symbols(names)
    first, last = _check_range(start, end)
    cli = jquants_client(client)
    lo, hi = first.strftime("%Y%m%d"), last.strftime("%Y%m%d")
    frames = []
    for symbol in symbols:
        code = index_code(symbol)
        what = f"index {symbol} (J-Quants index code {code})"
        if symbol == TOPIX_SYMBOL:
            call = partial(cli.get_idx_bars_daily_topix, from_yyyymmdd=lo, to_yyyymmdd=hi)
        else:
            call = partial(cli.get_idx_bars_daily, code=code, from_yyyymmdd=lo, to_yyyymmdd=hi)
        bars = jquants_call(call, what, retries, backoff)
        rows = _rows(bars, symbol, adjusted=False) if len(bars) else _rows_empty()
        frames.append(_coverage(rows, first, last, what))
    return pd.concat(frames, ignore_index=True)


def index_instruments(symbols: Sequence[str]) -> pd.DataFrame:
    """Instrument rows for J-Quants index symbols: Tokyo (XTKS), JPY, kind ``index``.

    Parameters
    ----------
    symbols : sequence of str
        Symbols from :func:`~ipposaki.sources.jquants_codes.index_symbols`.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`~ipposaki.instruments.INSTRUMENT_COLUMNS`.
    """
    from ipposaki.instruments import INSTRUMENT_COLUMNS

    rows = []
    for symbol in symbols:
        name, name_ja = INDEX_NAMES[symbol]
        bench = "" if symbol == TOPIX_SYMBOL else TOPIX_SYMBOL
        rows.append([symbol, name, name_ja, "XTKS", "JPY", "JP", "index", "index", bench])
    return pd.DataFrame(rows, columns=list(INSTRUMENT_COLUMNS))


def load_jquants(
    store: Store,
    codes: Sequence[str],
    indices: Sequence[str],
    start: DateLike,
    end: DateLike,
    client: Any = None,
    retries: int = 3,
    backoff: float = 2.0,
    listed: bool = False,
    calendar: bool = True,
) -> IngestResult:
    """Pull J-Quants prices and indices, then validate and write them to ``store`` at once.

    Index symbols the store does not know yet become instruments (Tokyo, JPY, kind
    ``index``), so their rows are checked against Tokyo's sessions; they are written in the
    same transaction as the rows, after every row is validated, so a failed pull leaves the
    store as it was. The ingest is recorded under the source label ``jquants``.

    With ``listed``, the codes' listed info and earnings announcements (as
    :func:`~ipposaki.sources.jquants_info.load_jquants_listed` pulls them) are pulled too,
    after the prices, and checked with them; then prices, instruments, sectors, share counts,
    earnings and the rebuilt sector baskets are written in that one transaction.

    Parameters
    ----------
    store : Store
        Target store.
    codes : sequence of str
        J-Quants codes or Tokyo symbols (may be empty when ``indices`` is not).
    indices : sequence of str
        Index names (may be empty when ``codes`` is not).
    start, end : date-like
        Inclusive first and last date.
    client : jquantsapi.ClientV2, optional
        A ready client.
    retries : int, default 3
        Retries after a rate-limit answer.
    backoff : float, default 2.0
        Seconds before the first retry.
    listed : bool, default False
        Also pull and write the codes' sectors, share counts and earnings dates.
    calendar : bool, default True
        With ``listed``: also pull the earnings calendar (kept for ``codes`` only).

    Returns
    -------
    IngestResult
        What was written; with ``listed``, its ``listed`` holds the counts of
        :func:`~ipposaki.store.listed.write_listed`.

    Raises
    ------
    InputError
        If neither codes nor indices are given, one is malformed, ``end`` is before
        ``start``, or ``listed`` is asked without codes.
    SourceUnavailableError
        As for :func:`pull_jquants`. Nothing is written.
    DataValidationError
        If a row fails the store's validation. Nothing is written.
    """
    if not codes and not indices:
        raise InputError("codes", list(codes), "at least one code or `indices`")
    if listed and not codes:
        raise InputError("listed", True, "only with codes")
    for code in codes:  # refuse every malformed value before any request
        to_code(code)
    index_symbols(indices)
    _check_range(start, end)
    cli = jquants_client(client)
    frames = []
    if codes:
        frames.append(pull_jquants(codes, start, end, cli, retries, backoff))
    instruments = None
    if indices:
        rows = pull_jquants_indices(indices, start, end, cli, retries, backoff)
        instruments = index_instruments(list(rows["symbol"].unique()))
        frames.append(rows)
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if not listed:
        return store.ingest(rows, "jquants", non_sessions="skip", instruments=instruments)
    # jquants_info imports this module: import it here.
    from ipposaki.sources.jquants_info import _pull_listed
    from ipposaki.store.listed import check_listed

    info, earnings = _pull_listed(codes, cli, calendar, retries, backoff)
    put = check_listed(store, info, earnings)
    written: dict[str, int] = {}
    result = store.ingest(
        rows,
        "jquants",
        non_sessions="skip",
        instruments=instruments,
        before_commit=lambda con: written.update(put(con)),
    )
    return replace(result, listed=written)

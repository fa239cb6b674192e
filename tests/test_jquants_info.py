"""Listed-company data from J-Quants: sectors, shares outstanding and earnings announcements.

The real client runs against the recorded responses in ``tests/fixtures/jquants`` served on
127.0.0.1 (see ``tests/test_jquants.py``); ``earnings_within`` is checked on hand-made frames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import test_jquants  # skips this module, as its own, without jquants-api-client

# The loopback stand-in and its client, shared with the price tests.
api = test_jquants.api
client = test_jquants.client


def test_listed_info_gives_sectors_and_dated_share_counts(client: Any) -> None:
    from ipposaki.sources.jquants_info import pull_listed_info

    pulled = pull_listed_info(["8035.T"], client=client)
    info = pulled.info
    sector = info.loc[info["sector33"].notna()].iloc[0]
    assert (sector["symbol"], sector["sector33"], sector["sector33_name"]) == (
        "8035.T",
        "3650",
        "電気機器",
    )
    assert (sector["sector17"], sector["sector17_name"]) == ("9", "電機・精密")
    assert sector["as_of"] == pd.Timestamp("2024-03-29") and sector["name_ja"] == "東京エレクトロン"
    shares = info.loc[info["shares_outstanding"].notna()].set_index("as_of")
    # The forecast revision of 2024-03-15 carries no share count, so it gives no row.
    assert list(shares.index.strftime("%Y-%m-%d")) == ["2024-02-09", "2024-05-22"]
    assert shares.loc["2024-05-22", "shares_outstanding"] == 471_632_733
    assert shares.loc["2024-02-09", "treasury_shares"] == 2_410_530
    disc = pulled.disclosures
    assert list(disc["date"].dt.strftime("%Y-%m-%d")) == ["2024-02-09", "2024-05-22"]
    assert list(disc["fiscal_quarter"]) == ["3Q", "FY"] and set(disc["kind"]) == {"disclosed"}


def test_earnings_calendar_follows_the_pagination_key(client: Any, api: Any) -> None:
    from ipposaki.sources.jquants_info import pull_earnings_calendar

    cal = pull_earnings_calendar(client)
    assert list(cal["symbol"]) == ["1301.T", "130A.T", "8035.T"]  # the client sorts by code
    assert set(cal["kind"]) == {"scheduled"} and (cal["date"] == "2024-03-28").all()
    pages = [p for p in api.seen if "earnings-calendar" in p]
    assert len(pages) == 2 and "pagination_key=page2" in pages[1]


def test_store_keeps_sectors_shares_and_earnings(client: Any, store: Any) -> None:
    from ipposaki.sources.jquants_info import load_jquants_listed

    written = load_jquants_listed(store, ["80350"], client=client)
    # 1 sector row and 2 x (shares, treasury); 8035.T joins two sector baskets.
    assert written == {"listed": 5, "earnings": 3, "instruments_named": 0, "basket_members": 2}
    assert store.basket("sector33:電気機器") == ["8035.T"]
    assert store.basket("sector17:電機・精密") == ["8035.T"]
    shares = store.shares_outstanding(["8035.T"])
    assert list(shares.columns) == [
        "symbol",
        "as_of",
        "shares_outstanding",
        "treasury_shares",
        "source",
    ]
    assert shares["shares_outstanding"].tolist() == [157_210_911, 471_632_733]
    assert (shares["source"] == "jquants").all()
    listed = store.listed_info()
    assert listed[["symbol", "sector33", "sector17"]].values.tolist() == [["8035.T", "3650", "9"]]
    earn = store.earnings(["8035.T"])
    assert earn[["date", "kind"]].astype(str).values.tolist() == [
        ["2024-02-09", "disclosed"],
        ["2024-03-28", "scheduled"],
        ["2024-05-22", "disclosed"],
    ]
    # Writing the same again replaces, never duplicates.
    load_jquants_listed(store, ["80350"], client=client)
    assert len(store.shares_outstanding()) == 2 and len(store.earnings()) == 3


def test_a_store_made_before_these_tables_reads_empty_then_writes(tmp_path: Path) -> None:
    import duckdb

    from ipposaki.store import Store

    path = tmp_path / "old.duckdb"
    store = Store(path)
    store.add_baskets(pd.DataFrame(columns=["basket", "symbol", "name", "name_ja"]))  # creates
    with duckdb.connect(str(path)) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "listed" not in tables and "earnings" not in tables
    assert store.listed_info().empty and store.earnings().empty
    assert store.shares_outstanding().empty
    store.add_earnings(
        pd.DataFrame(
            {
                "symbol": ["8035.T"],
                "date": ["2024-03-28"],
                "kind": ["scheduled"],
                "fiscal_year": ["3月期"],
                "fiscal_quarter": ["FY"],
                "source": ["jquants"],
            }
        )
    )
    assert store.earnings()["symbol"].tolist() == ["8035.T"]


# -- earnings within ±1 session ---------------------------------------------------------------


def test_earnings_within_one_session_either_side() -> None:
    from ipposaki.store.listed import earnings_within

    events = pd.DataFrame(
        {
            "symbol": ["8035.T", "8035.T", "8035.T", "6857.T"],
            "date": ["2024-05-21", "2024-05-24", "2024-05-27", "2024-05-22"],
        },
        index=[10, 11, 12, 13],
    )
    ann = pd.DataFrame(
        {
            "symbol": ["8035.T", "8035.T", "8035.T"],
            "date": ["2024-05-22", "2024-05-22", "2024-05-25"],  # 05-25 is a Saturday
            "kind": ["scheduled", "disclosed", "disclosed"],
        }
    )
    out = earnings_within(events, ann)
    assert list(out.index) == [10, 11, 12, 13]
    assert out["earnings_count"].tolist() == [1, 1, 1, 0]
    assert out["earnings_dates"].tolist() == [
        "2024-05-22 (+1)",
        "2024-05-25 (+1)",  # the Saturday counts as Monday 05-27, one session after Friday
        "2024-05-25 (+0)",
        "",
    ]
    wide = earnings_within(events, ann, sessions=3)
    assert wide.loc[11, "earnings_dates"] == "2024-05-22 (-2); 2024-05-25 (+1)"


def test_earnings_within_refuses_a_negative_window() -> None:
    from ipposaki.errors import InputError
    from ipposaki.store.listed import earnings_within

    frame = pd.DataFrame({"symbol": ["8035.T"], "date": ["2024-05-22"]})
    with pytest.raises(InputError, match="sessions=-1 is not allowed"):
        earnings_within(frame, frame, sessions=-1)
    with pytest.raises(InputError, match="expected columns symbol and date"):
        earnings_within(frame.rename(columns={"date": "day"}), frame)


def test_docs_data_example_runs_and_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/data.md: its Python block runs offline and prints the table shown after it."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    shown = re.findall(r"```text\n(.*?)```", doc, flags=re.S)
    assert len(code) == 1 and len(shown) == 1
    exec(compile(code[0], "data.md", "exec"), {})
    printed = capsys.readouterr().out
    assert [line.rstrip() for line in printed.splitlines()] == shown[0].splitlines()


def test_instruments_made_by_an_ingest_get_their_company_names(client: Any, store: Any) -> None:
    from ipposaki.sources.jquants_info import load_jquants_listed

    builtin = store.instruments().set_index("symbol").loc["8035.T", "name"]
    assert builtin not in ("", "8035.T")  # curated: left alone
    load_jquants_listed(store, ["80350"], client=client, calendar=False)
    assert store.instruments().set_index("symbol").loc["8035.T", "name"] == builtin
    bare = store.instruments().set_index("symbol").loc[["8035.T"]].reset_index()
    bare[["name", "name_ja", "sector", "kind"]] = ["8035.T", "8035.T", "", ""]
    store.add_instruments(bare)
    written = load_jquants_listed(store, ["80350"], client=client, calendar=False)
    assert written["instruments_named"] == 1
    inst = store.instruments().set_index("symbol").loc["8035.T"]
    assert (inst["name"], inst["name_ja"], inst["sector"], inst["kind"]) == (
        "Tokyo Electron Limited",
        "東京エレクトロン",
        "電気機器",
        "stock",
    )


def test_turnover_uses_the_count_known_that_day_in_that_days_share_basis(
    client: Any, store: Any
) -> None:
    from ipposaki.sources.jquants import pull_jquants
    from ipposaki.sources.jquants_info import load_jquants_listed
    from ipposaki.store.listed import turnover

    store.ingest(pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client), "jquants")
    load_jquants_listed(store, ["80350"], client=client, calendar=False)
    out = turnover(store.prices(["8035.T"]), store.shares_outstanding()).set_index("session")
    # Disclosed 2024-02-09: 157,210,911 issued less 2,410,530 treasury, before the 1-for-3
    # split of 2024-03-28; from the ex-date on, the same holding is three times as many shares.
    before = 157_210_911 - 2_410_530
    assert out.loc["2024-03-27", "shares"] == pytest.approx(before)
    assert out.loc["2024-03-27", "turnover"] == pytest.approx(2_400_000 / before)
    assert out.loc["2024-03-28", "shares"] == pytest.approx(3 * before, rel=1e-6)
    assert out.loc["2024-03-28", "turnover"] == pytest.approx(7_800_000 / (3 * before), rel=1e-6)
    every = turnover(store.prices(["8035.T"]), store.shares_outstanding(), exclude_treasury=False)
    assert every["shares"].iloc[0] == pytest.approx(157_210_911)


def test_turnover_before_the_first_count_is_nan() -> None:
    from ipposaki.store.listed import turnover

    prices = pd.DataFrame(
        {"symbol": ["X", "X"], "session": ["2024-01-04", "2024-06-03"], "volume": [5.0, 7.0]}
    )
    shares = pd.DataFrame({"symbol": ["X"], "as_of": ["2024-05-01"], "shares_outstanding": [100.0]})
    out = turnover(prices, shares)
    assert pd.isna(out["turnover"].iloc[0]) and out["turnover"].iloc[1] == pytest.approx(0.07)

"""The J-Quants source, offline: the real jquants-api-client against recorded responses.

``tests/fixtures/jquants/loopback.py`` serves the responses in that folder on 127.0.0.1; the
client is a real ``jquantsapi.ClientV2`` whose ``JQUANTS_API_BASE`` points there. Everything
else (headers, the x-api-key, pagination, parsing into frames) is the client's own code.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

jquantsapi = pytest.importorskip("jquantsapi")

FIXTURES = Path(__file__).parent / "fixtures" / "jquants"


def _loopback() -> Any:
    spec = importlib.util.spec_from_file_location("jquants_loopback", FIXTURES / "loopback.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


loopback = _loopback()


@pytest.fixture
def api() -> Iterator[Any]:
    """The loopback stand-in; yields its handler class (to script 429s and read requests)."""
    base, server = loopback.serve()
    loopback.Handler.base = base
    yield loopback.Handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(api: Any) -> Any:
    cli = jquantsapi.ClientV2(api_key=loopback.API_KEY)
    cli.JQUANTS_API_BASE = api.base
    return cli


@pytest.fixture
def no_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No key anywhere the client looks: env, ~/.jquants-api, ./jquants-api.toml."""
    monkeypatch.delenv("JQUANTS_API_KEY", raising=False)
    monkeypatch.delenv("JQUANTS_API_CLIENT_CONFIG_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


# -- codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "symbol"),
    [
        ("80350", "8035.T"),
        ("8035", "8035.T"),
        ("130A0", "130A.T"),
        ("130a", "130A.T"),
        ("25935", "25935.T"),
    ],
    ids=["five-digit", "four-digit", "alphanumeric", "lower-case", "preferred"],
)
def test_codes_map_both_ways(code: str, symbol: str) -> None:
    from ipposaki.sources.jquants_codes import to_code, to_symbol

    assert to_symbol(code) == symbol
    assert to_symbol(to_code(symbol)) == symbol


@pytest.mark.parametrize("bad", ["803", "803500", "A0350", "8035.X", "80-35", ""])
def test_malformed_code_is_one_line_naming_the_value(bad: str) -> None:
    from ipposaki.errors import InputError
    from ipposaki.sources.jquants_codes import to_code

    with pytest.raises(InputError, match=f"code={bad!r} is not allowed") as info:
        to_code(bad)
    assert "\n" not in str(info.value)


def test_index_names_expand_and_map_to_jquants_codes() -> None:
    from ipposaki.sources.jquants_codes import index_code, index_symbols

    s33 = index_symbols(["TOPIX33-*"])
    s17 = index_symbols(["topix17-*"])
    assert len(s33) == 33 and len(s17) == 17
    assert index_code("^TOPIX33-0050") == "0040" and index_code("^TOPIX33-9050") == "0060"
    assert index_code("^TOPIX33-3650") == "004F"
    assert index_code("^TOPIX17-1") == "0080" and index_code("^TOPIX17-17") == "0090"
    assert index_symbols(["TOPIX", "^TOPX", "TOPIX33-3650"]) == ["^TOPX", "^TOPIX33-3650"]


def test_unknown_index_is_refused() -> None:
    from ipposaki.errors import InputError
    from ipposaki.sources.jquants_codes import index_symbols

    with pytest.raises(InputError, match="indices='TOPIX33-9999' is not allowed"):
        index_symbols(["TOPIX33-9999"])


# -- prices -----------------------------------------------------------------------------------


def test_daily_bars_keep_raw_close_and_adjusted_close(client: Any, api: Any) -> None:
    from ipposaki.sources.jquants import pull_jquants

    rows = pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client)
    assert list(rows.columns) == [
        "symbol",
        "session",
        "open",
        "high",
        "low",
        "close",
        "adj_close",
        "volume",
        "currency",
    ]
    tel = rows.set_index("session")
    assert (tel["symbol"] == "8035.T").all() and (tel["currency"] == "JPY").all()
    # The as-traded close falls by two thirds on the ex-date; the adjusted close does not.
    assert tel.loc["2024-03-27", "close"] == 39600.0
    assert tel.loc["2024-03-28", "close"] == 13050.0
    assert tel.loc["2024-03-27", "adj_close"] == 13200.0
    assert tel.loc["2024-03-28", "adj_close"] == 13050.0
    assert tel.loc["2024-03-27", "volume"] == 2_400_000.0  # shares traded, as traded
    assert any("/v2/equities/bars/daily?code=80350" in p for p in api.seen)
    assert any("from=20240322" in p and "to=20240329" in p for p in api.seen)


def test_split_ingests_without_a_split_warning(client: Any, store: Any) -> None:
    from ipposaki.errors import SplitLikeMoveWarning
    from ipposaki.panel import build_panel
    from ipposaki.sources.jquants import pull_jquants

    rows = pull_jquants(["8035.T"], "2024-03-22", "2024-03-29", client=client)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SplitLikeMoveWarning)
        result = store.ingest(rows, "jquants")
    assert result.rows_written == 6 and "jquants" in store.sources()
    panel = build_panel(store, "XTKS", ["8035.T"], "2024-03-27", "2024-03-28")
    assert panel.returns.loc["2024-03-28", "8035.T"] == pytest.approx(13050 / 13200 - 1)


def test_alphanumeric_code_and_a_session_without_trades(client: Any) -> None:
    from ipposaki.sources.jquants import pull_jquants

    rows = pull_jquants(["130A"], "2024-03-25", "2024-03-27", client=client)
    assert rows["symbol"].unique().tolist() == ["130A.T"]
    assert [d.strftime("%m-%d") for d in rows["session"]] == ["03-25", "03-27"]


def test_shorter_answer_than_asked_is_a_plan_warning(client: Any) -> None:
    from ipposaki.sources.jquants import PlanLimitWarning, pull_jquants

    with pytest.warns(PlanLimitWarning, match=r"covers 2024-03-22\.\.2024-03-29, less than"):
        pull_jquants(["80350"], "2024-03-01", "2024-04-30", client=client)


def test_no_rows_is_a_clear_error(client: Any) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    with pytest.raises(SourceUnavailableError, match=r"no rows for daily bars of 99990 \(9999.T\)"):
        pull_jquants(["9999"], "2024-03-22", "2024-03-29", client=client)


# -- indices ----------------------------------------------------------------------------------


def test_topix_and_a_sector_index_become_tokyo_index_rows(client: Any, store: Any) -> None:
    from ipposaki.sources.jquants import load_jquants

    result = load_jquants(
        store, [], ["TOPIX", "TOPIX33-3650"], "2024-03-22", "2024-03-29", client=client
    )
    assert result.symbols == ("^TOPIX33-3650", "^TOPX") and result.rows_written == 12
    inst = store.instruments().set_index("symbol")
    assert inst.loc["^TOPIX33-3650", "exchange"] == "XTKS"
    assert inst.loc["^TOPIX33-3650", "kind"] == "index"
    assert inst.loc["^TOPIX33-3650", "name_ja"] == "TOPIX業種別 電気機器"
    prices = store.prices(["^TOPX"]).set_index("session")
    assert prices.loc["2024-03-28", "close"] == pytest.approx(2750.17)
    assert np.isnan(prices["volume"]).all()


def test_load_writes_stocks_and_indices_in_one_ingest(client: Any, store: Any) -> None:
    from ipposaki.sources.jquants import load_jquants

    result = load_jquants(store, ["80350"], ["TOPIX"], "2024-03-22", "2024-03-29", client=client)
    assert result.sources == ("jquants",)
    assert set(store.symbols()) == {"8035.T", "^TOPX"}
    assert store.instruments().set_index("symbol").loc["8035.T", "exchange"] == "XTKS"


# -- keys and failures ------------------------------------------------------------------------


def test_missing_key_says_how_to_set_it(no_key: None) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    with pytest.raises(SourceUnavailableError, match="no API key: set JQUANTS_API_KEY") as info:
        pull_jquants(["80350"], "2024-03-22", "2024-03-29")
    assert "\n" not in str(info.value)


def test_key_from_the_environment_is_used(
    no_key: None, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipposaki.sources.jquants import pull_jquants

    monkeypatch.setenv("JQUANTS_API_KEY", loopback.API_KEY)
    monkeypatch.setattr(jquantsapi.ClientV2, "JQUANTS_API_BASE", api.base)
    rows = pull_jquants(["80350"], "2024-03-22", "2024-03-29")
    assert len(rows) == 6


def test_refused_key_is_one_line_in_plain_words(api: Any) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    cli = jquantsapi.ClientV2(api_key="not-the-key")
    cli.JQUANTS_API_BASE = api.base
    with pytest.raises(SourceUnavailableError) as info:
        pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=cli)
    text = str(info.value)
    assert text.startswith("jquants: the API key was refused (HTTP 401: The incoming token")
    assert "JQUANTS_API_KEY" in text and "\n" not in text and "not-the-key" not in text


def test_rate_limit_is_retried_with_backoff(client: Any, api: Any) -> None:
    from ipposaki.sources.jquants import pull_jquants

    api.rate_limited = 2
    rows = pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client, backoff=0.01)
    assert len(rows) == 6 and len(api.seen) == 3


def test_rate_limit_that_outlasts_the_retries_says_so(client: Any, api: Any) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    api.rate_limited = 10
    with pytest.raises(SourceUnavailableError) as info:
        pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client, retries=2, backoff=0)
    text = str(info.value)
    assert "rate limit reached (HTTP 429)" in text and "after 3 tries" in text
    assert "5 (Free)" in text and "\n" not in text
    assert len(api.seen) == 3


def test_dates_outside_the_plan_say_so(client: Any, api: Any) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    api.outside_plan = {"80350"}
    with pytest.raises(SourceUnavailableError, match=r"is outside your plan \(HTTP 400: Your sub"):
        pull_jquants(["80350"], "2015-01-01", "2015-12-31", client=client)


def test_bad_input_is_refused_before_any_request(client: Any, api: Any) -> None:
    from ipposaki.errors import InputError
    from ipposaki.sources.jquants import load_jquants, pull_jquants

    with pytest.raises(InputError, match="end='2024-03-01' is not allowed"):
        pull_jquants(["80350"], "2024-03-22", "2024-03-01", client=client)
    with pytest.raises(InputError, match="code='80-35' is not allowed"):
        pull_jquants(["80350", "80-35"], "2024-03-22", "2024-03-29", client=client)
    with pytest.raises(InputError, match="indices='NIKKEI' is not allowed"):
        load_jquants(None, ["80350"], ["NIKKEI"], "2024-03-22", "2024-03-29", client=client)  # type: ignore[arg-type]
    assert api.seen == []


def test_rate_limit_through_the_clients_own_retries(client: Any, api: Any) -> None:
    """On https the client's session retries 429s itself (urllib3) and then raises RetryError;
    mounting the same adapter for http puts that path on the loopback server."""
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import pull_jquants

    session = client._request_session()
    session.mount("http://", session.get_adapter("https://example.invalid"))
    api.rate_limited = 100
    with pytest.raises(SourceUnavailableError) as info:
        pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client, retries=1, backoff=0)
    assert "rate limit reached (HTTP 429)" in str(info.value) and "after 2 tries" in str(info.value)
    assert len(api.seen) == 8  # 2 tries of ours x (1 + the client's 3 retries)
    api.rate_limited = 3  # the client's own retries absorb these
    assert len(pull_jquants(["80350"], "2024-03-22", "2024-03-29", client=client)) == 6

"""A failed J-Quants pull leaves the store byte-for-byte as it was.

Everything is downloaded and validated before anything is written, and written in one
transaction: price rows, the index instruments they need, listed info, earnings, renamed
instruments and sector baskets. The recorded responses that must fail are written by
``tests/fixtures/jquants/make_bad_fixtures.py``; the loopback server and the client come from
``tests/test_jquants.py`` (library calls) and ``tests/test_jquants_cli.py`` (the CLI, with the
key in the environment).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import test_jquants  # skips this module, as its own, without jquants-api-client
import test_jquants_cli
from conftest import file_digest

#: The loopback server and a client aimed at it (library calls).
api = test_jquants.api
client = test_jquants.client
#: The loopback server with the key in the environment, as a user runs the CLI.
cli_api = test_jquants_cli.api
_run = test_jquants_cli._run

DATES = ("2024-03-22", "2024-03-29")
BAD_STOCK = "72670"  # a negative close on 2024-03-27 (7267.T is not a built-in instrument)
TEXT_CLOSE = "72030"  # C "n/a" on 2024-03-26
BAD_INDEX = "TOPIX33-0050"  # J-Quants index code 0040: negative levels on 2024-03-27


@pytest.fixture
def primed(client: Any, tmp_path: Path) -> Any:
    """A store that already holds a good pull: 8035.T and TOPIX."""
    from ipposaki.sources.jquants import load_jquants
    from ipposaki.store import Store

    store = Store(tmp_path / "primed.duckdb")
    load_jquants(store, ["80350"], ["TOPIX"], *DATES, client=client)
    return store


def _page2_refused(handler: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the server answer the earnings calendar's second page with HTTP 401."""
    serve = handler.do_GET  # type: ignore[attr-defined]

    def do_get(self: Any) -> None:
        if "pagination_key=page2" in self.path:
            type(self).seen.append(self.path)
            return self._file(401, "error_401.json")
        return serve(self)

    monkeypatch.setattr(handler, "do_GET", do_get)


# -- the library ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "indices", "message"),
    [
        ([BAD_STOCK], [], r"close=-1470 for 7267\.T on 2024-03-27 is not allowed"),
        (["80350", BAD_STOCK], ["TOPIX33-3650"], r"close=-1470 for 7267\.T"),
        ([TEXT_CLOSE], ["TOPIX33-3650"], r"7203\.T on 2024-03-26: C='n/a' is not allowed"),
        ([], ["TOPIX33-3650", BAD_INDEX], r"open=-511\.1 for \^TOPIX33-0050 on 2024-03-27"),
        (["80350"], [BAD_INDEX], r"open=-511\.1 for \^TOPIX33-0050"),
    ],
    ids=[
        "bad-stock",
        "bad-stock-with-good-rows",
        "text-close",
        "bad-index",
        "good-stock-bad-index",
    ],
)
def test_rows_that_fail_validation_write_nothing(
    primed: Any,
    client: Any,
    codes: list[str],
    indices: list[str],
    message: str,
) -> None:
    from ipposaki.errors import DataValidationError
    from ipposaki.sources.jquants import load_jquants

    before = file_digest(primed.path)
    known = set(primed.instruments()["symbol"])
    with pytest.raises(DataValidationError, match=message) as info:
        load_jquants(primed, codes, indices, *DATES, client=client)
    assert "\n" not in str(info.value)
    assert file_digest(primed.path) == before
    assert set(primed.instruments()["symbol"]) == known
    assert not {"7267.T", "^TOPIX33-3650", "^TOPIX33-0050"} & known


def test_failed_index_pull_does_not_create_the_store(client: Any, tmp_path: Path) -> None:
    from ipposaki.errors import DataValidationError
    from ipposaki.sources.jquants import load_jquants
    from ipposaki.store import Store

    store = Store(tmp_path / "new.duckdb")
    with pytest.raises(DataValidationError, match="TOPIX33-0050"):
        load_jquants(store, [], ["TOPIX33-3650", BAD_INDEX], *DATES, client=client)
    assert not store.path.exists()


def test_index_instruments_are_written_with_their_rows(primed: Any, client: Any) -> None:
    from ipposaki.sources.jquants import load_jquants

    result = load_jquants(primed, [], ["TOPIX33-3650"], *DATES, client=client)
    assert result.new_instruments == ()  # named, not guessed
    inst = primed.instruments().set_index("symbol")
    assert inst.loc["^TOPIX33-3650", ["exchange", "kind", "benchmark"]].tolist() == [
        "XTKS",
        "index",
        "^TOPX",
    ]


def test_listed_load_refused_on_the_second_page_writes_nothing(
    primed: Any,
    client: Any,
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants_info import load_jquants_listed

    _page2_refused(api, monkeypatch)
    before = file_digest(primed.path)
    with pytest.raises(SourceUnavailableError, match=r"API key was refused \(HTTP 401"):
        load_jquants_listed(primed, ["80350"], client=client)
    assert any("pagination_key=page2" in p for p in api.seen)
    assert file_digest(primed.path) == before
    assert primed.listed_info().empty and primed.earnings().empty


def test_listed_rows_that_cannot_be_stored_write_nothing(
    primed: Any,
    client: Any,
    api: Any,
) -> None:
    """A financial summary without a disclosure date: found before the sectors are written."""
    from ipposaki.errors import DataValidationError
    from ipposaki.sources.jquants_info import load_jquants_listed

    summary = json.loads((Path(__file__).parent / "fixtures" / "jquants" /
                          "fins_summary_80350.json").read_text(encoding="utf-8"))  # fmt: skip
    summary["data"][2]["DiscDate"] = ""
    api.extra["fins_summary_80350.json"] = summary
    before = file_digest(primed.path)
    with pytest.raises(DataValidationError, match=r"as_of=.* for 8035\.T is not allowed"):
        load_jquants_listed(primed, ["80350"], client=client)
    assert file_digest(primed.path) == before
    assert primed.listed_info().empty and primed.shares_outstanding().empty


def test_listed_load_writes_everything_at_once(primed: Any, client: Any) -> None:
    from ipposaki.sources.jquants_info import load_jquants_listed

    written = load_jquants_listed(primed, ["80350"], client=client)
    assert written == {"listed": 5, "instruments_named": 0, "earnings": 3, "basket_members": 2}
    assert "8035.T" in primed.basket("sector33:電気機器")
    assert len(primed.earnings()) == 3 and len(primed.shares_outstanding()) == 2


@pytest.mark.filterwarnings("ignore::ipposaki.sources.jquants.PlanLimitWarning")
def test_listed_pull_refused_on_the_second_page_writes_no_prices(
    primed: Any,
    client: Any,
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """load_jquants(listed=True) pulls everything before it writes anything."""
    from ipposaki.errors import SourceUnavailableError
    from ipposaki.sources.jquants import load_jquants

    _page2_refused(api, monkeypatch)
    before = file_digest(primed.path)
    with pytest.raises(SourceUnavailableError, match=r"API key was refused \(HTTP 401"):
        load_jquants(primed, ["80350", "130A0"], ["TOPIX33-3650"], *DATES, client, listed=True)
    assert file_digest(primed.path) == before
    assert not {"130A.T", "^TOPIX33-3650"} & set(primed.instruments()["symbol"])


@pytest.mark.parametrize("bad", ["prices", "listed"])
def test_listed_pull_with_a_bad_row_writes_nothing(
    primed: Any, client: Any, api: Any, bad: str
) -> None:
    from ipposaki.errors import DataValidationError
    from ipposaki.sources.jquants import load_jquants

    codes = ["80350", BAD_STOCK] if bad == "prices" else ["80350"]
    if bad == "listed":
        summary = json.loads((Path(__file__).parent / "fixtures" / "jquants" /
                              "fins_summary_80350.json").read_text(encoding="utf-8"))  # fmt: skip
        summary["data"][2]["DiscDate"] = ""
        api.extra["fins_summary_80350.json"] = summary
    before = file_digest(primed.path)
    with pytest.raises(DataValidationError, match=r"7267\.T on 2024-03-27|as_of=.* for 8035\.T"):
        load_jquants(primed, codes, ["TOPIX33-3650"], *DATES, client, listed=True)
    assert file_digest(primed.path) == before
    assert primed.listed_info().empty and primed.earnings().empty


def test_listed_pull_needs_codes(client: Any, api: Any, tmp_path: Path) -> None:
    from ipposaki.errors import InputError
    from ipposaki.sources.jquants import load_jquants
    from ipposaki.store import Store

    with pytest.raises(InputError, match="listed"):
        load_jquants(Store(tmp_path / "s.duckdb"), [], ["TOPIX"], *DATES, client, listed=True)
    assert api.seen == [] and not (tmp_path / "s.duckdb").exists()


@pytest.mark.filterwarnings("ignore::ipposaki.sources.jquants.PlanLimitWarning")
@pytest.mark.filterwarnings("ignore::ipposaki.errors.MissingSessionWarning")
def test_listed_pull_writes_prices_and_listed_info_at_once(
    client: Any, api: Any, tmp_path: Path
) -> None:
    """A new issue's instrument, made by this ingest, is named and in its sector baskets."""
    from ipposaki.sources.jquants import load_jquants
    from ipposaki.store import Store

    folder = Path(__file__).parent / "fixtures" / "jquants"
    master = json.loads((folder / "eq_master_80350.json").read_text(encoding="utf-8"))
    master["data"][0].update(Code="130A0", CoName="テスト", CoNameEn="Test Co")
    api.extra["eq_master_130A0.json"] = master
    api.extra["fins_summary_130A0.json"] = {"data": []}
    store = Store(tmp_path / "s.duckdb")
    assert "130A.T" not in set(store.instruments()["symbol"])
    result = load_jquants(store, ["80350", "130A0"], ["TOPIX"], *DATES, client, listed=True)
    assert result.symbols == ("130A.T", "8035.T", "^TOPX")
    assert result.listed == {
        "listed": 6,
        "instruments_named": 1,
        "earnings": 4,  # 8035's three, and 130A's date in the calendar
        "basket_members": 4,
    }
    inst = store.instruments().set_index("symbol").loc["130A.T"]
    assert (inst["name"], inst["name_ja"], inst["sector"], inst["kind"]) == (
        "Test Co",
        "テスト",
        "電気機器",
        "stock",
    )
    assert store.basket("sector33:電気機器") == ["130A.T", "8035.T"]
    assert len(store.shares_outstanding()) == 2 and len(store.prices(["130A.T"])) > 0


@pytest.mark.filterwarnings("ignore::ipposaki.sources.jquants.PlanLimitWarning")
@pytest.mark.filterwarnings("ignore::ipposaki.errors.MissingSessionWarning")
def test_a_failing_before_commit_rolls_the_rows_back(primed: Any, client: Any) -> None:
    from ipposaki.sources.jquants import pull_jquants

    rows = pull_jquants(["130A0"], *DATES, client=client)

    def fail(con: Any) -> None:
        con.execute("DELETE FROM prices")
        raise RuntimeError("hook failed")

    before = file_digest(primed.path)
    with pytest.raises(RuntimeError, match="hook failed"):
        primed.ingest(rows, "jquants", non_sessions="skip", before_commit=fail)
    assert file_digest(primed.path) == before
    assert "130A.T" not in set(primed.instruments()["symbol"])


# -- the command line -------------------------------------------------------------------------


def _pull(path: Path, *args: str) -> list[str]:
    return ["data", "pull", "--source", "jquants", *args,
            "--start", DATES[0], "--end", DATES[1], "--store", str(path)]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("80350", BAD_STOCK, "--indices", "TOPIX33-3650"), "close=-1470 for 7267.T"),
        (("--indices", f"TOPIX33-3650,{BAD_INDEX}"), "open=-511.1 for ^TOPIX33-0050"),
    ],
    ids=["bad-stock", "bad-index"],
)
def test_cli_failed_pull_is_one_line_exit_2_and_writes_nothing(
    cli_api: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    words: str,
) -> None:
    from ipposaki.store import Store

    path = tmp_path / "s.duckdb"
    assert _run(*_pull(path, "80350", "--indices", "TOPIX")) == 0
    capsys.readouterr()
    before = file_digest(path)
    code = _run(*_pull(path, *args))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
    assert file_digest(path) == before
    assert not {"7267.T", "^TOPIX33-3650", "^TOPIX33-0050"} & set(
        Store(path).instruments()["symbol"]
    )


def _listed_pull_refused(
    handler: type, path: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
) -> tuple[str, str, int, list[str]]:
    """Pull 8035 into a new store, then pull it again with --listed while page 2 is refused;
    return the store's digest before and after, the exit code and the stderr lines."""
    assert _run(*_pull(path, "80350")) == 0
    capsys.readouterr()
    _page2_refused(handler, mp)
    before = file_digest(path)
    code = _run(*_pull(path, "80350", "--listed"))
    return before, file_digest(path), code, capsys.readouterr().err.strip().splitlines()


def test_cli_listed_pull_refused_on_the_second_page(
    cli_api: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ipposaki.store import Store

    path = tmp_path / "s.duckdb"
    _, _, code, err = _listed_pull_refused(cli_api, path, capsys, monkeypatch)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: jquants: the API key was refused"), err
    assert Store(path).listed_info().empty and Store(path).earnings().empty


def test_cli_listed_pull_refused_leaves_the_store_unchanged(
    cli_api: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before, after, code, _ = _listed_pull_refused(
        cli_api, tmp_path / "s.duckdb", capsys, monkeypatch
    )
    assert code == 2
    assert after == before

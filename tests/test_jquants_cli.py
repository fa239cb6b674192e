"""``ipposaki data pull --source jquants``: the CLI against recorded J-Quants responses.

The real client runs in-process; the test points its class-level ``JQUANTS_API_BASE`` at the
loopback stand-in and sets ``JQUANTS_API_KEY`` in the environment, as a user would.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    base, server = loopback.serve()
    monkeypatch.setattr(jquantsapi.ClientV2, "JQUANTS_API_BASE", base)
    monkeypatch.setenv("JQUANTS_API_KEY", loopback.API_KEY)
    monkeypatch.delenv("JQUANTS_API_CLIENT_CONFIG_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield loopback.Handler
    server.shutdown()
    server.server_close()


def _run(*args: str) -> int:
    from ipposaki.cli.main import run

    return run(list(args))


def test_pull_codes_and_indices_into_the_store(
    api: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ipposaki.store import Store

    path = tmp_path / "s.duckdb"
    code = _run(
        "--json", "data", "pull", "--source", "jquants", "80350", "130A",
        "--indices", "TOPIX,TOPIX33-3650",
        "--start", "2024-03-22", "--end", "2024-03-29", "--store", str(path),
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    payload = json.loads(out.out)
    assert payload["sources"] == ["jquants"]
    assert payload["symbols"] == ["130A.T", "8035.T", "^TOPIX33-3650", "^TOPX"]
    store = Store(path)
    assert "jquants" in store.sources()
    tel = store.prices(["8035.T"]).set_index("session")
    assert tel.loc["2024-03-27", "close"] == 39600 and tel.loc["2024-03-27", "adj_close"] == 13200


def test_missing_key_is_one_line_exit_2(
    api: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JQUANTS_API_KEY")
    code = _run(
        "data", "pull", "--source", "jquants", "80350",
        "--start", "2024-03-22", "--end", "2024-03-29", "--store", str(tmp_path / "s.duckdb"),
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"error: jquants: no API key: {_key_help()}"]
    assert api.seen == []


def _key_help() -> str:
    from ipposaki.sources.jquants import KEY_HELP

    return KEY_HELP


def test_indices_need_the_jquants_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(
        "data", "pull", "--indices", "TOPIX",
        "--start", "2024-03-22", "--end", "2024-03-29", "--store", str(tmp_path / "s.duckdb"),
    )  # fmt: skip
    assert code == 2
    assert "--indices='TOPIX' is not allowed" in capsys.readouterr().err


def test_unknown_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(
        "data", "pull", "--source", "bloomberg", "8035.T",
        "--start", "2024-03-22", "--end", "2024-03-29", "--store", str(tmp_path / "s.duckdb"),
    )  # fmt: skip
    assert code == 2
    assert "--source='bloomberg' is not allowed: expected one of yahoo, jquants" in (
        capsys.readouterr().err
    )


def test_listed_flag_stores_sectors_and_shares(
    api: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ipposaki.store import Store

    path = tmp_path / "s.duckdb"
    code = _run(
        "--json", "data", "pull", "--source", "jquants", "80350", "--listed",
        "--start", "2024-03-22", "--end", "2024-03-29", "--store", str(path),
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["listed"] == {
        "listed": 5,
        "earnings": 3,
        "instruments_named": 0,
        "basket_members": 2,
    }
    assert Store(path).shares_outstanding()["shares_outstanding"].tolist() == [
        157_210_911,
        471_632_733,
    ]

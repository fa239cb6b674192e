"""The CLI's one-line contract (issue #15): usage errors, internal errors and warnings."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from ipposaki.cli.main import run


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["data", "import"], "ipposaki data import: Missing argument 'files'"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["study", "--no-such-option"], "No such option: --no-such-option"),
        (["simulate", "--runs", "x"], "Invalid value for '--runs'"),
        (["data", "import", "p.csv", "--non-sessions"], "'--non-sessions' requires an argument"),
        (["--json", "--bogus"], "No such option: --bogus"),
    ],
    ids=["missing-argument", "unknown-command", "unknown-option", "bad-int", "no-value", "root"],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: ") and "\n" not in err and words in err
    assert captured.out == ""


def test_help_exits_0_and_bare_group_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["data", "import", "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out
    assert run(["data"]) == 2
    assert "Usage:" in capsys.readouterr().out


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("something broke\nover two lines")


def test_unexpected_exception_is_one_line_exit_1_with_debug_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import ipposaki.store.store as store_mod

    monkeypatch.delenv("IPPOSAKI_DEBUG", raising=False)
    monkeypatch.setattr(store_mod.Store, "info", _boom)
    assert run(["data", "info", "--store", str(tmp_path / "s.duckdb")]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith("internal error: RuntimeError: something broke over two lines")
    assert "IPPOSAKI_DEBUG=1" in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ipposaki.store.store as store_mod

    monkeypatch.setenv("IPPOSAKI_DEBUG", "1")
    monkeypatch.setattr(store_mod.Store, "info", _boom)
    with pytest.raises(RuntimeError, match="something broke"):
        run(["data", "info", "--store", str(tmp_path / "s.duckdb")])


def test_warnings_are_one_line_without_a_source_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import ipposaki.store.store as store_mod
    from ipposaki.errors import MissingSessionWarning

    def info(self: object) -> object:
        import pandas as pd

        warnings.warn("three sessions\nhave no price", MissingSessionWarning, stacklevel=2)
        warnings.warn("mean of empty slice", RuntimeWarning, stacklevel=2)
        return pd.DataFrame(columns=["symbol"])

    monkeypatch.delenv("IPPOSAKI_DEBUG", raising=False)
    monkeypatch.setattr(store_mod.Store, "info", info)
    assert run(["data", "info", "--store", str(tmp_path / "s.duckdb")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert "warning: MissingSessionWarning: three sessions have no price" in err
    assert "warning: RuntimeWarning: mean of empty slice" in err
    assert not any(".py" in line for line in err)


def test_a_foreign_store_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "prices.csv"
    csv.write_text("date,symbol,close\n2025-01-27,NVDA,1\n", encoding="utf-8")
    assert run(["data", "info", "--store", str(csv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: store {csv}: not a DuckDB database; expected an ipposaki store (a DuckDB "
        "file) or a new path"
    )


def test_library_errors_name_python_arguments_and_the_cli_names_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One boundary: the library says ``estimation_window``, the CLI says
    ``--estimation-window``; ``source/target`` becomes ``--from/--to``."""
    import pandas as pd

    from ipposaki.crossmarket import align_sessions
    from ipposaki.errors import InputError
    from ipposaki.study import run_study

    returns = pd.DataFrame(
        {"date": pd.bdate_range("2024-01-01", periods=5), "symbol": "A", "ret": 0.0}
    )
    with pytest.raises(InputError, match=r"^estimation_window='-250:3'"):
        run_study(
            returns,
            pd.DataFrame({"symbol": ["A"], "date": ["2024-01-03"]}),
            estimation_window="-250:3",
            event_window="-5:5",
            car_windows=["0:1"],
            market=None,
            model="raw",
        )
    with pytest.raises(InputError, match=r"^source/target="):
        align_sessions("XNYS", "XNYS", "2025-01-02", "2025-01-31")
    (tmp_path / "p.csv").write_text("date,symbol,close\n2025-01-24,NVDA,142.62\n")
    (tmp_path / "e.csv").write_text("symbol,date\nNVDA,2025-01-24\n")
    argv = ["study", "--prices", str(tmp_path / "p.csv"), "--events", str(tmp_path / "e.csv")]
    argv += ["--market", "^GSPC", "--estimation-window", "-250:3", "--out", str(tmp_path / "o")]
    assert run(argv) == 2
    assert capsys.readouterr().err.startswith("error: --estimation-window='-250:3' is not allowed")
    assert (
        run(
            [
                "spillover",
                "align",
                "--from",
                "XNYS",
                "--to",
                "XNYS",
                "--start",
                "2025-01-02",
                "--end",
                "2025-01-31",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.startswith("error: --from/--to=")

"""The command line: thin commands, one-line errors with exit code 2, and the demo."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, ReadmeRun, file_digest
from ipposaki.cli.main import run

GOOD = "date,symbol,close\n2025-01-24,NVDA,142.62\n2025-01-27,NVDA,118.42\n"


def test_import_and_info(tmp_path: Path, write, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "s.duckdb"
    assert run(["data", "import", str(write("p.csv", GOOD)), "--store", str(store)]) == 0
    assert "Imported 2 rows for 1 symbols" in capsys.readouterr().out
    assert run(["data", "info", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "NVDA" in out and "2025-01-27" in out


def test_bad_file_exit_code_2_one_line(
    tmp_path: Path, write, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s.duckdb"
    run(["data", "import", str(write("p.csv", GOOD)), "--store", str(store)])
    before = file_digest(store)
    capsys.readouterr()
    bad = write("bad.csv", "date,symbol,close\n2025-01-28,NVDA,-3\n")
    assert run(["data", "import", str(bad), "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("error: ") and "close=-3 for NVDA on 2025-01-28 is not allowed" in err
    assert file_digest(store) == before


def test_bad_option_value(tmp_path: Path, write, capsys: pytest.CaptureFixture[str]) -> None:
    path = write("p.csv", GOOD)
    code = run(
        ["data", "import", str(path), "--non-sessions", "drop", "--store", str(tmp_path / "s")]
    )
    assert code == 2
    assert (
        "--non-sessions='drop' is not allowed: expected one of error, skip"
        in capsys.readouterr().err
    )


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["data", "import"]) == 2
    assert run(["no-such-command"]) == 2


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    top = capsys.readouterr().out
    assert "ipposaki demo --data" in top and "ipposaki --json study" in top
    assert "--quiet" in top and "--json" in top and "Exit codes" in top
    assert run(["data", "import", "--help"]) == 0
    assert "Example: ipposaki data import" in capsys.readouterr().out


def test_console_script_starts(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("ipposaki")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ipposaki 0.1.0"


@pytest.mark.slow
def test_demo_synthetic_offline_says_so(tmp_path: Path) -> None:
    out = tmp_path / "deepseek"
    code = run(["demo", "--offline", "--out", str(out), "--store", str(tmp_path / "s.duckdb")])
    assert code == 0
    assert "(synthetic data)" in (out / "summary.txt").read_text().splitlines()[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["synthetic"] is True and "synthetic data" in manifest["title"]
    tables = ["moves.csv", "basket_moves.csv", "headline.csv", "data_info.csv"]
    tables += [str(p.relative_to(out)) for p in (out / "study").rglob("*.csv")]
    assert len(tables) > 10
    for name in tables:
        table = pd.read_csv(out / name)
        if len(table):
            assert (table["data"] == "synthetic data").all(), name
    assert "synthetic data" in (out / "summary.txt").read_text().split("== XNYS")[0]
    report = (out / "report.en.html").read_text(encoding="utf-8")
    assert "These prices are SYNTHETIC" in report
    # The synthetic ^SOX and ^IXIC are the same series: the forecast says why it is missing.
    md = (out / "report.en.md").read_text(encoding="utf-8")
    assert "> No forecast: the regression of Nikkei 225 on New York's series cannot be fitted" in md


@pytest.mark.slow
def test_demo_on_real_data(readme_run: ReadmeRun, tmp_path: Path) -> None:
    # The README's `ipposaki demo --data ../shared/data/prices --out out/deepseek`, as the
    # readme_run fixture ran it (tests/test_readme.py checks it exits 0; this test checks its
    # files instead of running the same command again); the deepseek_demo fixture's reports
    # are checked in tests/test_report.py.
    out = readme_run.output("demo", "--data")
    headline = pd.read_csv(out / "headline.csv")
    assert "data" not in headline.columns
    moves = pd.read_csv(out / "moves.csv")
    ny = moves.loc[(moves["exchange"] == "XNYS") & (moves["session"] == "2025-01-27")]
    assert f"{ny.set_index('symbol').loc['NVDA', 'ret']:.2%}" == "-16.97%"
    indices = pd.read_csv(out / "indices.csv")
    tk = indices.loc[(indices["exchange"] == "XTKS") & (indices["session"] == "2025-01-28")]
    assert f"{tk.set_index('symbol').loc['^N225', 'ret']:.2%}" == "-1.39%"
    summary = (out / "summary.txt").read_text()
    assert "synthetic" not in summary and "Nasdaq Composite" in summary
    # Without --data the next run reads the store as it is: nothing synthetic is written over
    # real prices, and the report names the store and its source (on a copy of the README's
    # store, which the fixture's other readers share).
    store = tmp_path / "s.duckdb"
    shutil.copy(readme_run.store, store)
    assert not Path(f"{readme_run.store}.wal").exists()  # the store is all in its file
    before = file_digest(store)
    again = tmp_path / "again"
    assert (
        run(["demo", "--offline", "--lang", "en", "--out", str(again), "--store", str(store)]) == 0
    )
    assert file_digest(store) == before
    manifest = json.loads((again / "manifest.json").read_text())
    assert manifest["synthetic"] is False and "daily.csv" in manifest["source"]
    assert pd.read_csv(again / "headline.csv").equals(headline)


def test_makefile_and_ci_contract() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci" / "run").read_text()
    # make test runs every test, then the slowest 20 and the wall time; make test-fast
    # leaves out the tests marked slow.
    make = (REPO / "Makefile").read_text()
    assert re.search(r"^test: lint typecheck pytest$", make, flags=re.M)
    assert re.search(r"^PYTEST := .*\n?.*-m pytest -q --durations=20$", make, flags=re.M)
    assert re.search(r"^pytest: .*\n\t\$\(PYTEST\)$", make, flags=re.M)
    assert re.search(r'^test-fast: .*\n\t\$\(PYTEST\) -m "not slow"$', make, flags=re.M)


def test_blas_runs_on_one_thread() -> None:
    """tests/conftest.py pins OpenMP, OpenBLAS and MKL to one thread before numpy is loaded:
    every BLAS and OpenMP pool numpy and scipy opened has one thread (tolerances are 1e-12)."""
    import scipy.linalg  # noqa: F401  (its own OpenBLAS, when it ships one)
    from threadpoolctl import threadpool_info

    pools = threadpool_info()
    assert any(p["user_api"] == "blas" for p in pools), pools
    assert {p["filepath"]: p["num_threads"] for p in pools} == {p["filepath"]: 1 for p in pools}


def test_spillover_commands(
    shared_store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--store", str(shared_store.path)]
    out = tmp_path / "fc"
    assert (
        run(
            [
                "spillover",
                "forecast",
                "--as-of",
                "2025-01-27",
                "--targets",
                "^N225,jp_semi_equipment",
                "--out",
                str(out),
                *store,
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "XTKS session 2025-01-28 from XNYS session 2025-01-27" in text
    table = pd.read_csv(out / "forecast.csv")
    assert list(table["target"]) == ["^N225", "jp_semi_equipment"]
    assert (
        json.loads((out / "forecast.json").read_text())["manifest"]["target_session"]
        == "2025-01-28"
    )
    assert (
        run(
            [
                "spillover",
                "forecast",
                "--as-of",
                "2025-01-27",
                "--expanding",
                "--targets",
                "^N225",
                *store,
            ]
        )
        == 0
    )
    assert "expanding window" in capsys.readouterr().out
    assert (
        run(
            [
                "spillover",
                "evaluate",
                "--start",
                "2024-01-01",
                "--end",
                "2024-12-31",
                "--targets",
                "^N225",
                "--out",
                str(tmp_path / "ev"),
                *store,
            ]
        )
        == 0
    )
    assert pd.read_csv(tmp_path / "ev" / "metrics.csv")["nobs"].iloc[0] > 200
    assert run(["spillover", "align", "--start", "2025-04-25", "--end", "2025-05-08"]) == 0
    assert "2025-05-07" in capsys.readouterr().out
    assert run(["spillover", "event-time", "2025-01-27T09:00+09:00"]) == 0
    assert run(["spillover", "event-time", "2025-01-27T09:00"]) == 2
    assert "a timestamp with a zone" in capsys.readouterr().err
    assert run(["spillover", "forecast", "--as-of", "2025-01-26", *store]) == 2
    assert "(nearest: 2025-01-27)" in capsys.readouterr().err


def test_quiet_and_json(tmp_path: Path, write, capsys: pytest.CaptureFixture[str]) -> None:
    """--quiet prints nothing but errors; --json prints one JSON document and nothing else."""
    store = ["--store", str(tmp_path / "s.duckdb")]
    path = str(write("p.csv", GOOD))
    assert run(["--quiet", "data", "import", path, *store]) == 0
    assert capsys.readouterr() == ("", "")
    assert run(["--json", "data", "info", *store]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(r["symbol"], r["rows"]) for r in doc["symbols"]] == [("NVDA", 2)]
    assert run(["--json", "events", "show", "deepseek_shock"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sessions = {r["exchange"]: r["event_session"] for r in doc["sessions"]}
    assert sessions == {"XTKS": "2025-01-27", "XNYS": "2025-01-27"}  # before Tokyo's open
    assert run(["--json", "spillover", "event-time", "2025-01-27T09:00+09:00"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["event_session"] for r in doc["sessions"]} == {"2025-01-27"}
    # errors still show, one line, with --quiet
    assert run(["--quiet", "data", "import", str(tmp_path / "missing.csv"), *store]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_json_study_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2024-01-01", periods=300)
    market = rng.normal(0, 0.01, len(days))
    frame = pd.DataFrame({"MKT": market, "A": market + rng.normal(0, 0.01, len(days))}, days)
    frame.rename_axis("date").to_csv(tmp_path / "r.csv")
    (tmp_path / "e.csv").write_text("symbol,event_date\nA,2025-01-10\nZZZ,2025-01-10\n")
    argv = ["--json", "study", "--returns", str(tmp_path / "r.csv"), "--events"]
    argv += [str(tmp_path / "e.csv"), "--market", "MKT", "--out", str(tmp_path / "o")]
    assert run(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pairs"] == 1
    assert [(r["symbol"], r["reason"]) for r in doc["excluded"]] == [
        ("ZZZ", "no returns for symbol ZZZ")
    ]
    caar = {r["window"]: r for r in doc["caar"] if r["basket"] == "all"}
    car = pd.read_csv(tmp_path / "o" / "car.csv").set_index("window")["car"]
    assert caar["0:1"]["caar"] == pytest.approx(car["0:1"], abs=1e-15)


def test_study_threads_change_no_result(tmp_path: Path) -> None:
    """``--threads N`` reaches the local runner, and the tables equal the default run's byte
    for byte (30 firms make one block, so this checks the option's path; several blocks on
    threads are checked in tests/test_engine_blocks.py)."""
    from ipposaki.cli.options import chunk_runner
    from ipposaki.study.engine import LocalRunner

    assert chunk_runner("local", "local", progress=False, threads=2) == LocalRunner(threads=2)
    assert chunk_runner("local", "local", progress=False) is None  # the engine's default
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2024-01-01", periods=300)
    market = rng.normal(0, 0.01, len(days))
    names = [f"S{i}" for i in range(30)]
    frame = pd.DataFrame(market[:, None] + rng.normal(0, 0.02, (300, 30)), days, names)
    frame.assign(MKT=market).rename_axis("date").to_csv(tmp_path / "r.csv")
    pd.DataFrame({"symbol": names, "event_date": "2025-01-10"}).to_csv(
        tmp_path / "e.csv", index=False
    )
    base = ["--quiet", "study", "--returns", str(tmp_path / "r.csv"), "--events"]
    base += [str(tmp_path / "e.csv"), "--market", "MKT"]
    assert run([*base, "--out", str(tmp_path / "default")]) == 0
    assert run([*base, "--threads", "1", "--out", str(tmp_path / "one")]) == 0
    for name in ("car.csv", "tests.csv", "caar.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "default" / name).read_bytes()
